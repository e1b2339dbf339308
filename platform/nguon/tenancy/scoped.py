"""Tenant-scoped lookups: the only way services reach tenant-owned rows.

An id that belongs to another tenant behaves exactly like an id that does not exist.
"""

from __future__ import annotations

from piccolo.columns.combination import Where
from piccolo.table import Table

from nguon.db.binding import current_engine
from nguon.db.engine import SET_TENANT_SQL, is_postgres
from nguon.tenancy.context import current_tenant_id, require_tenant


def in_tenant(table: type[Table]) -> Where:
    """The WHERE clause every query of a tenant table carries."""
    return table.tenant_id == require_tenant()  # type: ignore[attr-defined]


async def switch_tenant_in_transaction(tenant_id: int) -> None:
    """Set the tenant for the rest of the open transaction (onboarding a new tenant)."""
    current_tenant_id.set(tenant_id)
    engine = current_engine()
    if is_postgres(engine):
        transaction = engine.current_transaction.get()
        if transaction is None:
            raise RuntimeError("switch_tenant_in_transaction needs an open transaction")
        await transaction.connection.execute(SET_TENANT_SQL, str(tenant_id), True)
