"""The pipeline's event outbox: each event stored with its change, dispatched at least once.

``pipeline_transaction`` stores the events in the transaction of the change and, once
that has committed, dispatches them: the plugins' hooks run inside a new transaction that
also marks the row dispatched, so what the hooks write there (the webhooks plugin's
delivery rows) commits with the mark, or neither does. Whatever a failure or a crash left
undispatched, the relay picks up: a background task of every server process
(``EventRelay``) and ``nguon webhooks deliver``. On Postgres the row is locked while its
hooks run (``FOR UPDATE SKIP LOCKED``), so two processes never dispatch one event twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

import msgspec

from nguon.api.transaction import atomic
from nguon.db.binding import current_engine
from nguon.db.engine import is_postgres
from nguon.pipeline.event_tables import PipelineEvent
from nguon.pipeline.events import Event, dispatch, event_tenant
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant
from nguon.tenancy.tables import Tenant

MAX_ATTEMPTS = 25
"""Failed dispatches after which the relay leaves an event alone (it stays in the table,
undispatched, with its last error, for an operator)."""
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


async def _claim(stored: StoredEvent) -> str | None:
    """The event's body if it is still undispatched and no one else holds it (locked)."""
    lock = " FOR UPDATE SKIP LOCKED" if is_postgres(current_engine()) else ""
    rows = await PipelineEvent.raw(
        "SELECT body FROM pipeline_event "
        "WHERE id = {} AND tenant_id = {} AND dispatched_at IS NULL" + lock,
        stored.id,
        stored.tenant_id,
    )
    return rows[0]["body"] if rows else None


async def dispatch_stored(stored: StoredEvent) -> bool:
    """Run the hooks of one stored event, unless done already or under way elsewhere.

    Never raises: a failure is rolled back, counted on the row and logged; the relay
    tries again later. False when it failed.
    """
    try:
        with tenant_context(stored.tenant_id):
            async with atomic():
                body = await _claim(stored)
                if body is None:
                    return True
                await dispatch(_decoder.decode(body))
                await PipelineEvent.update({PipelineEvent.dispatched_at: _now()}).where(
                    in_tenant(PipelineEvent), PipelineEvent.id == stored.id
                )
    except Exception as error:
        logger.exception("pipeline event %s not dispatched; it will be retried", stored.id)
        await _count_failure(stored, error)
        return False
    return True


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
