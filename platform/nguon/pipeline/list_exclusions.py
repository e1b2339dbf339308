"""People a higher level took off a list: they stay off the lists that follow.

When a unit removes, with a reason, someone who belongs to a unit below it (a commune
taking a person off the list it aggregated from a cell), the removal stands: the next
step's or period's lists are not prefilled with that person, who shows among the removed
with the higher level's reason. Only an explicit re-add with its own reason lifts it;
both are audit events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from nguon.audit.service import Actor, record_event
from nguon.pipeline.tables import ListExclusion
from nguon.tenancy.context import require_tenant
from nguon.tenancy.scoped import in_tenant


async def active_exclusions(candidate_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The standing (not lifted) removal of each of these people that has one, latest first."""
    ids = sorted(set(candidate_ids))
    if not ids:
        return {}
    rows = await (
        ListExclusion.select(
            *ListExclusion.all_columns(), ListExclusion.removed_by_unit.name.as_alias("unit_name")
        )
        .where(
            in_tenant(ListExclusion),
            ListExclusion.candidate.is_in(ids),
            ListExclusion.lifted_at.is_null(),
        )
        .order_by(ListExclusion.id, ascending=False)
        .run()
    )
    found: dict[int, dict[str, Any]] = {}
    for row in rows:
        found.setdefault(row["candidate"], row)
    return found


def exclusion_note(exclusion: dict[str, Any]) -> str:
    """Why the person is not on the list, as the list shows it among the removed."""
    return (
        f"{exclusion['unit_name']} đã đưa ra khỏi danh sách (số {exclusion['removed_by_list']}): "
        f"{exclusion['reason']}"
    )


async def record_higher_removal(
    actor: Actor, list_row: dict[str, Any], candidate_id: int, person_unit: int, reason: str
) -> None:
    """Keep the removal standing when the list's unit is above the person's own unit."""
    if person_unit == list_row["unit"]:
        return
    exclusion = ListExclusion(
        tenant_id=require_tenant(),
        candidate=candidate_id,
        removed_by_list=list_row["id"],
        removed_by_unit=list_row["unit"],
        reason=reason,
        removed_actor_id=actor.user_id,
        removed_actor=actor.label,
    )
    await exclusion.save().run()
    await record_event(
        actor,
        "list_exclusion",
        "candidate",
        candidate_id,
        None,
        {"list": list_row["id"], "unit": list_row["unit"], "reason": reason},
    )


async def lift(actor: Actor, exclusion: dict[str, Any], list_id: int, reason: str) -> None:
    """An explicit re-add with a reason: the person may be prefilled again from now on."""
    await (
        ListExclusion.update(
            {
                ListExclusion.lifted_by_list: list_id,
                ListExclusion.lifted_reason: reason,
                ListExclusion.lifted_actor_id: actor.user_id,
                ListExclusion.lifted_actor: actor.label,
                ListExclusion.lifted_at: dt.datetime.now(dt.UTC),
            }
        )
        .where(
            in_tenant(ListExclusion),
            ListExclusion.candidate == exclusion["candidate"],
            ListExclusion.lifted_at.is_null(),
        )
        .run()
    )
    await record_event(
        actor,
        "list_readded",
        "candidate",
        exclusion["candidate"],
        {"excluded_by_list": exclusion["removed_by_list"], "reason": exclusion["reason"]},
        {"list": list_id, "reason": reason},
    )
