"""Who receives a unit's list: the reporting chain of the rules package, found in the tree.

The package says which kinds a list travels through for the lister's kind and bloc on a
date; the tree says which unit of that kind is the lister's. The receiver is the
nearest ancestor of the next kind; the organisation board is not an ancestor (it sits
beside the committees under the province), so it is found by kind under the same root.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from nguon.org.tables import OrgUnit
from nguon.rules.errors import RulesError
from nguon.rules.package import RulesPackage, in_period
from nguon.tenancy.scoped import in_tenant

# Kinds found beside the lister's branch rather than above it.
SIBLING_KINDS = frozenset({"organisation_board"})


def ancestor_ids(path: str) -> list[int]:
    """The ids in a materialised path, root first, the unit itself last."""
    return [int(part) for part in path.split(".") if part]


def _valid_on(unit: dict[str, Any], on: dt.date) -> bool:
    return unit["valid_from"] <= on and (unit["valid_to"] is None or unit["valid_to"] > on)


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


def kinds_above(package: RulesPackage, kind: str, bloc: str | None, on: dt.date) -> list[str]:
    """The kinds a list made by ``kind`` goes through next, nearest first.

    Listers (cells, grassroots committees) have chains of their own; an aggregating
    level (district, Police committee, bloc, organisation board) continues along any
    chain in force that passes through it: they all agree above it.
    """
    try:
        return package.reporting_chain(kind, bloc, on)[1:]
    except RulesError:
        pass
    for chain, periods in package.chains:
        if periods and not any(in_period(on, p) for p in periods):
            continue
        if kind in chain.path[1:]:
            return list(chain.path[chain.path.index(kind) + 1 :])
    return []


async def receiver_for(
    package: RulesPackage, unit: dict[str, Any], on: dt.date
) -> dict[str, Any] | None:
    """The unit that receives ``unit``'s list for a period starting ``on``; None at the top."""
    kinds = kinds_above(package, unit["kind"], await effective_bloc(unit), on)
    if not kinds:
        return None
    ids = ancestor_ids(unit["path"])
    ancestors = await (
        OrgUnit.select()
        .where(in_tenant(OrgUnit), OrgUnit.id.is_in(ids[:-1] or [0]))
        .order_by(OrgUnit.depth, ascending=False)
        .run()
    )
    ancestors = [a for a in ancestors if _valid_on(a, on)]
    root_prefix = f"{ids[0]}."
    for kind in kinds:
        if kind in SIBLING_KINDS:
            found = await (
                OrgUnit.select()
                .where(
                    in_tenant(OrgUnit),
                    OrgUnit.kind == kind,
                    OrgUnit.path.like(f"{root_prefix}%"),
                    OrgUnit.id != unit["id"],
                )
                .order_by(OrgUnit.id)
                .run()
            )
            found = [f for f in found if _valid_on(f, on)]
            if found:
                return found[0]
            continue
        for ancestor in ancestors:
            if ancestor["kind"] == kind:
                return ancestor
    return None
