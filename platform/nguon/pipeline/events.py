"""Pipeline events for plugins, called after the commit: a list submitted, returned or
accepted, and a candidate moved to another stage by a decision.

Services ``emit`` inside a ``pipeline_transaction()``. The events are stored in the
``pipeline_event`` outbox by that same transaction, and the hooks run only once it has
committed, so a plugin never sees a change that was rolled back and no committed change
loses its event: what a failure or a crash left undispatched is dispatched later by the
relay (``nguon.pipeline.outbox``). Hooks run at least once per event.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from functools import partial
from typing import Literal

import msgspec

from nguon.audit.service import Actor
from nguon.db.transaction import after_commit, atomic, in_atomic
from nguon.hook_events import ListSummary, StageChangeSummary
from nguon.plugin_admin.service import load_tenant_plugins
from nguon.plugins import call_tenant_hook

EventKind = Literal["submitted", "returned", "accepted"]


class ListEvent(msgspec.Struct, kw_only=True, frozen=True, tag="list"):
    kind: EventKind
    candidate_list: ListSummary
    actor: Actor
    comment: str = ""


class StageEvent(msgspec.Struct, kw_only=True, frozen=True, tag="stage"):
    change: StageChangeSummary
    actor: Actor


Event = ListEvent | StageEvent


def event_tenant(event: Event) -> int:
    if isinstance(event, StageEvent):
        return event.change.tenant_id
    return event.candidate_list.tenant_id


_pending: ContextVar[list[Event] | None] = ContextVar("nguon_pipeline_events", default=None)


def emit(event: Event) -> None:
    pending = _pending.get()
    if pending is None:
        raise RuntimeError("list events are emitted inside pipeline_transaction()")
    pending.append(event)


async def dispatch(event: Event) -> None:
    """Call the event's hook on the plugins switched on for the event's tenant."""
    plugins = await load_tenant_plugins(event_tenant(event))
    if isinstance(event, StageEvent):
        await call_tenant_hook(
            plugins, "candidate_stage_changed", change=event.change, actor=event.actor
        )
        return
    kwargs = {"candidate_list": event.candidate_list, "actor": event.actor}
    if event.kind == "returned":
        kwargs["comment"] = event.comment
    await call_tenant_hook(plugins, f"list_{event.kind}", **kwargs)


@asynccontextmanager
async def pipeline_transaction() -> AsyncIterator[None]:
    """One transaction for a pipeline change and its events; hooks run after the commit."""
    from nguon.pipeline.outbox import dispatch_all, store_events  # it imports this module

    pending: list[Event] = []
    token = _pending.set(pending)
    joined = in_atomic()
    try:
        async with atomic():
            yield
            stored = await store_events(pending)
            # Inside a wider transaction (an Idempotency-Key request), hooks wait for it.
            if joined and after_commit(partial(dispatch_all, stored)):
                stored = []
    finally:
        _pending.reset(token)
    await dispatch_all(stored)
