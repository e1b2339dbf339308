"""Write audit events; sensitive fields never reach them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from nguon.audit.tables import AuditEvent
from nguon.tenancy.context import require_tenant

REDACTED_FIELDS = frozenset(
    {"national_id", "national_id_encrypted", "national_id_hash", "password", "password_hash"}
)


class Actor(msgspec.Struct, frozen=True):
    label: str
    user_id: int | None = None


SYSTEM = Actor(label="system")


def _clean(state: dict[str, Any] | None) -> dict[str, Any] | None:
    if state is None:
        return None
    cleaned: dict[str, Any] = {}
    for key, value in state.items():
        if key in REDACTED_FIELDS:
            if value:
                cleaned[key] = "[redacted]"
            continue
        if isinstance(value, dt.date | dt.datetime):
            value = value.isoformat()
        cleaned[key] = value
    return cleaned


async def record_event(
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    await AuditEvent.insert(
        AuditEvent(
            tenant_id=require_tenant(),
            actor=actor.label,
            actor_id=actor.user_id,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            before=_clean(before),
            after=_clean(after),
        )
    ).run()


def changed_fields(
    before: dict[str, Any], after: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose values differ, for a compact audit diff."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
