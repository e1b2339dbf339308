"""From admission source to admission: propose a candidate for the admission procedure
when the rules find them ready, then record the outcome (admitted, or taken off the
lists). Each step is a stage change through ``nguon.pipeline.stages``."""

from __future__ import annotations

import datetime as dt

from nguon.accounts.permissions import WRITE, Access, Role
from nguon.errors import Conflict, Forbidden, InvalidInput
from nguon.people.schemas import CandidateOut
from nguon.people.service import candidate_out
from nguon.pipeline.helper_schemas import (
    ProposeAdmission,
    StageChangeOut,
    StageDecision,
    StageHistory,
)
from nguon.pipeline.helpers import require_official, visible_member
from nguon.pipeline.stage_guards import require_accepted_list, require_helper
from nguon.pipeline.stages import (
    actor_of,
    change_stage,
    require_transition,
    stage_history,
    stale_message,
    visible_candidate,
)
from nguon.text import nfc

APPROVE: Role = "approver"
READINESS = "admission_readiness"
ADMISSION_SOURCES_STEP = "admission_sources"


def _on(value: dt.date | None, field: str = "on") -> dt.date:
    today = dt.date.today()
    if value is not None and value > today:
        raise InvalidInput(f"Ngày ở tương lai / Date is in the future: {field}", field=field)
    return value or today


async def propose_admission(
    access: Access, candidate_id: int, data: ProposeAdmission
) -> CandidateOut:
    """Move an admission source to ``admission_in_progress`` (the machine's
    ``admission_proposal``): on an accepted admission-source list (Step 3), with a helper
    in force, and the rules finding them ready (a valid certificate, enough official
    introducers, the conditions)."""
    candidate = await visible_candidate(access, candidate_id)
    if not access.can(candidate["unit_path"], WRITE):
        raise Forbidden("Bạn không có quyền sửa hồ sơ này / Your role cannot edit this record")
    if data.version != candidate["version"]:
        raise Conflict(stale_message("candidate"), field="version")
    on = _on(data.on)
    transition = await require_transition(candidate, "admission_proposal")
    list_id = await require_accepted_list(
        candidate, ADMISSION_SOURCES_STEP, transition.clause_id, "stage"
    )
    await require_helper(candidate, on, transition.clause_id, "stage")
    if len(set(data.introducer_member_ids)) != len(data.introducer_member_ids):
        raise InvalidInput(
            "Một đảng viên được ghi hai lần là người giới thiệu / "
            "An introducer is listed twice: introducer_member_ids",
            field="introducer_member_ids",
        )
    names: list[str] = []
    for member_id in data.introducer_member_ids:
        member = await visible_member(access, member_id)
        require_official(member, "introducer_member_ids")
        names.append(member["full_name"])
    note = nfc(data.note).strip()
    introduced = f"Người giới thiệu: {', '.join(names)}" if names else ""
    row = await change_stage(
        actor_of(access),
        candidate,
        "admission_proposal",
        on,
        reason="; ".join(
            part
            for part in (
                note,
                introduced,
                f"Danh sách nguồn kết nạp đã được chấp nhận số {list_id}",
            )
            if part
        ),
        introducers=len(names),
        also_check=(READINESS,),
    )
    return candidate_out(row)


async def decide_stage(access: Access, candidate_id: int, data: StageDecision) -> CandidateOut:
    """Record an admission (``admitted``) or take a candidate off the lists (``removed``)."""
    candidate = await visible_candidate(access, candidate_id)
    if not access.can(candidate["unit_path"], APPROVE):
        raise Forbidden(
            "Cần quyền phê duyệt để ghi nhận kết nạp hoặc đưa ra khỏi danh sách / "
            "Recording this needs the approver role"
        )
    if data.version != candidate["version"]:
        raise Conflict(stale_message("candidate"), field="version")
    event = "admission_decision" if data.to_stage == "admitted" else "removal_resolution"
    row = await change_stage(
        actor_of(access),
        candidate,
        event,
        _on(data.on),
        reason=nfc(data.reason).strip(),
        field="to_stage",
    )
    return candidate_out(row)


async def get_stage_history(access: Access, candidate_id: int) -> StageHistory:
    await visible_candidate(access, candidate_id)
    rows = await stage_history(candidate_id)
    return StageHistory(
        items=[
            StageChangeOut(
                id=r["id"],
                from_stage=r["from_stage"],
                to_stage=r["to_stage"],
                changed_on=r["changed_on"],
                reason=r["reason"],
                event=r["event"],
                clause_id=r["clause_id"],
                actor=r["actor"],
                at=r["at"],
            )
            for r in rows
        ]
    )
