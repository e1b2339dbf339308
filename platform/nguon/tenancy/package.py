"""The current tenant's rules package: its guidance, parameters and structure."""

from __future__ import annotations

from nguon.errors import NotFound
from nguon.rules.package import RulesPackage
from nguon.rules.registry import load_package
from nguon.tenancy.context import require_tenant
from nguon.tenancy.tables import Tenant


async def tenant_package_id() -> str:
    """The id of the current tenant's rules package."""
    row = await (
        Tenant.select(Tenant.rules_package).where(Tenant.id == require_tenant()).first().run()
    )
    if row is None:
        raise NotFound("tenant")
    return row["rules_package"]


async def tenant_package() -> RulesPackage:
    return load_package(await tenant_package_id())
