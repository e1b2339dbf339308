"""From admission source to admission: propose a candidate for the admission procedure
when the rules find them ready, then record the outcome (admitted, or taken off the
lists). Each step is a stage change through ``nguon.pipeline.stages``."""

from __future__ import annotations

import datetime as dt

from nguon.accounts.permissions import WRITE, Access, Role
from nguon.clock import today_in_vietnam
from nguon.errors import Conflict, Forbidden, InvalidInput
from nguon.people.schemas import CandidateOut
from nguon.people.service import candidate_out
from nguon.pipeline.helper_schemas import (
    ProposeAdmission,
    StageChangeOut,
    StageDecision,
    StageHistory,
)
from nguon.pipeline.helpers import require_member, require_official, visible_member
from nguon.pipeline.road import add_introducers, add_step, road_dates, steps_of
from nguon.pipeline.stage_guards import require_accepted_list, require_helper
from nguon.pipeline.stages import (
    actor_of,
    change_stage,
    require_transition,
    stage_history,
    stale_message,
    visible_candidate,
)
from nguon.rules.facts import IntroducerFacts
from nguon.text import nfc

APPROVE: Role = "approver"
READINESS = "admission_readiness"
ADMISSION_SOURCES_STEP = "admission_sources"
LATE_DECISION = frozenset({"admission_decision_after_deadline"})
ORGANISATION_LABELS = {
    "youth_union": "Ban chấp hành đoàn cơ sở giới thiệu bằng nghị quyết",
    "trade_union": "Ban chấp hành công đoàn cơ sở giới thiệu bằng nghị quyết",
}


def _on(value: dt.date | None, field: str = "on") -> dt.date:
    today = today_in_vietnam()
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
    transition = await require_transition(candidate, "admission_proposal", on=on)
    list_id = await require_accepted_list(
        candidate, ADMISSION_SOURCES_STEP, transition.clause_id, "stage"
    )
    await require_helper(candidate, on, transition.clause_id, "stage")
    if data.introducer_member_ids and data.introducers:
        raise InvalidInput(
            "Ghi người giới thiệu một cách: introducers hoặc introducer_member_ids / "
            "Give either introducers or introducer_member_ids: introducers",
            field="introducers",
        )
    ids = data.introducer_member_ids or [i.member_id for i in data.introducers]
    field = "introducers" if data.introducers else "introducer_member_ids"
    if len(set(ids)) != len(ids):
        raise InvalidInput(
            f"Một đảng viên được ghi hai lần là người giới thiệu / An introducer is listed twice: "
            f"{field}",
            field=field,
        )
    if data.organisation_introduction != "none" and not data.organisation_resolution_number.strip():
        raise InvalidInput(
            "Cần số nghị quyết giới thiệu của ban chấp hành đoàn hoặc công đoàn cơ sở / "
            "organisation_resolution_number is required: organisation_resolution_number",
            field="organisation_resolution_number",
        )
    names: list[str] = []
    members: list[tuple[dict, int]] = []
    months = {i.member_id: i.months_together for i in data.introducers}
    for member_id in ids:
        member = await visible_member(access, member_id)
        if data.introducers:
            require_member(member, field)  # a probationary one is the rules' to refuse
        else:
            require_official(member, field)
        names.append(member["full_name"])
        members.append((member, months.get(member_id, -1)))
    facts = {
        "organisation_introduction": data.organisation_introduction,
        "workplace_has_youth_union": data.workplace_has_youth_union,
    }
    if data.introducers:
        facts["introducer_details"] = tuple(
            IntroducerFacts(
                status="official" if m["status"] == "full" else "probationary",
                months_together=n,
            )
            for m, n in members
        )
    note = nfc(data.note).strip()
    introduced = f"Người giới thiệu: {', '.join(names)}" if names else ""
    organisation = ORGANISATION_LABELS.get(data.organisation_introduction, "")
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
                organisation,
                f"Danh sách nguồn kết nạp đã được chấp nhận số {list_id}",
            )
            if part
        ),
        introducers=len(names),
        also_check=(READINESS,),
        facts=facts,
    )
    await add_step(
        access,
        candidate,
        "cell_resolution",
        on,
        data.resolution_number,
        transition.clause_id,
        note=note,
    )
    await add_introducers(
        access,
        candidate,
        on,
        [(m, max(n, 0)) for m, n in members],
        data.organisation_introduction,
        data.organisation_resolution_number,
        data.workplace_has_youth_union,
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
    on = _on(data.on)
    road = road_dates((await steps_of([candidate_id])).get(candidate_id, []))
    if road.cell_resolution is not None and on < road.cell_resolution:
        raise InvalidInput(
            f"Ngày này trước nghị quyết của chi bộ ({road.cell_resolution:%d/%m/%Y}) / "
            "The date is before the cell's resolution: on",
            field="on",
        )
    row = await change_stage(
        actor_of(access),
        candidate,
        event,
        on,
        reason=nfc(data.reason).strip(),
        field="to_stage",
        reviewed=LATE_DECISION,
    )
    if event == "admission_decision":
        await add_step(
            access,
            candidate,
            "admission_decision",
            on,
            data.document_number,
            (await require_transition(candidate, event, "to_stage", on)).clause_id,
            note=nfc(data.reason).strip(),
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
