"""The reporting chain a list takes: from its unit, each receiver up to the top, found the
way submitting finds it (``pipeline.chain``) on the list's period's first day."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath

from nguon.accounts.permissions import Access
from nguon.org.tables import OrgUnit
from nguon.pipeline import chain
from nguon.pipeline.lists import visible_list
from nguon.pipeline.tables import CandidateList
from nguon.tenancy.package import tenant_package
from nguon.tenancy.scoped import in_tenant

MAX_HOPS = 16
"""A chain longer than the deepest tree any rules package describes is a broken package."""


class ChainHop(msgspec.Struct, kw_only=True):
    unit_id: int
    unit_name: str
    kind: str
    kind_label: str
    list_id: int | None
    """The unit's own list of the same step and period, when the caller may see it."""
    list_state: str | None


class ListChain(msgspec.Struct, kw_only=True):
    list_id: int
    hops: list[ChainHop]
    """The list's unit first, then each unit that receives it in turn, up to the top."""
    broken: str | None
    """Why the chain stops short: the tree has no unit of the kind the rules name next."""


async def _own_list(access: Access, unit: dict[str, Any], row: dict[str, Any]) -> Any:
    if not access.can_see(unit["path"]):
        return None
    return await (
        CandidateList.select(CandidateList.id, CandidateList.state)
        .where(
            in_tenant(CandidateList),
            CandidateList.unit == unit["id"],
            CandidateList.step == row["step"],
            CandidateList.period_code == row["period_code"],
        )
        .first()
        .run()
    )


@get(
    "/lists/{list_id:int}/chain",
    summary="The reporting chain the list takes: its unit, then each receiving unit",
    tags=["lists"],
)
async def list_chain(access: NamedDependency[Access], list_id: FromPath[int]) -> ListChain:
    row = await visible_list(access, list_id)
    package = await tenant_package()
    unit = await OrgUnit.select().where(in_tenant(OrgUnit), OrgUnit.id == row["unit"]).first()
    hops: list[ChainHop] = []
    broken = None
    while unit is not None and len(hops) < MAX_HOPS:
        own = await _own_list(access, unit, row)
        hops.append(
            ChainHop(
                unit_id=unit["id"],
                unit_name=unit["name"],
                kind=unit["kind"],
                kind_label=package.unit_kinds.get(unit["kind"], unit["kind"]),
                list_id=own["id"] if own else None,
                list_state=own["state"] if own else None,
            )
        )
        try:
            unit = await chain.receiver_for(package, unit, row["period_opens"])
        except chain.ChainBroken as error:
            broken = str(error)
            break
    return ListChain(list_id=list_id, hops=hops, broken=broken)


CHAIN_HANDLERS = [list_chain]
