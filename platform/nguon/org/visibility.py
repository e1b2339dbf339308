"""The units a user may see: the subtrees of their grants, within the tenant."""

from __future__ import annotations

from typing import Any

from nguon.accounts.permissions import Access
from nguon.errors import NotFound
from nguon.org.schemas import UnitOut
from nguon.org.tables import OrgUnit
from nguon.reports.structure import Tree
from nguon.tenancy.scoped import in_tenant


def unit_out(row: dict[str, Any], access: Access) -> UnitOut:
    return UnitOut(
        id=row["id"],
        parent_id=row["parent"],
        code=row["code"],
        name=row["name"],
        kind=row["kind"],
        bloc=row["bloc"],
        path=row["path"],
        depth=row["depth"],
        valid_from=row["valid_from"],
        valid_to=row["valid_to"],
        role=access.role_on(row["path"]) or "",
    )


async def visible_units(access: Access, parent_id: int | None = None) -> list[UnitOut]:
    """Every unit the user may see, parents before children; or one unit's visible children."""
    clause = access.visibility(OrgUnit.path)
    if clause is None:
        return []
    query = OrgUnit.select().where(in_tenant(OrgUnit), clause)
    if parent_id is not None:
        query = query.where(OrgUnit.parent == parent_id)
    rows = await query.order_by(OrgUnit.path).run()
    return [unit_out(row, access) for row in rows]


async def unit_in_reach(access: Access, unit_id: int) -> dict[str, Any]:
    """The unit's row if the caller may see it. A unit missing, of another tenant or out of
    the caller's reach is the same 404 wherever it is named: path, query or body."""
    row = await OrgUnit.select().where(in_tenant(OrgUnit), OrgUnit.id == unit_id).first().run()
    if row is None or not access.can_see(row["path"]):
        raise NotFound("unit")
    return row


async def get_visible_unit(access: Access, unit_id: int) -> UnitOut:
    return unit_out(await unit_in_reach(access, unit_id), access)


async def visible_unit_in(tree: Tree, access: Access, unit_id: int) -> UnitOut:
    """:func:`get_visible_unit` from the tenant's kept ``tree`` where there is one (the
    same 404 for a unit missing, of another tenant or out of reach)."""
    if tree.key is None:
        return await get_visible_unit(access, unit_id)
    row = tree.units.get(unit_id)
    if row is None or not access.can_see(row["path"]):
        raise NotFound("unit")
    return unit_out(row, access)


async def granted_units(access: Access) -> list[UnitOut]:
    """The top units of the user's grants (what the portal's home page lists)."""
    prefixes = access.visible_prefixes()
    if not prefixes:
        return []
    query = OrgUnit.select().where(in_tenant(OrgUnit))
    if "" in prefixes:
        query = query.where(OrgUnit.parent.is_null())
    else:
        query = query.where(OrgUnit.path.is_in(prefixes))
    rows = await query.order_by(OrgUnit.path).run()
    return [unit_out(row, access) for row in rows]
