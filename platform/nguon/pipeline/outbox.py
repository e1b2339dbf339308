"""The pipeline's event outbox: each event stored with its change, dispatched at least once.

``pipeline_transaction`` stores the events in the transaction of the change and, once
that has committed, dispatches them: the plugins' hooks run inside a new transaction that
also marks the row dispatched, so what the hooks write there (the webhooks plugin's
delivery rows) commits with the mark, or neither does. Whatever a failure or a crash left
undispatched, the relay picks up: on Postgres the worker's periodic job
(``nguon.jobs.tasks``), on SQLite a background task of every server process
(``EventRelay``), and ``nguon webhooks deliver``. On Postgres the row is locked while its
hooks run (``FOR UPDATE SKIP LOCKED``), so two processes never dispatch one event twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

import msgspec

from nguon.db.binding import current_engine
from nguon.db.engine import is_postgres
from nguon.db.transaction import atomic
from nguon.pipeline.event_tables import PipelineEvent
from nguon.pipeline.events import Event, dispatch, event_tenant
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant
from nguon.tenancy.tables import Tenant

MAX_ATTEMPTS = 25
"""Failed dispatches after which the relay leaves an event alone (it stays in the table,
undispatched, with its last error, for an operator)."""
BATCH = 500
"""Events of one change dispatched in one transaction at most."""
SQLITE_GRACE = dt.timedelta(seconds=30)
"""SQLite cannot lock one row: the relay leaves events this young to their request."""

logger = logging.getLogger("nguon.pipeline")

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Event)


class StoredEvent(msgspec.Struct, frozen=True):
    id: int
    tenant_id: int


class RelayReport(msgspec.Struct, kw_only=True):
    dispatched: int = 0
    failed: int = 0


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def store_events(events: list[Event]) -> list[StoredEvent]:
    """Insert ``events`` in the current transaction; their rows, in order."""
    if not events:
        return []
    rows = [
        PipelineEvent(tenant_id=event_tenant(event), body=_encoder.encode(event).decode())
        for event in events
    ]
    await PipelineEvent.insert(*rows)
    return [StoredEvent(id=row.id, tenant_id=row.tenant_id) for row in rows]


async def _claim(tenant_id: int, ids: list[int]) -> list[tuple[int, str]]:
    """The (id, body) of those of ``ids`` still undispatched that no one else holds,
    locked until the transaction ends; in order."""
    lock = " FOR UPDATE SKIP LOCKED" if is_postgres(current_engine()) else ""
    placeholders = ", ".join("{}" for _ in ids)
    rows = await PipelineEvent.raw(
        f"SELECT id, body FROM pipeline_event WHERE tenant_id = {{}} AND id IN ({placeholders}) "
        f"AND dispatched_at IS NULL ORDER BY id{lock}",
        tenant_id,
        *ids,
    )
    return [(row["id"], row["body"]) for row in rows]


async def _dispatch_together(tenant_id: int, ids: list[int]) -> None:
    """One transaction: claim the events, run their hooks, mark them dispatched."""
    with tenant_context(tenant_id):
        async with atomic():
            claimed = await _claim(tenant_id, ids)
            for _, body in claimed:
                await dispatch(_decoder.decode(body))
            if claimed:
                await PipelineEvent.update({PipelineEvent.dispatched_at: _now()}).where(
                    in_tenant(PipelineEvent), PipelineEvent.id.is_in([i for i, _ in claimed])
                )


async def dispatch_stored(stored: StoredEvent) -> bool:
    """Run the hooks of one stored event, unless done already or under way elsewhere.

    Never raises: a failure is rolled back, counted on the row and logged; the relay
    tries again later. False when it failed.
    """
    try:
        await _dispatch_together(stored.tenant_id, [stored.id])
    except Exception as error:
        logger.exception("pipeline event %s not dispatched; it will be retried", stored.id)
        await _count_failure(stored, error)
        return False
    return True


async def dispatch_all(stored: list[StoredEvent]) -> None:
    """The events of one change, in one transaction per tenant (a change may emit
    hundreds); if that fails, one by one, so that one failing event holds back none."""
    batches: dict[int, list[list[int]]] = {}
    for event in stored:
        tenant_batches = batches.setdefault(event.tenant_id, [[]])
        if len(tenant_batches[-1]) == BATCH:
            tenant_batches.append([])
        tenant_batches[-1].append(event.id)
    for tenant_id, ids in ((t, ids) for t, each in batches.items() for ids in each):
        if len(ids) > 1:
            try:
                await _dispatch_together(tenant_id, ids)
                continue
            except Exception:
                logger.warning("dispatching %s events together failed; one by one", len(ids))
        for event_id in ids:
            await dispatch_stored(StoredEvent(id=event_id, tenant_id=tenant_id))


async def _count_failure(stored: StoredEvent, error: Exception) -> None:
    with contextlib.suppress(Exception), tenant_context(stored.tenant_id):
        await PipelineEvent.update(
            {
                PipelineEvent.attempts: PipelineEvent.attempts + 1,
                PipelineEvent.last_error: f"{type(error).__name__}: {error}"[:500],
            }
        ).where(in_tenant(PipelineEvent), PipelineEvent.id == stored.id)


async def relay_pending(limit: int = 500, grace: dt.timedelta | None = None) -> RelayReport:
    """Dispatch every tenant's undispatched events older than ``grace``, oldest first."""
    report = RelayReport()
    if grace is None:
        grace = dt.timedelta(0) if is_postgres(current_engine()) else SQLITE_GRACE
    cutoff = _now() - grace
    with tenant_context(None):
        tenants = await Tenant.select(Tenant.id).order_by(Tenant.id)
    for tenant in tenants:
        with tenant_context(tenant["id"]):
            rows = await (
                PipelineEvent.select(PipelineEvent.id)
                .where(
                    in_tenant(PipelineEvent),
                    PipelineEvent.dispatched_at.is_null(),
                    PipelineEvent.created_at <= cutoff,
                    PipelineEvent.attempts < MAX_ATTEMPTS,
                )
                .order_by(PipelineEvent.id)
                .limit(limit)
            )
        for row in rows:
            if await dispatch_stored(StoredEvent(id=row["id"], tenant_id=tenant["id"])):
                report.dispatched += 1
            else:
                report.failed += 1
    return report


class EventRelay:
    """The background loop of one server process that dispatches what was left over."""

    def __init__(self, poll_seconds: float = 15.0) -> None:
        self.poll_seconds = poll_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="nguon-events")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await relay_pending()
            except Exception:
                logger.exception("pipeline event relay round failed")
            await asyncio.sleep(self.poll_seconds)
