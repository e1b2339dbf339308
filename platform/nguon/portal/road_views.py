"""The admission road on a candidate's page: its steps, introducers and deadlines (each
with its clause), and which steps the reader may record."""

from __future__ import annotations

from typing import Any

from nguon.accounts.permissions import RANK, WRITE, Access
from nguon.people.schemas import CandidateOut
from nguon.pipeline.road import road_out
from nguon.pipeline.road_schemas import RoadOut

ROAD_STAGES = frozenset({"admission_in_progress", "admitted"})
STEP_CHOICES: dict[str, str] = {
    "grassroots_resolution": "Nghị quyết của đảng ủy cơ sở đề nghị kết nạp",
    "extension": "Gia hạn thời hạn quyết định kết nạp",
    "admission_decision": "Quyết định kết nạp",
    "recognition": "Quyết định công nhận đảng viên chính thức",
}
ORGANISATION_CHOICES: dict[str, str] = {
    "none": "Không (hai đảng viên chính thức giới thiệu)",
    "youth_union": "Ban chấp hành đoàn cơ sở (đoàn viên trong độ tuổi thanh niên)",
    "trade_union": "Ban chấp hành công đoàn cơ sở (nơi không có tổ chức Đoàn)",
}
STATUS_CLASSES = {"late": "late", "due_soon": "due", "done_late": "late"}


def _grants_above(access: Access, unit_path: str, role: str) -> bool:
    return any(
        unit_path.startswith(g.path) and len(g.path) < len(unit_path) and RANK[g.role] >= RANK[role]
        for g in access.grants
    )


def recordable_steps(access: Access, candidate: CandidateOut, unit_path: str) -> dict[str, str]:
    """The steps the reader may record now: the grassroots committee's resolution (an
    editor above the cell), the competent committee's extension, decision and
    recognition (an approver over the cell)."""
    if candidate.stage == "admission_in_progress":
        wanted = ["grassroots_resolution", "extension", "admission_decision"]
    elif candidate.stage == "admitted":
        wanted = ["recognition"]
    else:
        return {}
    allowed = {
        "grassroots_resolution": _grants_above(access, unit_path, WRITE),
        "extension": access.can(unit_path, "approver"),
        "admission_decision": access.can(unit_path, "approver"),
        "recognition": access.can(unit_path, "approver"),
    }
    return {step: STEP_CHOICES[step] for step in wanted if allowed[step]}


async def road_context(access: Access, candidate: CandidateOut, unit_path: str) -> dict[str, Any]:
    road: RoadOut | None = None
    if candidate.stage in ROAD_STAGES:
        road = await road_out(access, candidate.id)
    return {
        "road": road,
        "road_steps": recordable_steps(access, candidate, unit_path),
        "organisation_choices": ORGANISATION_CHOICES,
        "status_classes": STATUS_CLASSES,
    }
