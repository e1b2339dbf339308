"""Webhook deliveries as jobs: queued with their outbox rows, posted once however many
jobs name a delivery, and a failed attempt queued again for the delivery's backoff."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest

from nguon.app import create_app
from nguon.db.transaction import atomic
from nguon.jobs.enqueue import enqueue
from nguon.jobs.runner import drain_queue
from nguon.outbound import OutboundPolicy, use_outbound_policy
from nguon.plugin_admin.service import save_setting
from nguon.plugins_builtin.webhooks.outbox import DELIVER_TASK
from nguon.plugins_builtin.webhooks.plugin import POLL_ENV, WORKER_ENV
from nguon.plugins_builtin.webhooks.tables import WebhookDelivery
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant
from tests.conftest import Database
from tests.http.conftest import World, app_settings, build_world
from tests.jobs.world import admin_connection
from tests.plugins.receiver import Receiver, free_port
from tests.plugins.test_webhooks import _fire

pytestmark = pytest.mark.postgres

SECRET = "a-secret-of-sixteen-or-more"
LOOPBACK = OutboundPolicy.parse("127.0.0.1/32")


class Rollback(Exception):
    pass


@pytest.fixture(autouse=True)
def loopback_allowed() -> Iterator[None]:
    """The operator's allow-list lets webhooks post to the test's receiver on loopback."""
    with use_outbound_policy(LOOPBACK):
        yield


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    down = Receiver(free_port())
    yield down
    down.stop()


async def _webhooks_on(world: World, receiver: Receiver) -> None:
    config = {"endpoints": [{"url": receiver.url, "secret": SECRET}], "backoff_seconds": 0.3}
    with tenant_context(world.tenant_id):
        await save_setting(world.tenant_id, "webhooks", True, config)


async def _deliveries(world: World) -> list[dict]:
    with tenant_context(world.tenant_id):
        return await WebhookDelivery.select().where(in_tenant(WebhookDelivery))


async def _jobs(delivery: int) -> list[tuple[str, bool]]:
    return [(status, later) for status, later, _ in await _queued(delivery)]


async def _queued(delivery: int) -> list[tuple[str, bool, str | None]]:
    """Each job naming ``delivery``: its status, whether it waits for a later time, its lock."""
    connection = await admin_connection()
    try:
        rows = await connection.fetch(
            "SELECT status::text, scheduled_at IS NOT NULL AS later, lock FROM procrastinate_jobs"
            " WHERE task_name = $1 AND (args->>'delivery')::int = $2 ORDER BY id",
            DELIVER_TASK,
            delivery,
        )
    finally:
        await connection.close()
    return [(row["status"], row["later"], row["lock"]) for row in rows]


async def test_a_delivery_is_queued_with_its_row_and_posted_once(
    postgres_db: Database, receiver: Receiver
) -> None:
    world = await build_world(postgres_db, "jobs-hook")
    await _webhooks_on(world, receiver)
    with tenant_context(world.tenant_id):
        with pytest.raises(Rollback):
            async with atomic():
                await _fire(world, "submitted", 1)
                raise Rollback
        assert await _deliveries(world) == []
        async with atomic():
            await _fire(world, "submitted", 2)
    [row] = await _deliveries(world)
    # Its jobs run one at a time: a retry never overlaps an attempt still in flight.
    assert await _queued(row["id"]) == [("todo", False, f"webhook:{row['id']}")]
    with tenant_context(world.tenant_id):  # a second job naming the same delivery
        await enqueue(DELIVER_TASK, world.tenant_id, delivery=row["id"])

    receiver.start()
    await drain_queue()
    assert [r.headers["X-Nguon-Delivery"] for r in receiver.received] == [row["delivery_id"]]
    event = json.loads(receiver.received[0].body)  # the list submitted, not the rolled back
    assert (event["event"], event["data"]["list"]["id"]) == ("list.submitted", 2)
    [delivered] = await _deliveries(world)
    assert (delivered["status"], delivered["attempts"]) == ("delivered", 1)
    assert await _jobs(row["id"]) == [("succeeded", False), ("succeeded", False)]


async def test_a_failed_attempt_is_queued_again_for_the_deliverys_backoff(
    postgres_db: Database, receiver: Receiver
) -> None:
    world = await build_world(postgres_db, "jobs-hook-retry")
    await _webhooks_on(world, receiver)
    with tenant_context(world.tenant_id):
        async with atomic():
            await _fire(world, "accepted", 3)
    [row] = await _deliveries(world)
    await drain_queue()  # the receiver is down
    [failed] = await _deliveries(world)
    assert (failed["status"], failed["attempts"]) == ("pending", 1)
    assert await _jobs(row["id"]) == [("succeeded", False), ("todo", True)]
    receiver.start()
    for _ in range(50):
        await drain_queue()
        if (await _deliveries(world))[0]["status"] == "delivered":
            break
        await asyncio.sleep(0.1)
    [delivered] = await _deliveries(world)
    assert (delivered["status"], delivered["attempts"]) == ("delivered", 2)
    assert len(receiver.received) == 1


async def test_on_postgres_the_web_server_leaves_deliveries_to_the_workers_jobs(
    postgres_db: Database, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Postgres the web server runs no delivery loop of its own (its processes would
    race the workers): an event waits for its job, which ``nguon worker`` runs."""
    monkeypatch.delenv(WORKER_ENV, raising=False)
    monkeypatch.setenv(POLL_ENV, "0.05")
    receiver.start()
    world = await build_world(postgres_db, "jobs-hook-server")
    await _webhooks_on(world, receiver)
    app = create_app(app_settings(), engine=postgres_db.app)
    for hook in app.on_startup:
        await hook()
    try:
        with tenant_context(world.tenant_id):
            async with atomic():
                await _fire(world, "submitted", 4)
        await asyncio.sleep(0.5)
        assert receiver.received == []
    finally:
        for hook in app.on_shutdown:
            await hook()
    await drain_queue()
    [row] = await _deliveries(world)
    assert [r.headers["X-Nguon-Delivery"] for r in receiver.received] == [row["delivery_id"]]
