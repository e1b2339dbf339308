"""Reminders already sent: one per unit, period and kind, so none is sent twice."""

from __future__ import annotations

from piccolo.columns import Date, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from nguon.org.tables import OrgUnit
from nguon.tenancy.tables import Tenant


class DeadlineReminder(Table, tablename="deadline_reminder"):
    """Unique per (tenant_id, unit, period_code, kind)."""

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    unit = ForeignKey(OrgUnit, on_delete=OnDelete.restrict, null=False)
    period_code = Varchar(length=32)
    kind = Varchar(length=8)
    """``due`` (the deadline is near) or ``late`` (it has passed without a list)."""
    deadline = Date()
    sent_at = Timestamptz(default=TimestamptzNow())
