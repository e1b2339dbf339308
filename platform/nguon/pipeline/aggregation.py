"""An upper level's list: the people of the lists it accepted from below, plus its own."""

from __future__ import annotations

from collections import Counter
from typing import Any

from nguon.pipeline.schemas import SourceCount
from nguon.pipeline.tables import CandidateList, ListEntry
from nguon.tenancy.context import require_tenant
from nguon.tenancy.scoped import in_tenant


async def accepted_lists_below(list_row: dict[str, Any]) -> list[dict[str, Any]]:
    """The lists of the same step and period that this list's unit has accepted."""
    return await (
        CandidateList.select()
        .where(
            in_tenant(CandidateList),
            CandidateList.receiver_unit == list_row["unit"],
            CandidateList.step == list_row["step"],
            CandidateList.period_code == list_row["period_code"],
            CandidateList.state == "accepted",
        )
        .order_by(CandidateList.id)
        .run()
    )


async def pull_entries(list_row: dict[str, Any], source_lists: list[dict[str, Any]]) -> int:
    """Copy the included people of ``source_lists`` into ``list_row`` (skipping anyone
    already on it); returns how many were added."""
    if not source_lists:
        return 0
    present = {
        row["candidate"]
        for row in await ListEntry.select(ListEntry.candidate)
        .where(in_tenant(ListEntry), ListEntry.candidate_list == list_row["id"])
        .run()
    }
    rows = await (
        ListEntry.select()
        .where(
            in_tenant(ListEntry),
            ListEntry.candidate_list.is_in([s["id"] for s in source_lists]),
            ListEntry.included == True,  # noqa: E712 (a SQL comparison)
        )
        .order_by(ListEntry.id)
        .run()
    )
    tenant_id = require_tenant()
    new = []
    for row in rows:
        if row["candidate"] in present:
            continue
        present.add(row["candidate"])
        new.append(
            ListEntry(
                tenant_id=tenant_id,
                candidate_list=list_row["id"],
                candidate=row["candidate"],
                source="aggregated",
                source_list=row["candidate_list"],
                outcome=row["outcome"],
                reasons=row["reasons"],
                override_justification=row["override_justification"],
                included=True,
                inputs_hash=row["inputs_hash"],
            )
        )
    if new:
        await ListEntry.insert(*new).run()
    return len(new)


async def counts_by_source(list_row: dict[str, Any], unit_name: str) -> list[SourceCount]:
    """Included people per source: each accepted list below, then the list's own entries."""
    rows = await (
        ListEntry.select(ListEntry.source_list)
        .where(
            in_tenant(ListEntry),
            ListEntry.candidate_list == list_row["id"],
            ListEntry.included == True,  # noqa: E712
        )
        .run()
    )
    counts = Counter(row["source_list"] for row in rows)
    sources = {}
    source_ids = [k for k in counts if k is not None]
    if source_ids:
        sources = {
            row["id"]: row
            for row in await CandidateList.select(
                CandidateList.id, CandidateList.unit, CandidateList.unit.name
            )
            .where(in_tenant(CandidateList), CandidateList.id.is_in(source_ids))
            .run()
        }
    result = [
        SourceCount(
            unit_id=sources[k]["unit"],
            unit_name=sources[k]["unit.name"],
            source_list_id=k,
            count=counts[k],
        )
        for k in sorted(source_ids)
    ]
    if counts.get(None):
        result.append(
            SourceCount(
                unit_id=list_row["unit"],
                unit_name=unit_name,
                source_list_id=None,
                count=counts[None],
            )
        )
    return result
