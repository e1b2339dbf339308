"""Append-only audit events: who did what, when, with the state before and after."""

from __future__ import annotations

from piccolo.columns import JSON, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from nguon.tenancy.tables import Tenant


class AuditEvent(Table, tablename="audit_event"):
    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    at = Timestamptz(default=TimestamptzNow())
    actor_id = Integer(null=True, default=None)
    actor = Varchar(length=200)
    action = Varchar(length=64)
    entity_type = Varchar(length=64)
    entity_id = Integer(null=True, default=None)
    before = JSON(null=True, default=None)
    after = JSON(null=True, default=None)
