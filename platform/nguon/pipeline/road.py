"""The admission road after the cell's resolution, each step a change through the stage
machine with its clause: the grassroots committee's resolution, the extension of the
decision deadline, the admission decision, the recognition after probation.

Who may record what: the cell (editor on the candidate's unit) proposes; the grassroots
committee (editor on the unit above a subordinate cell) records its resolution; the
competent committee (approver over the candidate's unit) extends, decides and recognises.
Every deadline is counted by ``nguon.rules.road`` from the tenant's package.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import msgspec

from nguon.accounts.permissions import WRITE, Access, Role
from nguon.audit.service import record_event
from nguon.clock import today_in_vietnam
from nguon.errors import Conflict, Forbidden, InvalidInput
from nguon.pipeline.road_schemas import (
    DeadlineOut,
    IntroducerOut,
    RoadOut,
    RoadStepIn,
    RoadStepOut,
)
from nguon.pipeline.road_tables import AdmissionIntroducer, AdmissionStep
from nguon.pipeline.stage_machine import StageEventKind
from nguon.pipeline.stages import (
    actor_of,
    refusal,
    require_transition,
    stale_message,
    visible_candidate,
)
from nguon.pipeline.tables import StageChange
from nguon.rules.facts import IntroducerFacts, RoadDates
from nguon.rules.road import STATUS_LABELS, road_deadlines
from nguon.tenancy.context import require_tenant
from nguon.tenancy.package import tenant_package
from nguon.tenancy.scoped import in_tenant
from nguon.text import nfc

APPROVE: Role = "approver"
STEP_LABELS: dict[str, str] = {
    "cell_resolution": "Nghị quyết của chi bộ đề nghị kết nạp (Mẫu 6-KNĐ)",
    "grassroots_resolution": "Nghị quyết của đảng ủy cơ sở đề nghị kết nạp (Mẫu 8-KNĐ)",
    "extension": "Gia hạn thời hạn quyết định kết nạp",
    "admission_decision": "Quyết định kết nạp đảng viên (Mẫu 9-KNĐ)",
    "recognition": "Quyết định công nhận đảng viên chính thức",
}
STEP_EVENTS: dict[str, StageEventKind] = {
    "grassroots_resolution": "grassroots_resolution",
    "extension": "decision_extension",
    "recognition": "recognition_decision",
}
STEP_DECISIONS: dict[str, str] = {
    "extension": "admission_extension",
    "recognition": "recognition",
}
STEP_ROLES: dict[str, Role] = {
    "grassroots_resolution": WRITE,
    "extension": APPROVE,
    "recognition": APPROVE,
}


def road_dates(steps: Iterable[dict[str, Any]]) -> RoadDates:
    by_step = {row["step"]: row for row in steps}

    def day(step: str) -> dt.date | None:
        return by_step[step]["taken_on"] if step in by_step else None

    extension = by_step.get("extension")
    return RoadDates(
        cell_resolution=day("cell_resolution"),
        grassroots_resolution=day("grassroots_resolution"),
        extensions=1 if extension else 0,
        extension_working_days=extension["working_days"] if extension else 0,
        admission_decision=day("admission_decision"),
        recognition_decision=day("recognition"),
    )


async def steps_of(candidate_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    ids = sorted(set(candidate_ids))
    if not ids:
        return {}
    rows = await (
        AdmissionStep.select()
        .where(in_tenant(AdmissionStep), AdmissionStep.candidate.is_in(ids))
        .order_by(AdmissionStep.taken_on)
        .run()
    )
    found: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row["candidate"], []).append(row)
    return found


async def introducer_rows(candidate_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    ids = sorted(set(candidate_ids))
    if not ids:
        return {}
    rows = await (
        AdmissionIntroducer.select(
            *AdmissionIntroducer.all_columns(), AdmissionIntroducer.member.full_name
        )
        .where(in_tenant(AdmissionIntroducer), AdmissionIntroducer.candidate.is_in(ids))
        .order_by(AdmissionIntroducer.id)
        .run()
    )
    found: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row["candidate"], []).append(row)
    return found


def introducer_facts(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The fact fields the recorded introducers give (empty when none are recorded)."""
    if not rows:
        return {}
    members = [r for r in rows if r["kind"] == "member"]
    organisations = [r for r in rows if r["kind"] != "member"]
    facts: dict[str, Any] = {
        "introducer_details": tuple(
            IntroducerFacts(
                status="official" if r["member_status"] == "full" else "probationary",
                months_together=r["months_together"],
            )
            for r in members
        ),
        "introducers": len(members),
    }
    if organisations:
        facts["organisation_introduction"] = organisations[0]["kind"]
        facts["workplace_has_youth_union"] = bool(organisations[0]["workplace_has_youth_union"])
    return facts


async def roads_of(candidate_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Fact fields of the road (dates and introducers) of the candidates that have one."""
    ids = list(candidate_ids)
    steps = await steps_of(ids)
    introducers = await introducer_rows(ids)
    found: dict[int, dict[str, Any]] = {}
    for candidate_id in set(steps) | set(introducers):
        fields = introducer_facts(introducers.get(candidate_id, []))
        if candidate_id in steps:
            fields["road"] = road_dates(steps[candidate_id])
        found[candidate_id] = fields
    return found


async def add_step(
    access: Access,
    candidate: dict[str, Any],
    step: str,
    on: dt.date,
    document_number: str,
    clause_id: str,
    *,
    working_days: int = 0,
    note: str = "",
) -> None:
    actor = actor_of(access)
    existing = await AdmissionStep.count().where(
        in_tenant(AdmissionStep),
        AdmissionStep.candidate == candidate["id"],
        AdmissionStep.step == step,
    )
    if existing:
        raise Conflict(
            f"Đã ghi «{STEP_LABELS[step]}» cho người này / This step is already recorded: step",
            field="step",
        )
    row = AdmissionStep(
        tenant_id=require_tenant(),
        candidate=candidate["id"],
        step=step,
        taken_on=on,
        document_number=nfc(document_number).strip(),
        working_days=working_days,
        note=nfc(note).strip(),
        clause_id=clause_id,
        actor_id=actor.user_id,
        actor=actor.label,
        created_at=dt.datetime.now(dt.UTC),
    )
    await row.save().run()
    await record_event(
        actor,
        "record",
        "admission_step",
        row.id,
        None,
        {
            "candidate": candidate["id"],
            "step": step,
            "taken_on": on,
            "document_number": row.document_number,
            "working_days": working_days,
            "clause_id": clause_id,
        },
    )


async def add_introducers(
    access: Access,
    candidate: dict[str, Any],
    on: dt.date,
    members: list[tuple[dict[str, Any], int]],
    organisation: str,
    organisation_number: str,
    workplace_has_youth_union: bool,
) -> None:
    rows = [
        AdmissionIntroducer(
            tenant_id=require_tenant(),
            candidate=candidate["id"],
            kind="member",
            member=member["id"],
            member_status=member["status"],
            months_together=months,
            recorded_on=on,
        )
        for member, months in members
    ]
    if organisation != "none":
        rows.append(
            AdmissionIntroducer(
                tenant_id=require_tenant(),
                candidate=candidate["id"],
                kind=organisation,
                document_number=nfc(organisation_number).strip(),
                workplace_has_youth_union=workplace_has_youth_union,
                recorded_on=on,
            )
        )
    if rows:
        await AdmissionIntroducer.insert(*rows).run()
        await record_event(
            actor_of(access),
            "record",
            "admission_introducer",
            candidate["id"],
            None,
            {
                "members": [m["id"] for m, _ in members],
                "months_together": [months for _, months in members],
                "organisation": organisation,
            },
        )


def _grassroots_path(unit_path: str) -> str:
    """The path of the unit directly above the candidate's cell (paths are "1.5.12.")."""
    parts = [p for p in unit_path.split(".") if p]
    return "".join(f"{p}." for p in parts[:-1]) if len(parts) > 1 else unit_path


async def record_step(access: Access, candidate_id: int, data: RoadStepIn) -> RoadOut:
    """Record one step of the road through the stage machine (the stage is kept); the
    rules judge an extension and a recognition with the road as it will be."""
    from nguon.pipeline.evaluation import evaluate_rows

    candidate = await visible_candidate(access, candidate_id)
    role = STEP_ROLES[data.step]
    path = (
        _grassroots_path(candidate["unit_path"])
        if data.step == "grassroots_resolution"
        else candidate["unit_path"]
    )
    if not access.can(path, role):
        who = (
            "đảng ủy cơ sở (quyền sửa ở cấp trên chi bộ)"
            if data.step == "grassroots_resolution"
            else "cấp ủy có thẩm quyền (quyền phê duyệt)"
        )
        raise Forbidden(f"Bước này do {who} ghi / Your role cannot record this step")
    if data.version != candidate["version"]:
        raise Conflict(stale_message("candidate"), field="version")
    if data.taken_on > today_in_vietnam():
        raise InvalidInput("Ngày ở tương lai / Date is in the future: taken_on", field="taken_on")
    if data.step == "extension" and data.working_days is None:
        raise InvalidInput(
            "Cần số ngày làm việc được gia hạn / working_days is required for an extension",
            field="working_days",
        )
    if data.step != "extension" and data.working_days is not None:
        raise InvalidInput(
            "Chỉ gia hạn mới có số ngày làm việc / working_days is only for an extension",
            field="working_days",
        )
    event = STEP_EVENTS[data.step]
    transition = await require_transition(candidate, event, "step", data.taken_on)
    steps = (await steps_of([candidate_id])).get(candidate_id, [])
    road = road_dates(steps)
    if data.step == "grassroots_resolution" and road.cell_resolution is None:
        raise Conflict(
            "Chưa ghi nghị quyết của chi bộ đề nghị kết nạp / "
            "The cell's resolution is not recorded: step",
            field="step",
        )
    if road.cell_resolution and data.taken_on < road.cell_resolution:
        raise InvalidInput(
            "Ngày này trước nghị quyết của chi bộ / The date is before the cell's resolution: "
            "taken_on",
            field="taken_on",
        )
    decision = STEP_DECISIONS.get(data.step)
    if decision is not None:
        if data.step == "extension":
            planned = msgspec.structs.replace(
                road,
                extensions=road.extensions + 1,
                extension_working_days=road.extension_working_days + (data.working_days or 0),
            )
        else:
            planned = msgspec.structs.replace(road, recognition_decision=data.taken_on)
        evaluation = (
            await evaluate_rows(
                [candidate], data.taken_on, [decision], overrides={candidate_id: {"road": planned}}
            )
        )[candidate_id]
        refused = refusal(evaluation, decision, candidate["stage"])
        if refused is not None and not (refused.outcome == "needs_review" and data.note.strip()):
            raise refused
    await add_step(
        access,
        candidate,
        data.step,
        data.taken_on,
        data.document_number,
        transition.clause_id,
        working_days=data.working_days or 0,
        note=data.note,
    )
    actor = actor_of(access)
    await StageChange.insert(
        StageChange(
            tenant_id=require_tenant(),
            candidate=candidate_id,
            from_stage=candidate["stage"],
            to_stage=candidate["stage"],
            changed_on=data.taken_on,
            reason=f"{STEP_LABELS[data.step]} số {nfc(data.document_number).strip()}",
            event=event,
            clause_id=transition.clause_id,
            actor_id=actor.user_id,
            actor=actor.label,
        )
    ).run()
    return await road_out(access, candidate_id)


async def road_out(access: Access, candidate_id: int, on: dt.date | None = None) -> RoadOut:
    candidate = await visible_candidate(access, candidate_id)
    package = await tenant_package()
    steps = (await steps_of([candidate_id])).get(candidate_id, [])
    introducers = (await introducer_rows([candidate_id])).get(candidate_id, [])
    deadlines = road_deadlines(package, road_dates(steps), on or today_in_vietnam())
    return RoadOut(
        candidate_id=candidate_id,
        stage=candidate["stage"],
        version=candidate["version"],
        steps=[
            RoadStepOut(
                step=row["step"],
                label=STEP_LABELS.get(row["step"], row["step"]),
                taken_on=row["taken_on"],
                document_number=row["document_number"],
                working_days=row["working_days"],
                clause_id=row["clause_id"],
                actor=row["actor"],
            )
            for row in steps
        ],
        introducers=[
            IntroducerOut(
                kind=row["kind"],
                member_id=row["member"],
                member_name=row.get("member.full_name") or "",
                member_status=row["member_status"],
                months_together=row["months_together"],
                document_number=row["document_number"],
            )
            for row in introducers
        ],
        deadlines=[
            DeadlineOut(
                step=d.step,
                label=d.label,
                due=d.due,
                status=d.status,
                status_label=STATUS_LABELS[d.status],
                clause_id=d.clause_id,
                working_days_left=d.working_days_left,
                note=d.note,
            )
            for d in deadlines
        ],
    )
