"""Pipeline events are stored by the transaction of their change and dispatched at least
once: a rollback leaves no event, a dispatch that never ran (a crash) or failed is done by
the relay, and the webhooks plugin's deliveries are written exactly once per event."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from nguon.audit.service import Actor
from nguon.hook_events import ListSummary
from nguon.hooks import hookimpl
from nguon.pipeline import outbox
from nguon.pipeline.event_tables import PipelineEvent
from nguon.pipeline.events import ListEvent, emit, pipeline_transaction
from nguon.pipeline.outbox import relay_pending
from nguon.plugin_admin.service import save_setting
from nguon.plugins import get_plugin_manager
from nguon.plugins_builtin.webhooks.tables import WebhookDelivery
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant
from tests.conftest import Database
from tests.http.conftest import World, build_world

NOW = outbox.dt.timedelta(0)


class Refused(Exception):
    pass


def _submitted(world: World, list_id: int) -> ListEvent:
    return ListEvent(
        kind="submitted",
        candidate_list=ListSummary(
            id=list_id,
            tenant_id=world.tenant_id,
            unit_id=world.units["cell_x"],
            step="survey",
            period="2025-annual",
            state="submitted",
            version=2,
            receiver_unit_id=world.units["commune_1"],
        ),
        actor=Actor(label="user:cell_x_editor", user_id=7),
    )


async def _webhooks_world(db: Database, prefix: str) -> World:
    world = await build_world(db, prefix)
    config = {"endpoints": [{"url": "https://hooks.example.org/hook", "secret": "s" * 32}]}
    with tenant_context(world.tenant_id):
        await save_setting(world.tenant_id, "webhooks", True, config)
    return world


async def _change_with_events(world: World, *list_ids: int) -> None:
    with tenant_context(world.tenant_id):
        async with pipeline_transaction():
            for list_id in list_ids:
                emit(_submitted(world, list_id))


async def _deliveries(world: World) -> list[int]:
    """The list id of each webhook delivery row, in order."""
    with tenant_context(world.tenant_id):
        rows = await WebhookDelivery.select(WebhookDelivery.body).where(in_tenant(WebhookDelivery))
    return sorted(outbox.msgspec.json.decode(r["body"])["data"]["list"]["id"] for r in rows)


async def _events(world: World) -> list[dict]:
    with tenant_context(world.tenant_id):
        return (
            await PipelineEvent.select().where(in_tenant(PipelineEvent)).order_by(PipelineEvent.id)
        )


@pytest.fixture
def crash_after_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The process dies right after the change commits: its dispatch never runs."""

    async def never(stored: list[outbox.StoredEvent]) -> None:
        return None

    monkeypatch.setattr(outbox, "dispatch_all", never)


class FailingPlugin:
    """A plugin whose hook, run after the webhooks plugin has written its rows, fails in
    the database (the dispatch transaction is aborted) for the lists in ``failing``."""

    def __init__(self) -> None:
        self.failing = {1}

    @hookimpl(trylast=True)
    def list_submitted(self, candidate_list, actor) -> object:
        return self._write(candidate_list.id)

    async def _write(self, list_id: int) -> None:
        if list_id in self.failing:
            await PipelineEvent.raw("SELECT 1 / 0").run()


@pytest.fixture
def failing_plugin() -> Iterator[FailingPlugin]:
    plugin = FailingPlugin()
    manager = get_plugin_manager()
    manager.register(plugin, name="test-failing-plugin")
    yield plugin
    manager.unregister(name="test-failing-plugin")


async def test_events_are_stored_and_dispatched_with_their_change(db: Database) -> None:
    world = await _webhooks_world(db, "outbox-ok")
    await _change_with_events(world, 1, 2)
    events = await _events(world)
    assert len(events) == 2
    assert all(e["dispatched_at"] is not None and e["attempts"] == 0 for e in events)
    assert await _deliveries(world) == [1, 2]
    assert (await relay_pending(grace=NOW)).dispatched == 0  # nothing left over
    assert await _deliveries(world) == [1, 2]


async def test_a_change_rolled_back_leaves_no_event_and_no_delivery(db: Database) -> None:
    world = await _webhooks_world(db, "outbox-rollback")
    with pytest.raises(Refused), tenant_context(world.tenant_id):
        async with pipeline_transaction():
            emit(_submitted(world, 1))
            raise Refused("the change is refused after the event was emitted")
    assert await _events(world) == []
    assert await _deliveries(world) == []


async def test_a_crash_between_the_commit_and_the_dispatch_loses_no_event(
    db: Database, crash_after_commit: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await _webhooks_world(db, "outbox-crash")
    await _change_with_events(world, 1, 2, 3)
    assert [e["dispatched_at"] for e in await _events(world)] == [None] * 3
    assert await _deliveries(world) == []

    monkeypatch.undo()  # the next process
    report = await relay_pending(grace=NOW)
    assert (report.dispatched, report.failed) == (3, 0)
    assert await _deliveries(world) == [1, 2, 3]
    assert (await relay_pending(grace=NOW)).dispatched == 0
    assert await _deliveries(world) == [1, 2, 3]


async def test_a_failed_dispatch_writes_nothing_and_is_retried_until_it_succeeds(
    postgres_db: Database, failing_plugin: FailingPlugin
) -> None:
    world = await _webhooks_world(postgres_db, "outbox-retry")
    await _change_with_events(world, 1)
    [event] = await _events(world)
    assert event["dispatched_at"] is None
    assert event["attempts"] == 1
    assert event["last_error"].startswith("InFailedSQLTransactionError")
    assert await _deliveries(world) == []  # the webhook rows were rolled back with it

    assert (await relay_pending(grace=NOW)).failed == 1
    failing_plugin.failing = set()
    assert (await relay_pending(grace=NOW)).dispatched == 1
    assert await _deliveries(world) == [1]
    [event] = await _events(world)
    assert event["dispatched_at"] is not None and event["attempts"] == 2


async def test_one_failing_event_of_a_change_holds_back_none_of_the_others(
    postgres_db: Database, failing_plugin: FailingPlugin
) -> None:
    world = await _webhooks_world(postgres_db, "outbox-batch")
    failing_plugin.failing = {2}
    await _change_with_events(world, 1, 2, 3)
    events = await _events(world)
    assert [(e["dispatched_at"] is not None, e["attempts"]) for e in events] == [
        (True, 0),
        (False, 1),
        (True, 0),
    ]
    assert await _deliveries(world) == [1, 3]
    failing_plugin.failing = set()
    assert (await relay_pending(grace=NOW)).dispatched == 1
    assert await _deliveries(world) == [1, 2, 3]


async def test_relays_of_two_processes_at_once_dispatch_each_event_once(
    postgres_db: Database, crash_after_commit: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await _webhooks_world(postgres_db, "outbox-race")
    await _change_with_events(world, *range(1, 21))
    monkeypatch.undo()
    reports = await asyncio.gather(*(relay_pending(grace=NOW) for _ in range(4)))
    assert sum(r.dispatched for r in reports) >= 20
    assert sum(r.failed for r in reports) == 0
    assert await _deliveries(world) == list(range(1, 21))
