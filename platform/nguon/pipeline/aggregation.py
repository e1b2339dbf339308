"""An upper level's list: the people of the lists it accepted from below, plus its own."""

from __future__ import annotations

from typing import Any

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
                unit=row["unit"],
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
