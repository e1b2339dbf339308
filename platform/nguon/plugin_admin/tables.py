"""One row per tenant and plugin the tenant has configured."""

from __future__ import annotations

from piccolo.columns import JSON, Boolean, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from nguon.tenancy.tables import Tenant


class TenantPlugin(Table, tablename="tenant_plugin"):
    """A per-tenant plugin's switch and settings for one tenant (unique per tenant+name)."""

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    name = Varchar(length=64)
    enabled = Boolean(default=False)
    config = JSON(default="{}")
    updated_at = Timestamptz(default=TimestamptzNow())
