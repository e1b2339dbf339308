"""What the candidate page shows about helpers and admission: current helpers, the
cell's official members to choose from, and whether each form applies."""

from __future__ import annotations

from typing import Any

import msgspec

from nguon.accounts.permissions import Access
from nguon.people.schemas import CandidateOut
from nguon.people.tables import Member
from nguon.pipeline.helpers import list_helpers
from nguon.pipeline.stage_machine import stages_allowing
from nguon.tenancy.scoped import in_tenant

DONE_MESSAGES = {
    "helper": "Đã phân công đảng viên giúp đỡ.",
    "proposed": "Đã chuyển sang làm thủ tục kết nạp.",
}
# Stages in which a helper may be assigned and in which admission may be proposed.
HELPER_STAGES = frozenset(stages_allowing("helper_resolution"))
PROPOSE_STAGES = frozenset(stages_allowing("admission_proposal"))


class MemberChoice(msgspec.Struct):
    id: int
    full_name: str


async def official_members(unit_id: int) -> list[MemberChoice]:
    """The official (full) Party members of the candidate's cell."""
    rows = await (
        Member.select(Member.id, Member.full_name)
        .where(in_tenant(Member), Member.unit == unit_id, Member.status == "full")
        .order_by(Member.name_search)
        .run()
    )
    return [MemberChoice(id=r["id"], full_name=r["full_name"]) for r in rows]


async def helper_context(access: Access, candidate: CandidateOut, can_edit: bool) -> dict[str, Any]:
    helpers = (await list_helpers(access, candidate.id)).items
    current = [h for h in helpers if h.ended_on is None]
    return {
        "helpers": helpers,
        "members": await official_members(candidate.unit_id) if can_edit else [],
        "can_assign": can_edit and not current and candidate.stage in HELPER_STAGES,
        "can_propose": can_edit and candidate.stage in PROPOSE_STAGES,
        "done_messages": DONE_MESSAGES,
    }
