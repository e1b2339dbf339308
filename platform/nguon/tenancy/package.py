"""The current tenant's rules package: its guidance, parameters and structure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nguon.db import plain
from nguon.errors import NotFound
from nguon.rules.package import RulesPackage
from nguon.rules.registry import load_package
from nguon.tenancy.context import require_tenant

if TYPE_CHECKING:
    from nguon.accounts.permissions import Access


async def tenant_package_id() -> str:
    """The id of the current tenant's rules package."""
    rows = await plain.fetch("SELECT rules_package FROM tenant WHERE id = {}", require_tenant())
    if not rows:
        raise NotFound("tenant")
    return rows[0]["rules_package"]


async def tenant_package() -> RulesPackage:
    return load_package(await tenant_package_id())


async def package_id_for(access: Access) -> str:
    """The id of the tenant's rules package as read with the request's ``access`` (on
    Postgres, in the same query), else read now."""
    if access.rules_package is not None and access.tenant_id == require_tenant():
        return access.rules_package
    return await tenant_package_id()
