"""What the candidate page shows about helpers and admission: current helpers, the
members who may be chosen (and, when none, why not and where to add them), and whether
each form applies."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from piccolo.query.functions.aggregate import Count

from nguon.accounts.permissions import Access
from nguon.clock import today_in_vietnam
from nguon.org.tables import OrgUnit
from nguon.people.schemas import CandidateOut
from nguon.people.tables import Member
from nguon.pipeline.helpers import LIMIT_PARAMETER, list_helpers
from nguon.pipeline.stage_machine import stages_allowing
from nguon.pipeline.tables import HelperAssignment
from nguon.tenancy.package import tenant_package
from nguon.tenancy.scoped import in_tenant

DONE_MESSAGES = {
    "helper": "Đã phân công đảng viên giúp đỡ.",
    "proposed": "Đã chuyển sang làm thủ tục kết nạp.",
    "road": "Đã ghi bước trên con đường kết nạp.",
}
# Stages in which a helper may be assigned and in which admission may be proposed.
HELPER_STAGES = frozenset(stages_allowing("helper_resolution"))
PROPOSE_STAGES = frozenset(stages_allowing("admission_proposal"))


class MemberChoice(msgspec.Struct):
    id: int
    full_name: str
    helping: int = 0
    at_limit: bool = False
    """Already helps the most candidates the rules allow: shown, not choosable."""


class HelperChoices(msgspec.Struct, kw_only=True):
    members: list[MemberChoice]
    """The official members still in the candidate's cell (or a unit under it)."""
    why_none: str = ""
    """When no one can be chosen, why, in Vietnamese."""

    @property
    def choosable(self) -> list[MemberChoice]:
        return [m for m in self.members if not m.at_limit]


async def helper_choices(unit_id: int, unit_path: str, on: dt.date) -> HelperChoices:
    """Who may help a candidate of the cell ``unit_path`` on ``on``, as ``assign_helper``
    allows: official members whose membership has not ended, in that cell or under it,
    below the package's limit of candidates per helper if it sets one."""
    rows = await (
        Member.select(Member.id, Member.full_name, Member.status)
        .where(in_tenant(Member), Member.unit_path.like(f"{unit_path}%"), Member.ended_on.is_null())
        .order_by(Member.name_search)
        .run()
    )
    full = [r for r in rows if r["status"] == "full"]
    package = await tenant_package()
    limit = None
    if LIMIT_PARAMETER in package.parameters:
        limit = int(package.parameter(LIMIT_PARAMETER, on))
    helping: dict[int, int] = {}
    if full:
        counts = await (
            HelperAssignment.select(HelperAssignment.member, Count(HelperAssignment.id, alias="n"))
            .where(
                in_tenant(HelperAssignment),
                HelperAssignment.member.is_in([r["id"] for r in full]),
                HelperAssignment.ended_on.is_null() | (HelperAssignment.ended_on > on),
            )
            .group_by(HelperAssignment.member)
            .run()
        )
        helping = {c["member"]: c["n"] for c in counts}
    members = [
        MemberChoice(
            id=r["id"],
            full_name=r["full_name"],
            helping=helping.get(r["id"], 0),
            at_limit=limit is not None and helping.get(r["id"], 0) >= limit,
        )
        for r in full
    ]
    cell = await (
        OrgUnit.select(OrgUnit.name).where(in_tenant(OrgUnit), OrgUnit.id == unit_id).first().run()
    )
    name = cell["name"] if cell else "Chi bộ"
    why = ""
    if not rows:
        why = (
            f"{name} chưa có đảng viên nào trong hệ thống, nên chưa có ai để phân công giúp đỡ. "
            "Chỉ đảng viên chính thức của chi bộ mới được phân công giúp đỡ quần chúng."
        )
    elif not full:
        why = (
            f"{name} có {len(rows)} đảng viên nhưng đều là đảng viên dự bị; chỉ đảng viên "
            "chính thức mới được phân công giúp đỡ quần chúng."
        )
    elif all(m.at_limit for m in members):
        why = (
            f"Mọi đảng viên chính thức của {name} đều đã giúp đỡ {limit} quần chúng, "
            "mức tối đa theo quy định của tỉnh; hãy kết thúc một phân công cũ hoặc thêm đảng viên."
        )
    return HelperChoices(members=members, why_none=why)


async def helper_context(access: Access, candidate: CandidateOut, can_edit: bool) -> dict[str, Any]:
    helpers = (await list_helpers(access, candidate.id)).items
    current = [h for h in helpers if h.ended_on is None]
    choices = HelperChoices(members=[])
    if can_edit:
        unit = await (
            OrgUnit.select(OrgUnit.path)
            .where(in_tenant(OrgUnit), OrgUnit.id == candidate.unit_id)
            .first()
            .run()
        )
        if unit is not None:
            choices = await helper_choices(candidate.unit_id, unit["path"], today_in_vietnam())
    return {
        "helpers": helpers,
        "members": choices.members,
        "helper_choices": choices,
        "can_assign": can_edit and not current and candidate.stage in HELPER_STAGES,
        "can_propose": can_edit and candidate.stage in PROPOSE_STAGES,
        "done_messages": DONE_MESSAGES,
    }
