"""Where a unit came from and what carries on its work: the successions a restructuring
recorded, seen from one unit."""

from __future__ import annotations

import datetime as dt

import msgspec

from nguon.org.tables import OrgUnit, UnitSuccession
from nguon.tenancy.scoped import in_tenant


class UnitRef(msgspec.Struct, frozen=True):
    id: int
    name: str
    path: str
    on: dt.date
    change: str


class Lineage(msgspec.Struct, frozen=True):
    successor: UnitRef | None
    """The unit that carries on this one's work after it was closed."""
    predecessors: list[UnitRef]
    """The units this one took over (moved, renamed or merged into it)."""


async def lineage_of(unit_id: int) -> Lineage:
    rows = await (
        UnitSuccession.select(
            UnitSuccession.predecessor,
            UnitSuccession.successor,
            UnitSuccession.effective_on,
            UnitSuccession.change,
        )
        .where(
            in_tenant(UnitSuccession),
            (UnitSuccession.predecessor == unit_id) | (UnitSuccession.successor == unit_id),
        )
        .run()
    )
    other_ids = {r["successor"] if r["predecessor"] == unit_id else r["predecessor"] for r in rows}
    names: dict[int, tuple[str, str]] = {}
    if other_ids:
        found = await (
            OrgUnit.select(OrgUnit.id, OrgUnit.name, OrgUnit.path)
            .where(in_tenant(OrgUnit), OrgUnit.id.is_in(sorted(other_ids)))
            .run()
        )
        names = {row["id"]: (row["name"], row["path"]) for row in found}
    successor = None
    predecessors = []
    for row in rows:
        if row["predecessor"] == unit_id:
            other = row["successor"]
            successor = UnitRef(other, *names[other], row["effective_on"], row["change"])
        else:
            other = row["predecessor"]
            predecessors.append(UnitRef(other, *names[other], row["effective_on"], row["change"]))
    return Lineage(successor=successor, predecessors=sorted(predecessors, key=lambda r: r.name))
