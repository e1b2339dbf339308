"""kill -9 between a commit and its webhook delivery loses no event, with real server
processes on Postgres and a real receiver.

1. The first server commits list changes, but dispatching their events fails (the app
   role may not update ``pipeline_event`` for a while): committed, not yet delivered.
   It is killed with SIGKILL.
2. The second server's relay dispatches the stored events into the webhook outbox; the
   receiver is down, every attempt fails. It is killed with SIGKILL too.
3. The receiver comes up, a third server starts: every event arrives, signed, once per
   delivery id.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from nguon.outbound.policy import OutboundPolicy, use_outbound_policy
from nguon.pipeline.event_tables import PipelineEvent
from nguon.plugin_admin.service import save_setting
from nguon.plugins_builtin.webhooks.outbox import verify
from nguon.plugins_builtin.webhooks.tables import WebhookDelivery
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant
from tests.conftest import TEST_DATABASE, TEST_ROLES, Database
from tests.jobs.workers import start_worker, worker
from tests.pipeline.conftest import ChainWorld, Driver, build_chain_world
from tests.plugins.receiver import Receiver, free_port
from tests.reliability.servers import running_server

SECRET = "receiver-shared-secret-0123456789"
RECEIVERS = "127.0.0.1/32"
"""The test's receiver listens on loopback: the operator's allow-list lets webhooks post there."""
FAST = {
    "NGUON_WEBHOOK_POLL_SECONDS": "0.2",
    "NGUON_EVENT_RELAY_SECONDS": "1",
    "NGUON_OUTBOUND_ALLOW": RECEIVERS,
}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    down = Receiver(free_port())
    yield down
    down.stop()


@pytest.fixture
async def dispatch_refused(postgres_db: Database) -> AsyncIterator[None]:
    """The app role may not update ``pipeline_event`` until ``allow_dispatch``."""
    with postgres_db.as_owner():
        await PipelineEvent.raw(f"REVOKE UPDATE ON pipeline_event FROM {TEST_ROLES.app}").run()
    yield
    await allow_dispatch(postgres_db)


async def allow_dispatch(db: Database) -> None:
    with db.as_owner():
        await PipelineEvent.raw(f"GRANT UPDATE ON pipeline_event TO {TEST_ROLES.app}").run()


async def _rows(db: Database, world: ChainWorld, table: type) -> list[dict]:
    with db.as_owner(), tenant_context(world.tenant_id):
        return await table.select().where(in_tenant(table)).order_by(table.id)


async def _changes(base: str, world: ChainWorld) -> list[tuple[int, str]]:
    """Lists submitted, returned, submitted again and accepted through the API: the
    (list id, event) each change should deliver."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        drive = Driver(http, world)  # type: ignore[arg-type]
        await drive.candidate("cell_x", "Nguyễn Văn An")
        await drive.candidate("cell_y", "Trần Thị Bình")
        x = (await drive.create("x_editor", "cell_x"))["list"]["id"]
        y = (await drive.create("y_editor", "cell_y"))["list"]["id"]
        await drive.adopt_and_submit("x_editor", x)
        await drive.adopt_and_submit("y_editor", y)
        detail = await drive.ok("commune_approver", "GET", f"/lists/{x}")
        await drive.ok(
            "commune_approver",
            "POST",
            f"/lists/{x}/return",
            json={"version": detail["list"]["version"], "comment": "Bổ sung lý lịch"},
        )
        await drive.adopt_and_submit("x_editor", x)
        await drive.accept("commune_approver", y)
    return sorted(
        [
            (x, "list.submitted"),
            (y, "list.submitted"),
            (x, "list.returned"),
            (x, "list.submitted"),
            (y, "list.accepted"),
        ]
    )


async def test_kill_9_between_commit_and_delivery_loses_no_event(
    postgres_db: Database, receiver: Receiver, dispatch_refused: None, tmp_path: Path
) -> None:
    world = await build_chain_world(postgres_db, "crash")
    config = {"endpoints": [{"url": receiver.url, "secret": SECRET}], "backoff_seconds": 0.3}
    with tenant_context(world.tenant_id), use_outbound_policy(OutboundPolicy.parse(RECEIVERS)):
        await save_setting(world.tenant_id, "webhooks", True, {**config, "max_attempts": 50})
    url = f"postgresql://{TEST_ROLES.app}@127.0.0.1:5432/{TEST_DATABASE}"
    log = tmp_path / "servers.log"

    with running_server(url, log, env=FAST) as first:
        expected = await _changes(first.base, world)
        first.kill_9()
    events = await _rows(postgres_db, world, PipelineEvent)
    assert len(events) == len(expected) == 5
    assert all(e["dispatched_at"] is None for e in events)  # committed, not dispatched
    assert await _rows(postgres_db, world, WebhookDelivery) == []

    await allow_dispatch(postgres_db)
    # The worker relays what the killed server left and runs the deliveries.
    with running_server(url, log, env=FAST) as second:
        jobs = start_worker(log=log)
        for _ in range(300):
            deliveries = await _rows(postgres_db, world, WebhookDelivery)
            if len(deliveries) == 5 and all(d["attempts"] >= 1 for d in deliveries):
                break
            await asyncio.sleep(0.1)
        second.kill_9()
        jobs.kill()
    assert all(
        e["dispatched_at"] is not None for e in await _rows(postgres_db, world, PipelineEvent)
    )
    deliveries = await _rows(postgres_db, world, WebhookDelivery)
    assert [(d["status"], d["attempts"] >= 1) for d in deliveries] == [("pending", True)] * 5
    assert receiver.received == []

    receiver.start()
    with running_server(url, log, env=FAST), worker(log=log):
        for _ in range(300):
            rows = await _rows(postgres_db, world, WebhookDelivery)
            if all(r["status"] == "delivered" for r in rows):
                break
            await asyncio.sleep(0.1)
    rows = await _rows(postgres_db, world, WebhookDelivery)
    assert [r["status"] for r in rows] == ["delivered"] * 5

    by_delivery = {r.headers["X-Nguon-Delivery"]: r for r in receiver.received}
    assert sorted(by_delivery) == sorted(r["delivery_id"] for r in rows)
    for request in by_delivery.values():
        assert verify(SECRET, request.body, request.headers["X-Nguon-Signature"])
    payloads = [json.loads(r.body) for r in by_delivery.values()]
    assert len({p["event_id"] for p in payloads}) == 5
    assert sorted((p["data"]["list"]["id"], p["event"]) for p in payloads) == expected
