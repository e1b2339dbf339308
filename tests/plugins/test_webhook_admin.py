"""Webhook signatures as documented (a known vector, and the guide's verification code run
against a real delivery), redelivery and test events for tenant administrators."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nguon.audit.tables import AuditEvent
from nguon.outbound import OutboundPolicy, guarded_client, use_outbound_policy
from nguon.plugin_admin.service import save_setting
from nguon.plugins_builtin.webhooks.outbox import deliver_due, sign_v2
from nguon.plugins_builtin.webhooks.plugin import WORKER_ENV
from nguon.tenancy.context import tenant_context
from tests.conftest import Database
from tests.http.conftest import AppClient, World, build_world, token_for
from tests.plugins.receiver import Receiver, free_port
from tests.plugins.test_webhooks import SECRET, _fire, _rows, _webhooks_on

ROOT = Path(__file__).resolve().parents[2]
GUIDES = [ROOT / "docs" / "plugins.md", ROOT / "docs" / "api-http.md"]
VECTOR_SECRET = "whsec-test-0123456789abcdef"
VECTOR_BODY = b'{"event":"webhook.test"}'
VECTOR_TIMESTAMP = 1764684000
VECTOR_SIGNATURE = "9034e3af7b2985042b1c75fa807fe8f0c522ea276e6ccaedd03eb2b7b9538ad8"


@pytest.fixture(autouse=True)
def local_receivers_allowed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Receivers on 127.0.0.1 are allowed; no background worker races the test's rounds."""
    monkeypatch.setenv(WORKER_ENV, "off")
    with use_outbound_policy(OutboundPolicy.parse("127.0.0.1/32")):
        yield


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    up = Receiver(free_port())
    yield up
    up.stop()


def verifier_in(guide: Path) -> Any:
    """The ``verify_nguon_signature`` function of a guide's Python block, defined by running it."""
    blocks = re.findall(r"```python\n(.*?)```", guide.read_text(), re.S)
    (code,) = [b for b in blocks if "def verify_nguon_signature" in b]
    namespace: dict[str, Any] = {}
    exec(compile(code, str(guide), "exec"), namespace)
    return namespace["verify_nguon_signature"]


def test_the_signature_matches_a_known_vector_computed_with_the_standard_library() -> None:
    signed = str(VECTOR_TIMESTAMP).encode() + b"." + VECTOR_BODY
    independent = hmac.new(VECTOR_SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert independent == VECTOR_SIGNATURE
    assert sign_v2(VECTOR_SECRET, VECTOR_BODY, VECTOR_TIMESTAMP) == (
        f"t={VECTOR_TIMESTAMP},v1={VECTOR_SIGNATURE}"
    )
    for guide in GUIDES:
        assert f"t={VECTOR_TIMESTAMP},v1={VECTOR_SIGNATURE}" in guide.read_text(), guide


async def _admin(client: AppClient, world: World) -> dict[str, str]:
    return await token_for(client, world.slug, "admin")


def _said(answer: Any) -> tuple[str, str]:
    """What a refusal tells the administrator, in Vietnamese and in English."""
    return answer.json()["detail"], answer.json()["detail_en"]


async def _audit(world: World, action: str) -> list[dict]:
    with tenant_context(world.tenant_id):
        return await AuditEvent.select().where(
            AuditEvent.tenant_id == world.tenant_id,
            AuditEvent.entity_type == "webhook_delivery",
            AuditEvent.action == action,
        )


async def test_the_guides_verification_code_accepts_a_real_delivery_and_nothing_altered(
    db: Database, client: AppClient, receiver: Receiver
) -> None:
    receiver.start()
    world = await build_world(db, "whsig")
    await _webhooks_on(world, receiver.url)
    await _fire(world, "submitted", 4)
    async with guarded_client() as http:
        await deliver_due(http, now=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5))
    (row,) = await _rows(world)
    assert row["status"] == "delivered", row["last_error"]
    (got,) = [r for r in receiver.received if r.headers["X-Nguon-Delivery"] == row["delivery_id"]]
    # The other headers of the guides' table, each as a receiver reads it.
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["User-Agent"].startswith("Nguon-Webhooks/")
    assert got.headers["X-Nguon-Event"] == json.loads(got.body)["event"] == "list.submitted"
    signature = got.headers["X-Nguon-Signature-256"]
    assert signature.startswith(f"t={got.headers['X-Nguon-Timestamp']},v1=")
    body_only = hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert got.headers["X-Nguon-Signature"] == f"sha256={body_only}"  # deprecated, still sent
    for guide in GUIDES:
        verify = verifier_in(guide)
        assert verify(SECRET, got.body, got.headers) is True, guide
        assert verify(SECRET, got.body + b" ", got.headers) is False
        assert verify("another-secret-0123456789", got.body, got.headers) is False
        signature = got.headers["X-Nguon-Signature-256"]
        old = {**got.headers, "X-Nguon-Signature-256": re.sub(r"t=\d+", "t=1000000000", signature)}
        assert verify(SECRET, got.body, old) is False  # replayed long after: refused
        assert abs(int(got.headers["X-Nguon-Timestamp"]) - time.time()) < 60


async def test_the_delivery_log_pages_newest_first_each_delivery_once_and_by_state(
    db: Database, client: AppClient, receiver: Receiver
) -> None:
    """A province with many deliveries reads its log page by page, newest first, each
    delivery once and the last page without a link onwards; filtered by state, the pages
    hold deliveries in that state only."""
    world = await build_world(db, "whpages")
    await _webhooks_on(world, receiver.url, max_attempts=1)
    for list_id in (1, 2, 3):
        await _fire(world, "submitted", list_id)
    async with guarded_client() as http:  # the receiver is down: the three fail
        await deliver_due(http, now=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5))
    for list_id in (4, 5):
        await _fire(world, "accepted", list_id)
    ids = [row["id"] for row in await _rows(world)]
    admin = await _admin(client, world)
    log = f"/t/{world.slug}/api/v1/admin/webhooks/deliveries"

    async def pages(url: str) -> list[list[tuple[int, str]]]:
        read = []
        while url:
            page = await client.get(url, headers=admin)
            assert page.status_code == 200, page.text
            read.append([(d["id"], d["status"]) for d in page.json()])
            link = re.search(r'<([^>]+)>; rel="next"', page.headers.get("Link", ""))
            url = link.group(1) if link else ""
        return read

    failed, pending = [(i, "failed") for i in ids[:3]], [(i, "pending") for i in ids[3:]]
    newest_first = sorted(pending + failed, reverse=True)
    assert await pages(f"{log}?limit=2") == [newest_first[:2], newest_first[2:4], newest_first[4:]]
    assert await pages(f"{log}?limit=3") == [newest_first[:3], newest_first[3:]]
    assert await pages(f"{log}?limit=5") == [newest_first]
    assert await pages(f"{log}?status=failed&limit=2") == [failed[::-1][:2], failed[::-1][2:]]
    assert await pages(f"{log}?status=pending&limit=2") == [pending[::-1]]
    assert await pages(f"{log}?status=delivered") == [[]]
    # Each entry as the delivery stands; when it is tried next only while it is pending.
    when = dt.datetime.fromisoformat
    entries = (await client.get(log, headers=admin)).json()
    for entry, row in zip(entries, (await _rows(world))[::-1], strict=True):
        same = ("id", "delivery_id", "event_type", "endpoint_url", "status")
        assert {k: entry[k] for k in same} == {k: row[k] for k in same}
        assert entry["last_status"] is None and entry["delivered_at"] is None
        if entry["status"] == "pending":
            assert (entry["attempts"], entry["last_error"]) == (0, "")
            assert when(entry["next_attempt_at"]) == row["next_attempt_at"]
        else:
            assert (entry["attempts"], entry["next_attempt_at"]) == (1, None)
            assert entry["last_error"] == "ConnectError: the receiver could not be reached"
        assert when(entry["created_at"]) == row["created_at"]


async def test_an_internal_receiver_is_refused_saying_why_and_who_may_allow_it(
    db: Database, client: AppClient
) -> None:
    """An administrator who names a receiver inside the network reads, in Vietnamese and in
    English, why it is refused and that only the operator can allow internal networks."""
    world = await build_world(db, "whinternal")
    admin = await _admin(client, world)
    endpoints = [{"url": "http://10.20.0.5/hook", "secret": SECRET}]
    refused = await client.put(
        f"/t/{world.slug}/api/v1/admin/plugins/webhooks",
        headers=admin,
        json={"enabled": True, "config": {"endpoints": endpoints}},
    )

    assert refused.status_code == 400, refused.text
    (error,) = refused.json()["errors"]
    why = "refused by policy: 10.20.0.5: private address"
    assert (error["field"], error["code"]) == ("config.endpoints[0].url", "rule")
    assert error["detail"] == (
        f"`config.endpoints[0].url`: Không được gửi webhook tới địa chỉ này ({why}): chỉ địa "
        "chỉ công khai, hoặc mạng nội bộ nhà vận hành cho phép (NGUON_OUTBOUND_ALLOW)"
    )
    assert error["detail_en"] == (
        f"`config.endpoints[0].url`: {why}: only public addresses, or internal networks the "
        "operator allows (NGUON_OUTBOUND_ALLOW)"
    )
    assert refused.json()["detail_en"] == f"Invalid input: {error['detail_en']}."


async def test_an_admin_redelivers_a_failed_delivery_as_one_more_attempt(
    db: Database, client: AppClient, receiver: Receiver
) -> None:
    world = await build_world(db, "whredo")
    await _webhooks_on(world, receiver.url, max_attempts=1)
    await _fire(world, "accepted", 9)
    async with guarded_client() as http:
        await deliver_due(
            http, now=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
        )  # down: failed after its one attempt
    admin = await _admin(client, world)
    log = f"/t/{world.slug}/api/v1/admin/webhooks/deliveries"
    listed = await client.get(log, headers=admin)
    assert listed.status_code == 200, listed.text
    (entry,) = listed.json()
    assert (entry["status"], entry["attempts"]) == ("failed", 1)

    receiver.start()
    editor = await token_for(client, world.slug, "cell_x_editor")
    redo = f"{log}/{entry['id']}/redeliver"
    assert (await client.post(redo, headers=editor)).status_code == 403
    missing = await client.post(f"{log}/999999/redeliver", headers=admin)
    assert missing.status_code == 404
    assert _said(missing) == (
        "Không tìm thấy lần gửi webhook này, hoặc bạn không có quyền xem",
        "Not found: delivery",
    )
    answer = await client.post(redo, headers=admin)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["attempts"]) == ("delivered", 2)
    (got,) = receiver.received
    assert got.headers["X-Nguon-Delivery"] == entry["delivery_id"]
    assert got.headers["X-Nguon-Redelivery"] == "true"
    assert verifier_in(GUIDES[0])(SECRET, got.body, got.headers)
    (event,) = await _audit(world, "redeliver")
    before, after = (
        json.loads(event[k]) if isinstance(event[k], str) else event[k] for k in ("before", "after")
    )
    assert before == {"status": "failed", "attempts": 1}
    assert after == {"status": "delivered", "attempts": 2}
    assert event["entity_id"] == entry["id"] and event["actor"] == "user:admin"
    assert event["actor_id"] == world.users["admin"]


async def test_an_admin_cannot_redeliver_another_provinces_delivery(
    db: Database, client: AppClient, receiver: Receiver
) -> None:
    """A delivery of another province, even one to the same receiver, is not found: its
    body is not posted again, and the answer tells nothing of it."""
    receiver.start()
    ours, theirs = await build_world(db, "whmine"), await build_world(db, "whtheirs")
    for world in (ours, theirs):
        await _webhooks_on(world, receiver.url)
    await _fire(theirs, "accepted", 9)
    (their_row,) = await _rows(theirs)
    admin = await _admin(client, ours)
    log = f"/t/{ours.slug}/api/v1/admin/webhooks/deliveries"

    answer = await client.post(f"{log}/{their_row['id']}/redeliver", headers=admin)

    assert answer.status_code == 404, answer.text
    assert receiver.received == []
    assert (await client.get(log, headers=admin)).json() == []


async def test_a_redelivery_that_fails_again_stays_failed_and_is_not_retried(
    db: Database, client: AppClient, receiver: Receiver
) -> None:
    """An administrator who raised the number of attempts and redelivers a failed delivery
    while its receiver is still down reads one more failed attempt; the automatic retries
    do not start again behind their back."""
    world = await build_world(db, "whredofail")
    await _webhooks_on(world, receiver.url, max_attempts=1)
    await _fire(world, "accepted", 9)
    async with guarded_client() as http:
        await deliver_due(http, now=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5))
    await _webhooks_on(world, receiver.url, max_attempts=5)
    (row,) = await _rows(world)
    admin = await _admin(client, world)
    redo = f"/t/{world.slug}/api/v1/admin/webhooks/deliveries/{row['id']}/redeliver"

    answer = await client.post(redo, headers=admin)

    assert answer.status_code == 200, answer.text
    entry = answer.json()
    assert (entry["status"], entry["attempts"], entry["next_attempt_at"]) == ("failed", 2, None)
    assert entry["last_error"] == "ConnectError: the receiver could not be reached"
    receiver.start()
    async with guarded_client() as http:
        await deliver_due(http, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    assert receiver.received == []
    (after,) = await _rows(world)
    assert (after["status"], after["attempts"]) == ("failed", 2)


async def test_a_delivery_to_an_endpoint_no_longer_configured_is_not_posted_again(
    db: Database, client: AppClient, receiver: Receiver
) -> None:
    """An administrator who took a receiver out of the configuration (compromised, moved)
    cannot have its old deliveries posted there again."""
    world = await build_world(db, "whgone")
    await _webhooks_on(world, receiver.url, max_attempts=1)
    await _fire(world, "accepted", 9)
    async with guarded_client() as http:
        await deliver_due(http, now=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5))
    receiver.start()
    await _webhooks_on(world, f"http://127.0.0.1:{free_port()}/moved")
    admin = await _admin(client, world)
    log = f"/t/{world.slug}/api/v1/admin/webhooks/deliveries"
    (entry,) = (await client.get(log, headers=admin)).json()

    answer = await client.post(f"{log}/{entry['id']}/redeliver", headers=admin)

    assert answer.status_code == 400, answer.text
    (problem,) = answer.json()["errors"]
    assert problem["field"] == "endpoint_url"
    assert _said(answer) == (
        "Địa chỉ nhận này không còn trong cấu hình",
        "This endpoint is no longer configured",
    )
    assert receiver.received == []
    (row,) = await _rows(world)
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert await _audit(world, "redeliver") == []


async def test_an_admin_sends_a_signed_test_event(
    db: Database, client: AppClient, receiver: Receiver
) -> None:
    receiver.start()
    world = await build_world(db, "whtest")
    admin = await _admin(client, world)
    url = f"/t/{world.slug}/api/v1/admin/webhooks/test"
    off = await client.post(url, json={}, headers=admin)
    assert off.status_code == 400 and off.json()["errors"][0]["field"] == "plugin"
    assert _said(off) == (
        "Plugin webhooks chưa được bật cho tỉnh",
        "The webhooks plugin is off here",
    )
    await _webhooks_on(world, receiver.url)
    unknown = await client.post(url, json={"url": "https://example.org/x"}, headers=admin)
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["field"] == "url"
    assert _said(unknown) == (
        "Không có địa chỉ nhận như vậy trong cấu hình",
        "No such endpoint is configured",
    )
    sent = await client.post(url, json={"url": receiver.url}, headers=admin)
    assert sent.status_code == 201, sent.text
    (delivery,) = sent.json()
    assert delivery["event_type"] == "webhook.test" and delivery["status"] == "delivered"
    (got,) = receiver.received
    assert got.headers["X-Nguon-Event"] == "webhook.test"
    assert "X-Nguon-Redelivery" not in got.headers  # only a redelivery an admin asks for
    assert verifier_in(GUIDES[0])(SECRET, got.body, got.headers)
    # What a receiver reads to check its set-up: an event of its own tenant, with an id of
    # its own (each test event is a new one) and the time it was sent.
    event = json.loads(got.body)
    assert event["event"] == "webhook.test" and event["tenant_id"] == world.tenant_id
    said = json.dumps(event["data"], ensure_ascii=False)
    assert said == '{"message": "Sự kiện thử từ Nguồn / A test event from Nguồn"}'
    assert f"`{said}`" in GUIDES[1].read_text()  # as docs/api-http.md says
    sent_at = dt.datetime.fromisoformat(event["occurred_at"])
    assert abs(dt.datetime.now(dt.UTC) - sent_at) < dt.timedelta(minutes=5)
    again = await client.post(url, json={"url": receiver.url}, headers=admin)
    assert again.status_code == 201, again.text
    ids = [uuid.UUID(json.loads(r.body)["event_id"]) for r in receiver.received]
    assert len(set(ids)) == 2
    assert len(await _audit(world, "send_test")) == 2
    log = await client.get(f"/t/{world.slug}/api/v1/admin/webhooks/deliveries", headers=admin)
    assert [d["event_type"] for d in log.json()] == ["webhook.test", "webhook.test"]


async def test_a_test_event_to_every_endpoint_reports_each_one_and_is_never_retried(
    db: Database, client: AppClient, receiver: Receiver
) -> None:
    """What an administrator reads after "send a test event" with one receiver up and one
    down: a delivery each, with its own id, the one that arrived and the one that did not
    (never retried: a test is sent once), and one audit event naming both."""
    receiver.start()
    world = await build_world(db, "whtestall")
    down = f"http://127.0.0.1:{free_port()}/down"
    config = {
        "endpoints": [{"url": receiver.url, "secret": SECRET}, {"url": down, "secret": SECRET}]
    }
    with tenant_context(world.tenant_id):
        await save_setting(world.tenant_id, "webhooks", True, config)
    admin = await _admin(client, world)

    sent = await client.post(f"/t/{world.slug}/api/v1/admin/webhooks/test", json={}, headers=admin)

    assert sent.status_code == 201, sent.text
    up, lost = sent.json()
    assert (up["endpoint_url"], up["status"], up["attempts"]) == (receiver.url, "delivered", 1)
    assert up["last_status"] == 204 and up["delivered_at"] and up["next_attempt_at"] is None
    assert (lost["endpoint_url"], lost["status"], lost["attempts"]) == (down, "failed", 1)
    assert lost["last_error"].startswith("ConnectError") and lost["next_attempt_at"] is None
    assert lost["delivered_at"] is None and lost["last_status"] is None
    assert up["event_type"] == lost["event_type"] == "webhook.test"
    assert len({up["delivery_id"], lost["delivery_id"]}) == 2
    (got,) = receiver.received
    assert got.headers["X-Nguon-Delivery"] == up["delivery_id"]
    rows = await _rows(world)
    assert [json.loads(row["body"])["event"] for row in rows] == ["webhook.test"] * 2
    # Nothing is left for the retry rounds: a later round posts nothing more.
    async with guarded_client() as http:
        await deliver_due(http, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    assert len(receiver.received) == 1
    assert [(r["status"], r["attempts"]) for r in await _rows(world)] == [
        ("delivered", 1),
        ("failed", 1),
    ]
    (event,) = await _audit(world, "send_test")
    after = json.loads(event["after"]) if isinstance(event["after"], str) else event["after"]
    assert after == {
        "deliveries": [up["delivery_id"], lost["delivery_id"]],
        "urls": [receiver.url, down],
    }
    assert event["actor"] == "user:admin" and event["actor_id"] == world.users["admin"]
