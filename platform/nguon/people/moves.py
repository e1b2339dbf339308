"""Where a person was: every move of a candidate from one unit to another, dated, so that a
figure of a past period counts them where they were then (``nguon.reports.figures``).

A restructuring moves the people of the units it closes; a transfer moves one person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from piccolo.columns import Date, ForeignKey, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from nguon.org.tables import OrgUnit
from nguon.people.tables import Candidate
from nguon.tenancy.context import require_tenant
from nguon.tenancy.tables import Tenant

RESTRUCTURING = "restructuring"
TRANSFER = "transfer"


class CandidateMove(Table, tablename="candidate_move"):
    """A person left ``from_unit`` for ``to_unit`` on ``moved_on`` (their first day there)."""

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    candidate = ForeignKey(Candidate, on_delete=OnDelete.cascade, null=False, index=True)
    from_unit = ForeignKey(OrgUnit, on_delete=OnDelete.restrict, null=False)
    to_unit = ForeignKey(OrgUnit, on_delete=OnDelete.restrict, null=False)
    moved_on = Date()
    cause = Varchar(length=16)


async def record_units_moving(mapping: Mapping[int, int], moved_on: dt.date) -> None:
    """Before the people of the units in ``mapping`` (old → new) move: one row each."""
    if not mapping:
        return
    tenant_id = require_tenant()
    olds = sorted(mapping)
    for start in range(0, len(olds), 500):
        chunk = olds[start : start + 500]
        whens = " ".join("WHEN {} THEN CAST({} AS INTEGER)" for _ in chunk)
        await CandidateMove.raw(
            "INSERT INTO candidate_move "
            "(tenant_id, candidate, from_unit, to_unit, moved_on, cause) "
            f"SELECT tenant_id, id, unit, CASE unit {whens} END, {{}}, {{}} FROM candidate "
            f"WHERE tenant_id = {{}} AND unit IN ({', '.join('{}' for _ in chunk)})",
            *[value for old in chunk for value in (old, mapping[old])],
            moved_on,
            RESTRUCTURING,
            tenant_id,
            *chunk,
        ).run()


async def record_transfer(candidate_id: int, from_unit: int, to_unit: int, on: dt.date) -> None:
    await CandidateMove(
        tenant_id=require_tenant(),
        candidate=candidate_id,
        from_unit=from_unit,
        to_unit=to_unit,
        moved_on=on,
        cause=TRANSFER,
    ).save()
