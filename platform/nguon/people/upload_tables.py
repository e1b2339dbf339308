"""Imported sheets (members, candidates) kept for the job that reads them, and to know a
file imported twice."""

from __future__ import annotations

from piccolo.columns import Bytea, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from nguon.tenancy.tables import Tenant


class MemberUpload(Table, tablename="member_upload"):
    """An uploaded sheet of members or candidates (``kind``): its bytes, their SHA-256, who
    sent it for which unit, and what its import job found (``state``: queued, imported or
    refused)."""

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    unit_id = Integer()
    user_id = Integer()
    filename = Varchar(length=255)
    digest = Varchar(length=64)
    content = Bytea()
    job_id = Varchar(length=40)
    state = Varchar(length=16, default="queued")
    created = Integer(null=True, default=None)
    problems = Text(default="[]")
    """The located problems as JSON (row, column, message), when refused."""
    uploaded_at = Timestamptz(default=TimestamptzNow())
    kind = Varchar(length=16, default="members")
    """What the sheet holds: "members" or "candidates"."""
