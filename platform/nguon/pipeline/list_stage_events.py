"""What a list decision does to the stages of the people on the list.

An admission-source list (Step 3) accepted by the level above is the event that makes its
certified people admission sources (the machine's ``admission_source_list``). People in
another stage, or whom a higher level took off a list, keep their stage; a person the
rules no longer allow (a certificate that expired meanwhile) stays certified, and the
list still shows why.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from nguon.audit.service import Actor
from nguon.people.tables import Candidate
from nguon.pipeline.list_exclusions import active_exclusions
from nguon.pipeline.stage_machine import StageRefused
from nguon.pipeline.stages import change_stage
from nguon.pipeline.tables import ListEntry
from nguon.tenancy.scoped import in_tenant

SOURCES_STEP = "admission_sources"


async def apply_accepted_list(actor: Actor, list_row: dict[str, Any], on: dt.date) -> list[int]:
    """Move the certified people of an accepted admission-source list; their ids."""
    if list_row["step"] != SOURCES_STEP:
        return []
    entries = await (
        ListEntry.select(ListEntry.candidate)
        .where(
            in_tenant(ListEntry),
            ListEntry.candidate_list == list_row["id"],
            ListEntry.included == True,  # noqa: E712 (a SQL comparison)
        )
        .run()
    )
    ids = [e["candidate"] for e in entries]
    if not ids:
        return []
    people = await (
        Candidate.select()
        .where(in_tenant(Candidate), Candidate.id.is_in(ids), Candidate.stage == "certified")
        .order_by(Candidate.id)
        .run()
    )
    excluded = await active_exclusions(p["id"] for p in people)
    receiver = list_row.get("receiver_unit.name") or ""
    moved: list[int] = []
    for person in people:
        if person["id"] in excluded:
            continue
        try:
            await change_stage(
                actor,
                person,
                "admission_source_list",
                on,
                reason=f"Danh sách nguồn kết nạp số {list_row['id']} được {receiver} tiếp nhận",
            )
        except StageRefused:
            continue
        moved.append(person["id"])
    return moved
