"""Who receives a unit's list: the reporting chain of the rules package, found in the tree.

The package says which kinds a list travels through for the lister's kind and bloc on a
date; the tree as it stood on that date says which unit of that kind is the lister's: the
nearest ancestor of the next kind, or else the nearest ancestor's child of that kind (the
organisation board sits beside the committees under the province, not above them).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from nguon.org.tables import OrgUnit
from nguon.org.validity import in_force_on
from nguon.rules.errors import RulesError
from nguon.rules.package import RulesPackage, in_period
from nguon.tenancy.scoped import in_tenant


def ancestor_ids(path: str) -> list[int]:
    """The ids in a materialised path, root first, the unit itself last."""
    return [int(part) for part in path.split(".") if part]


async def effective_bloc(unit: dict[str, Any]) -> str | None:
    """The unit's bloc, or the nearest ancestor's (a Police cell under a Police committee)."""
    if unit["bloc"]:
        return unit["bloc"]
    ids = ancestor_ids(unit["path"])[:-1]
    if not ids:
        return None
    rows = await (
        OrgUnit.select(OrgUnit.bloc, OrgUnit.depth)
        .where(in_tenant(OrgUnit), OrgUnit.id.is_in(ids), OrgUnit.bloc.is_not_null())
        .order_by(OrgUnit.depth, ascending=False)
        .run()
    )
    return next((row["bloc"] for row in rows if row["bloc"]), None)


def kinds_above(
    package: RulesPackage, kind: str, bloc: str | None, on: dt.date, parent_kind: str | None = None
) -> list[str]:
    """The kinds a list made by ``kind`` goes through next, nearest first.

    Listers (cells, grassroots committees) have chains of their own; an aggregating
    level (district, Police committee, bloc, organisation board) continues along any
    chain in force that passes through it: they all agree above it.
    """
    try:
        return package.reporting_chain(kind, bloc, on, parent_kind)[1:]
    except RulesError:
        pass
    for chain, periods in package.chains:
        if periods and not any(in_period(on, p) for p in periods):
            continue
        if kind in chain.path[1:]:
            return list(chain.path[chain.path.index(kind) + 1 :])
    return []


class ChainBroken(LookupError):
    """The tree has no unit of the kind the package's chain names next."""

    def __init__(self, package: RulesPackage, unit: dict[str, Any], kind: str, on: dt.date):
        self.kind = kind
        label = package.unit_kinds.get(kind, kind)
        super().__init__(
            f"Không có {label} phía trên «{unit['name']}» vào ngày {on:%d/%m/%Y} để nhận danh "
            f"sách theo quy định; cần sắp xếp lại cơ cấu tổ chức / No unit of kind {kind} "
            f"above unit {unit['code']} on {on} to receive its list"
        )


async def receiver_for(
    package: RulesPackage, unit: dict[str, Any], on: dt.date
) -> dict[str, Any] | None:
    """The unit that receives ``unit``'s list for a period starting ``on``; None at the top.

    The receiver is of the kind the chain names next, never one further up: a tree that has
    no such unit on that date raises :class:`ChainBroken` rather than skip a level.
    """
    # A unit opened by a restructuring during the period reports through the tree it is in.
    on = max(on, unit["valid_from"])
    parent = None
    if unit["parent"] is not None:
        parent = await (
            OrgUnit.select(OrgUnit.kind)
            .where(in_tenant(OrgUnit), OrgUnit.id == unit["parent"])
            .first()
            .run()
        )
    parent_kind = parent["kind"] if parent else None
    kinds = kinds_above(package, unit["kind"], await effective_bloc(unit), on, parent_kind)
    if not kinds:
        return None
    kind = kinds[0]
    ids = ancestor_ids(unit["path"])[:-1] or [0]
    candidates = await (
        OrgUnit.select()
        .where(
            in_tenant(OrgUnit),
            OrgUnit.kind == kind,
            OrgUnit.id.is_in(ids) | OrgUnit.parent.is_in(ids),
            OrgUnit.id != unit["id"],
        )
        .order_by(OrgUnit.id)
        .run()
    )
    in_force = [c for c in candidates if in_force_on(c, on)]
    for ancestor_id in reversed(ids):
        for found in in_force:
            if found["id"] == ancestor_id or found["parent"] == ancestor_id:
                return found
    raise ChainBroken(package, unit, kind, on)
