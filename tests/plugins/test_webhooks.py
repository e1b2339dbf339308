"""The webhooks plugin against a real HTTP receiver: down for a while, then every event
arrives once with a valid signature; the portal stays fast while receivers are slow."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import statistics
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from nguon.app import create_app
from nguon.audit.service import Actor
from nguon.cli import main
from nguon.db.binding import using_engine
from nguon.db.engine import make_engine
from nguon.db.migrate import migrate
from nguon.hook_events import ListSummary
from nguon.outbound import OutboundPolicy, guarded_client, use_outbound_policy
from nguon.pipeline.events import ListEvent, dispatch
from nguon.plugin_admin.service import save_setting
from nguon.plugins_builtin.webhooks import outbox
from nguon.plugins_builtin.webhooks.outbox import deliver_due, deliver_one, verify
from nguon.plugins_builtin.webhooks.plugin import POLL_ENV, WORKER_ENV
from nguon.plugins_builtin.webhooks.tables import WebhookDelivery
from nguon.tenancy.context import tenant_context
from tests.conftest import Database
from tests.http.conftest import (
    AppClient,
    World,
    app_settings,
    build_world,
    candidate_body,
    token_for,
)
from tests.jobs.workers import start_worker, stop
from tests.plugins.receiver import Receiver, free_port

SECRET = "receiver-shared-secret-0123456789"


@pytest.fixture(autouse=True)
def local_receivers_allowed() -> Iterator[None]:
    """The operator's allow-list lets these tests' receivers on 127.0.0.1 be posted to."""
    with use_outbound_policy(OutboundPolicy.parse("127.0.0.1/32")):
        yield


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    down = Receiver(free_port())
    yield down
    down.stop()


async def _webhooks_on(world: World, url: str, **settings: object) -> None:
    config = {"endpoints": [{"url": url, "secret": SECRET}], **settings}
    with tenant_context(world.tenant_id):
        await save_setting(world.tenant_id, "webhooks", True, config)


async def _fire(world: World, kind: str, list_id: int) -> None:
    summary = ListSummary(
        id=list_id,
        tenant_id=world.tenant_id,
        unit_id=world.units["cell_x"],
        step="survey",
        period="2025-annual",
        state=kind,
        version=3,
        receiver_unit_id=world.units["commune_1"],
    )
    event = ListEvent(
        kind=kind,  # type: ignore[arg-type]
        candidate_list=summary,
        actor=Actor(label="user:cell_x_editor", user_id=7),
        comment="Thiếu nghị quyết" if kind == "returned" else "",
    )
    with tenant_context(world.tenant_id):
        await dispatch(event)


async def _rows(world: World) -> list[dict]:
    with tenant_context(world.tenant_id):
        return (
            await WebhookDelivery.select()
            .where(WebhookDelivery.tenant_id == world.tenant_id)
            .order_by(WebhookDelivery.id)
        )


async def test_a_receiver_down_for_a_while_gets_every_event_once_signed_when_back(
    db: Database, receiver: Receiver
) -> None:
    world, quiet = await build_world(db, "wh"), await build_world(db, "whoff")
    await _webhooks_on(world, receiver.url, backoff_seconds=30)
    for kind, list_id in (("submitted", 1), ("returned", 1), ("submitted", 2), ("accepted", 2)):
        await _fire(world, kind, list_id)
    await _fire(quiet, "submitted", 3)  # the webhooks plugin is off there

    async with guarded_client() as http:
        await deliver_due(http)  # the receiver is down: every attempt fails
        failed = await _rows(world)
        assert [(r["status"], r["attempts"]) for r in failed] == [("pending", 1)] * 4
        assert all(r["last_error"].startswith("ConnectError") for r in failed)

        receiver.start()
        await deliver_due(http)  # nothing is due before the backoff has passed
        assert receiver.received == []

        later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
        await deliver_due(http, now=later)
        await deliver_due(http, now=later + dt.timedelta(hours=1))

    assert len(receiver.received) == 4
    ids = [r.headers["X-Nguon-Delivery"] for r in receiver.received]
    assert len(set(ids)) == 4
    assert sorted(ids) == sorted(r["delivery_id"] for r in await _rows(world))
    for request in receiver.received:
        assert verify(SECRET, request.body, request.headers["X-Nguon-Signature"])
        assert not verify(
            "another-secret-entirely", request.body, request.headers["X-Nguon-Signature"]
        )
    payloads = sorted(
        (json.loads(r.body) for r in receiver.received), key=lambda p: p["occurred_at"]
    )
    assert [p["event"] for p in payloads] == [
        "list.submitted",
        "list.returned",
        "list.submitted",
        "list.accepted",
    ]
    assert {p["tenant_id"] for p in payloads} == {world.tenant_id}
    assert len({uuid.UUID(p["event_id"]) for p in payloads}) == 4  # an id of its own each
    assert payloads[1]["data"]["comment"] == "Thiếu nghị quyết"
    assert payloads[0]["data"]["actor"] == {"label": "user:cell_x_editor", "user_id": 7}
    assert [(r["status"], r["attempts"]) for r in await _rows(world)] == [("delivered", 2)] * 4
    assert await _rows(quiet) == []


async def test_the_job_of_one_delivery_posts_that_delivery_only_and_says_when_to_retry(
    db: Database, receiver: Receiver
) -> None:
    """On Postgres each delivery is a job of its own (its own lock and retry time): the job
    posts the delivery it names, leaves the tenant's other due deliveries to their own jobs,
    and answers when its delivery is to be tried again — nothing once it has arrived."""
    receiver.start()
    world = await build_world(db, "whone")
    down = f"http://127.0.0.1:{free_port()}/down"
    endpoints = [{"url": down, "secret": SECRET}, {"url": receiver.url, "secret": SECRET}]
    with tenant_context(world.tenant_id):
        await save_setting(
            world.tenant_id, "webhooks", True, {"endpoints": endpoints, "backoff_seconds": 60}
        )
    await _fire(world, "submitted", 6)
    lost, up = await _rows(world)
    assert (lost["endpoint_url"], up["endpoint_url"]) == (down, receiver.url)
    now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)

    async with guarded_client() as http:
        with tenant_context(world.tenant_id):
            assert await deliver_one(http, up["id"], now=now) is None  # arrived: no retry
            assert [(r["status"], r["attempts"]) for r in await _rows(world)] == [
                ("pending", 0),
                ("delivered", 1),
            ]
            assert [r.headers["X-Nguon-Delivery"] for r in receiver.received] == [up["delivery_id"]]
            retry_at = await deliver_one(http, lost["id"], now=now)
            assert await deliver_one(http, up["id"], now=now) is None  # run twice: posted once

    assert len(receiver.received) == 1
    retried, _ = await _rows(world)
    assert (retried["status"], retried["attempts"]) == ("pending", 1)
    assert retry_at == retried["next_attempt_at"]
    assert now + dt.timedelta(seconds=60) <= retry_at <= now + dt.timedelta(seconds=75)


async def test_a_receiver_the_operators_policy_refuses_is_given_up_at_once(
    db: Database, receiver: Receiver
) -> None:
    """A receiver whose address the outbound policy refuses when the request is made (its
    name now resolves inside the network, the allow-list was narrowed) gets nothing, and its
    delivery is not retried for days: it fails at the first attempt, saying why."""
    receiver.start()
    world = await build_world(db, "whrefused")
    await _webhooks_on(world, receiver.url)
    await _fire(world, "submitted", 10)
    async with guarded_client(OutboundPolicy.parse("")) as http:  # loopback not allowed
        await deliver_due(http, now=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5))

    (row,) = await _rows(world)
    assert (row["status"], row["attempts"], row["last_status"]) == ("failed", 1, None)
    assert row["last_error"] == "refused by policy: the receiver's address is not allowed"
    assert receiver.received == []


async def test_a_pending_delivery_whose_endpoint_was_removed_is_given_up_not_posted(
    db: Database, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    """An administrator who takes a receiver out of the configuration (compromised, moved)
    stops its pending deliveries: the next round gives them up without posting, and the
    operator's log says which delivery was given up and why."""
    receiver.start()
    world = await build_world(db, "whremoved")
    await _webhooks_on(world, receiver.url)
    await _fire(world, "returned", 12)
    await _webhooks_on(world, f"http://127.0.0.1:{free_port()}/elsewhere")
    with caplog.at_level(logging.WARNING, logger="nguon.webhooks"):
        async with guarded_client() as http:
            await deliver_due(http, now=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5))

    (row,) = await _rows(world)
    assert (row["status"], row["attempts"], row["last_status"]) == ("failed", 1, None)
    assert row["last_error"] == "endpoint no longer configured"
    assert receiver.received == []
    given_up = f"webhook delivery {row['delivery_id']} given up: endpoint no longer configured"
    assert given_up in [r.getMessage() for r in caplog.records if r.name == "nguon.webhooks"]


async def test_a_round_posts_the_oldest_due_deliveries_first_up_to_its_limit(
    db: Database, receiver: Receiver
) -> None:
    """A round posts what is due by its time (a delivery due at that very instant too),
    oldest first and no more than its limit per tenant; the rest waits for a later round."""
    receiver.start()
    world = await build_world(db, "whdue")
    await _webhooks_on(world, receiver.url)
    for list_id in (1, 2, 3):
        await _fire(world, "submitted", list_id)
    first, second, _ = await _rows(world)

    def posted() -> list[str]:
        return [r.headers["X-Nguon-Delivery"] for r in receiver.received]

    async with guarded_client() as http:
        await deliver_due(http, now=second["next_attempt_at"], limit=1)
        assert posted() == [first["delivery_id"]]
        await deliver_due(http, now=second["next_attempt_at"])
        assert posted() == [first["delivery_id"], second["delivery_id"]]
    assert [(r["status"], r["attempts"]) for r in await _rows(world)] == [
        ("delivered", 1),
        ("delivered", 1),
        ("pending", 0),
    ]


async def test_a_round_takes_at_most_200_deliveries_of_a_province(
    db: Database, receiver: Receiver
) -> None:
    """A backlog (a receiver down for days, then a burst of events) is worked off 200
    deliveries of a province a round, so that one round stays short and other provinces
    are not kept waiting."""
    world = await build_world(db, "whcap")
    await _webhooks_on(world, receiver.url)
    gone = "https://removed.example.vn/hook"  # given up without a request: a fast round
    backlog = [
        WebhookDelivery(
            tenant_id=world.tenant_id,
            delivery_id=str(uuid.uuid4()),
            event_type="list.submitted",
            endpoint_url=gone,
            body="{}",
        )
        for _ in range(201)
    ]
    with tenant_context(world.tenant_id):
        await WebhookDelivery.insert(*backlog).run()
    async with guarded_client() as http:
        await deliver_due(http, now=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5))
    states = [row["status"] for row in await _rows(world)]
    assert states == ["failed"] * 200 + ["pending"]


async def test_rounds_at_the_same_time_post_each_delivery_once(
    db: Database, receiver: Receiver
) -> None:
    """Two delivery rounds at once (two workers, or a worker and ``nguon webhooks deliver``)
    and a round while another's attempt is still in flight post each delivery once: a round
    claims a delivery before posting it, for as long as the attempt may take."""
    slow = Receiver(free_port(), delay=0.6)
    slow.start()
    world = await build_world(db, "whrace")
    await _webhooks_on(world, slow.url)
    for list_id in (1, 2):
        await _fire(world, "submitted", list_id)
    now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    try:
        async with guarded_client() as http:
            await asyncio.gather(deliver_due(http, now=now), deliver_due(http, now=now))
            await _fire(world, "accepted", 3)
            later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
            in_flight = asyncio.create_task(deliver_due(http, now=later))
            await asyncio.sleep(0.3)  # its POST is waiting on the receiver
            await deliver_due(http, now=later + dt.timedelta(seconds=1))
            await in_flight
    finally:
        slow.stop()
    ids = sorted(r.headers["X-Nguon-Delivery"] for r in slow.received)
    assert ids == sorted(r["delivery_id"] for r in await _rows(world))
    assert [(r["status"], r["attempts"]) for r in await _rows(world)] == [("delivered", 1)] * 3


async def test_the_operator_delivers_what_is_due_by_hand_and_reads_the_tally(
    receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``nguon webhooks deliver`` (no worker, the server's loop off) posts every due delivery
    of every tenant once and tells the operator how many arrived, wait for a retry, and
    were given up. (A database of its own: the tally counts every tenant's deliveries.)"""
    url = f"sqlite:///{tmp_path / 'deliver.sqlite'}"
    await migrate(url)
    engine = make_engine(url)
    receiver.start()
    down = f"http://127.0.0.1:{free_port()}/down"
    other = f"http://127.0.0.1:{free_port()}/down-too"
    endpoints = [{"url": u, "secret": SECRET} for u in (receiver.url, down, other)]
    with using_engine(engine):
        database = Database(kind="sqlite", app=engine, owner=engine)
        once, patient = await build_world(database, "whcli"), await build_world(database, "whre")
        with tenant_context(once.tenant_id):
            await save_setting(
                once.tenant_id, "webhooks", True, {"endpoints": endpoints, "max_attempts": 1}
            )
        await _webhooks_on(patient, down)
        for list_id in (1, 2):
            await _fire(once, "submitted", list_id)
        for list_id in (3, 4, 5):
            await _fire(patient, "accepted", list_id)
        monkeypatch.setenv("NGUON_DATABASE_URL", url)

        result = await asyncio.to_thread(CliRunner().invoke, main, ["webhooks", "deliver"])

        assert result.exit_code == 0, result.output
        assert result.output == "2 delivered, 3 to retry, 4 given up.\n"
        assert len(receiver.received) == 2
        states = sorted((r["status"], r["attempts"]) for r in await _rows(once))
        assert states == [("delivered", 1)] * 2 + [("failed", 1)] * 4
        assert [(r["status"], r["attempts"]) for r in await _rows(patient)] == [("pending", 1)] * 3


async def test_the_delivery_log_says_what_kind_of_failure_each_attempt_met(
    db: Database, receiver: Receiver
) -> None:
    """What an administrator reads of a failed attempt: the receiver's status when it
    answered (a redirect is not followed), otherwise the kind of failure only (a closed port
    and a filtered one read alike); each is retried later."""
    slow = Receiver(free_port(), delay=1.5)
    broken, moved, hung_up = (Receiver(free_port(), status=s) for s in (500, 302, None))
    up = [slow, broken, moved, hung_up]
    for each in up:
        each.start()
    expected = {
        receiver.url: (None, "ConnectError: the receiver could not be reached"),
        slow.url: (None, "Timeout: the receiver did not answer in time"),
        broken.url: (500, "HTTP 500"),
        moved.url: (302, "HTTP 302"),
        hung_up.url: (None, "RemoteProtocolError: the exchange with the receiver failed"),
    }
    world = await build_world(db, "whkinds")
    endpoints = [{"url": url, "secret": SECRET} for url in expected]
    with tenant_context(world.tenant_id):
        await save_setting(
            world.tenant_id, "webhooks", True, {"endpoints": endpoints, "timeout_seconds": 0.5}
        )
    await _fire(world, "submitted", 11)
    try:
        async with guarded_client() as http:
            await deliver_due(http, now=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5))
    finally:
        for each in up:
            each.stop()

    rows = await _rows(world)
    assert {r["endpoint_url"]: (r["last_status"], r["last_error"]) for r in rows} == expected
    assert {(r["status"], r["attempts"]) for r in rows} == {("pending", 1)}
    assert [len(each.received) for each in (broken, moved, hung_up)] == [1, 1, 1]


async def test_the_tenant_admin_sees_the_delivery_log(
    db: Database, client: AppClient, receiver: Receiver
) -> None:
    world = await build_world(db, "whlog")
    await _webhooks_on(world, receiver.url, max_attempts=1)
    await _fire(world, "accepted", 5)
    async with guarded_client() as http:
        await deliver_due(http)

    admin = await token_for(client, world.slug, "admin")
    url = f"/t/{world.slug}/api/v1/admin/webhooks/deliveries"
    (entry,) = (await client.get(url, headers=admin)).json()
    assert entry["status"] == "failed"
    assert entry["attempts"] == 1
    assert entry["event_type"] == "list.accepted"
    assert entry["last_error"].startswith("ConnectError")
    assert (await client.get(f"{url}?status=pending", headers=admin)).json() == []
    editor = await token_for(client, world.slug, "cell_x_editor")
    assert (await client.get(url, headers=editor)).status_code == 403


async def test_an_operator_can_switch_the_servers_delivery_loop_off(
    sqlite_db: Database, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite the server posts due deliveries by itself — woken by a new event, and every
    ``NGUON_WEBHOOK_POLL_SECONDS`` for what came due meanwhile (retries, events of before
    it started) — unless the operator says ``NGUON_WEBHOOK_WORKER=off`` (or 0, false, no,
    in any case): then nothing is posted until ``nguon webhooks deliver`` runs."""
    receiver.start()
    world = await build_world(sqlite_db, "whloop")
    await _webhooks_on(world, receiver.url)
    for list_id, setting in enumerate(("off", "OFF", "0", "false", "No", "on", None)):
        if setting is None:
            monkeypatch.delenv(WORKER_ENV, raising=False)
        else:
            monkeypatch.setenv(WORKER_ENV, setting)
        # "on": polling only every 30 s, so the event must wake the loop to arrive at once.
        monkeypatch.setenv(POLL_ENV, "30" if setting == "on" else "0.05")
        if setting is None:  # due before the server started: found by polling
            await _fire(world, "submitted", list_id)
        app = create_app(app_settings(), engine=sqlite_db.app)
        for hook in app.on_startup:
            await hook()
        try:
            if setting is not None:
                await _fire(world, "submitted", list_id)
            # Woken at once, or polling every 0.05 s: it arrives well within 5 s (a loaded CI
            # machine took over 0.4 s), and a loop not woken ("on" polls every 30 s) would not.
            # Switched off, 0.4 s would have seen a loop left on poll.
            for _ in range(100 if setting in {"on", None} else 8):
                await asyncio.sleep(0.05)
                if len(receiver.received) > list_id:
                    break
        finally:
            for hook in app.on_shutdown:
                await hook()
        posted = [json.loads(r.body)["data"]["list"]["id"] for r in receiver.received]
        if setting in {"on", None}:
            assert posted[-1] == list_id, setting
        else:
            assert list_id not in posted, setting
            async with guarded_client() as http:
                await deliver_due(http, now=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5))
            assert len(receiver.received) == list_id + 1, setting


async def test_a_failed_round_of_the_servers_loop_is_logged_and_the_loop_goes_on(
    sqlite_db: Database,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A delivery round that fails (the database restarting, say) is written to the
    server's log with its cause, and the server's loop goes on: a later round posts what
    is due."""
    receiver.start()
    world = await build_world(sqlite_db, "whflaky")
    await _webhooks_on(world, receiver.url)
    await _fire(world, "submitted", 1)
    restarting = ConnectionError("the database is restarting")
    rounds: list[int] = []

    async def first_round_fails(client: httpx.AsyncClient) -> outbox.DeliveryReport:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise restarting
        return await deliver_due(client)

    monkeypatch.setattr(outbox, "deliver_due", first_round_fails)
    monkeypatch.setenv(POLL_ENV, "0.05")
    monkeypatch.delenv(WORKER_ENV, raising=False)
    app = create_app(app_settings(), engine=sqlite_db.app)
    for hook in app.on_startup:
        await hook()
    try:
        for _ in range(200):  # up to 10 s: a loaded CI machine runs a round late
            await asyncio.sleep(0.05)
            if receiver.received:
                break
    finally:
        for hook in app.on_shutdown:
            await hook()

    assert len(receiver.received) == 1 and len(rounds) >= 2
    err = capsys.readouterr().err.splitlines()
    logged = [json.loads(line) for line in err if line.startswith("{")]
    (failed,) = [line for line in logged if line.get("logger") == "nguon.webhooks"]
    assert (failed["level"], failed["message"]) == ("error", "webhook delivery round failed")
    assert failed["exception"].endswith("ConnectionError: the database is restarting")


async def _timed(client: AppClient, url: str, headers: dict[str, str], n: int) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = await client.get(url, headers=headers)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200
    return times


async def test_the_portal_stays_fast_while_a_slow_receiver_is_being_delivered_to(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = Receiver(free_port(), delay=1.5)
    slow.start()
    monkeypatch.setenv(POLL_ENV, "0.2")
    world = await build_world(db, "whfast")
    await _webhooks_on(world, slow.url, timeout_seconds=10)
    app = create_app(app_settings(), engine=db.app)
    for hook in app.on_startup:
        await hook()
    # On Postgres deliveries are jobs that `nguon worker` runs, in a process of its own.
    jobs = start_worker() if db.kind == "postgres" else None
    try:
        async with AppClient(app) as client:
            admin = await token_for(client, world.slug, "admin")
            url = f"/t/{world.slug}/api/v1/units"
            baseline = await _timed(client, url, admin, 20)
            started = time.perf_counter()
            for list_id in range(8):
                await _fire(world, "submitted", list_id)
            fired = time.perf_counter() - started
            await asyncio.sleep(0.1)  # the worker is now waiting on the receiver
            during = await _timed(client, url, admin, 20)
            for _ in range(100):
                if len(slow.received) == 8:
                    break
                await asyncio.sleep(0.1)
    finally:
        for hook in app.on_shutdown:
            await hook()
        if jobs is not None:
            stop(jobs)
        slow.stop()

    print(
        f"\n[webhooks] {db.kind}: 8 events enqueued in {fired * 1000:.1f} ms; "
        f"GET median {statistics.median(baseline) * 1000:.1f} ms before, "
        f"{statistics.median(during) * 1000:.1f} ms while a 1.5 s receiver was posted to "
        f"(max {max(during) * 1000:.1f} ms)"
    )
    assert fired < 1.5  # the events did not wait for the receiver
    assert max(during) < 0.75  # no request waited for the slow receiver
    assert statistics.median(during) < statistics.median(baseline) * 3 + 0.05
    assert len(slow.received) == 8
    assert len({r.headers["X-Nguon-Delivery"] for r in slow.received}) == 8


async def test_a_decision_that_moves_a_candidate_becomes_a_signed_webhook_event(
    db: Database, client: AppClient, receiver: Receiver
) -> None:
    world = await build_world(db, "wh-stage")
    quiet = await build_world(db, "wh-stage-off")
    await _webhooks_on(world, receiver.url)
    for place in (world, quiet):
        admin = await token_for(client, place.slug, "admin")
        base = f"/t/{place.slug}/api/v1"
        created = await client.post(
            f"{base}/candidates", json=candidate_body(place.units["cell_x"]), headers=admin
        )
        assert created.status_code == 201, created.text
        removed = await client.post(
            f"{base}/candidates/{created.json()['id']}/stage",
            json={"version": 1, "to_stage": "removed", "reason": "Chuyển công tác nơi khác"},
            headers=admin,
        )
        assert removed.status_code == 200, removed.text

    rows = await _rows(world)
    assert [r["event_type"] for r in rows] == ["candidate.stage_changed"]
    change = json.loads(rows[0]["body"])["data"]["change"]
    assert (change["from_stage"], change["to_stage"]) == ("surveyed", "removed")
    assert change["reason"] == "Chuyển công tác nơi khác"
    assert await _rows(quiet) == []
