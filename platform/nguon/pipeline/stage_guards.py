"""What the stage machine's events need besides the person's stage: an accepted list
with the person on it, a helper in force, the attendance the rules package sets.

Each guard raises ``StageRefused`` (a 409) naming the field and saying, in Vietnamese,
what is missing and which clause asks for it.
"""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction
from typing import Any

from nguon.pipeline.evaluation import helpers_assigned
from nguon.pipeline.list_exclusions import active_exclusions
from nguon.pipeline.stage_machine import StageRefused
from nguon.pipeline.tables import ListEntry
from nguon.rules.package import RulesPackage
from nguon.tenancy.scoped import in_tenant

ATTENDANCE_PARAMETER = "min_attendance_share"
STEP_NAMES = {
    "survey": "danh sách khảo sát nguồn (Bước 1)",
    "course_nominees": "danh sách giới thiệu học lớp bồi dưỡng nhận thức về Đảng (Bước 2)",
    "admission_sources": "danh sách nguồn kết nạp đảng viên (Bước 3)",
}


async def active_exclusion(candidate_id: int) -> dict[str, Any] | None:
    """The standing removal of this person by a higher level, if one is not lifted."""
    return (await active_exclusions([candidate_id])).get(candidate_id)


async def accepted_list_with(candidate_id: int, step: str, path_prefix: str = "") -> int | None:
    """The latest accepted list of ``step`` (under ``path_prefix``) that includes the person."""
    query = ListEntry.select(ListEntry.candidate_list).where(
        in_tenant(ListEntry),
        ListEntry.candidate == candidate_id,
        ListEntry.included == True,  # noqa: E712 (a SQL comparison)
        ListEntry.candidate_list.step == step,
        ListEntry.candidate_list.state == "accepted",
    )
    if path_prefix:
        query = query.where(ListEntry.candidate_list.unit_path.like(f"{path_prefix}%"))
    row = await query.order_by(ListEntry.candidate_list, ascending=False).first().run()
    return row["candidate_list"] if row else None


async def refuse_if_excluded(candidate: dict[str, Any], clause_id: str, field: str) -> None:
    """Refuse while a higher level's removal of the person stands (not lifted by a re-add)."""
    exclusion = await active_exclusion(candidate["id"])
    if exclusion is not None:
        raise StageRefused(
            f"{candidate['full_name']} đã bị {exclusion['unit_name']} đưa ra khỏi danh sách "
            f"(số {exclusion['removed_by_list']}) với lý do: {exclusion['reason']}; chỉ có thể "
            f"tiếp tục khi được đưa lại vào danh sách có nêu lý do [{clause_id}]",
            message_en=f"A higher level removed this person from its list (number "
            f"{exclusion['removed_by_list']}); they go on only once put back on a list with a "
            f"reason [{clause_id}]",
            field=field,
            clause_id=clause_id,
        )


async def require_accepted_list(
    candidate: dict[str, Any], step: str, clause_id: str, field: str, path_prefix: str = ""
) -> int:
    """The accepted list of ``step`` the person is on, unless a higher level took them off."""
    await refuse_if_excluded(candidate, clause_id, field)
    list_id = await accepted_list_with(candidate["id"], step, path_prefix)
    if list_id is None:
        raise StageRefused(
            f"{candidate['full_name']} chưa có tên trong {STEP_NAMES[step]} đã được cấp trên "
            f"chấp nhận [{clause_id}]",
            message_en=f"The person is on no `{step}` list accepted by the level above "
            f"[{clause_id}]",
            field=field,
            clause_id=clause_id,
        )
    return list_id


async def require_helper(
    candidate: dict[str, Any], on: dt.date, clause_id: str, field: str
) -> None:
    if candidate["id"] not in await helpers_assigned([candidate["id"]], on):
        raise StageRefused(
            f"{candidate['full_name']} chưa được chi bộ ra nghị quyết phân công đảng viên chính "
            f"thức giúp đỡ [{clause_id}]",
            message_en=f"No official member is assigned by the cell's resolution to help this "
            f"person [{clause_id}]",
            field=field,
            clause_id=clause_id,
        )


def minimum_sessions(package: RulesPackage, sessions_total: int, on: dt.date) -> int:
    """The fewest sessions attended that complete a course of ``sessions_total`` on ``on``."""
    share = Fraction(str(package.parameter(ATTENDANCE_PARAMETER, on)))
    return math.ceil(share * sessions_total)


def require_attendance(
    package: RulesPackage,
    course: dict[str, Any],
    attended: int,
    on: dt.date,
    clause_id: str,
    field: str = "attended_sessions",
) -> None:
    """Completion (and so a certificate) needs the share of sessions the package sets."""
    total = course["sessions_total"]
    if not total:
        raise StageRefused(
            f"Lớp «{course['title']}» chưa ghi tổng số buổi học nên chưa thể xác định học viên "
            f"đã học đủ; hãy ghi số buổi của lớp trước [{clause_id}]",
            message_en=f"The course's number of sessions is not recorded, so completion cannot "
            f"be judged; record it first [{clause_id}]",
            field="sessions_total",
            clause_id=clause_id,
        )
    needed = minimum_sessions(package, total, on)
    if attended < needed:
        share = package.parameter(ATTENDANCE_PARAMETER, on)
        raise StageRefused(
            f"Mới dự {attended}/{total} buổi; cần dự ít nhất {needed} buổi (tỷ lệ {share} theo "
            f"quy định) mới được công nhận hoàn thành và cấp giấy chứng nhận [{clause_id}]",
            message_en=f"Attended {attended} of {total} sessions; at least {needed} (share "
            f"{share}) are needed for completion and a certificate [{clause_id}]",
            field=field,
            clause_id=clause_id,
        )
