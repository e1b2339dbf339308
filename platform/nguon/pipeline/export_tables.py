"""Spreadsheets of large lists made by a job, kept for the user who asked for them."""

from __future__ import annotations

from piccolo.columns import Bytea, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from nguon.tenancy.tables import Tenant


class ListExport(Table, tablename="list_export"):
    """A list's file asked for by ``user_id``: the options it was asked with, then the
    file (``state``: queued, done or failed). Removed ``KEPT_HOURS`` after it was asked."""

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    list_id = Integer()
    user_id = Integer()
    format = Varchar(length=16)
    number = Varchar(length=20, default="")
    signer = Varchar(length=120, default="")
    job_id = Varchar(length=40)
    state = Varchar(length=16, default="queued")
    filename = Varchar(length=255, default="")
    media_type = Varchar(length=120, default="")
    content = Bytea(null=True, default=None)
    requested_at = Timestamptz(default=TimestamptzNow())
