"""The tenant table: one row per province. It is not tenant-scoped itself."""

from __future__ import annotations

from piccolo.columns import JSON, Date, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Tenant(Table, tablename="tenant"):
    slug = Varchar(length=64, unique=True, index=True)
    name = Varchar(length=200)
    rules_package = Varchar(length=64)
    settings = JSON(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())
    merged_into = Varchar(length=64, null=True, default=None)
    """The slug of the tenant this one was merged into; set, the tenant is closed."""
    merged_on = Date(null=True, default=None)
