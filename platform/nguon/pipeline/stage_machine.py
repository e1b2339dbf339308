"""The stage machine: which event may move a candidate from which stage, and to which.

A candidate's stage changes only through an event that justifies it — a course-nominee
list accepted above (the enrolment that follows it), a course result, a certificate, an
admission-source list accepted above, the cell's admission proposal, the admission
decision, a removal resolution — and each transition cites the clause of the rules
package that allows it.
A pair (stage, event) that is not in ``TRANSITIONS`` is refused: a 409 whose reason
says, in Vietnamese, what the person's stage allows instead.

Some events keep the stage (a course result, a helper resolution): they are in the table
too, so that they are refused from any other stage.
"""

from __future__ import annotations

from typing import Literal, get_args

import msgspec

from nguon.errors import Conflict
from nguon.people.labels import STAGE_LABELS
from nguon.rules.decisions import Reason
from nguon.rules.errors import RulesError
from nguon.rules.package import RulesPackage

StageEventKind = Literal[
    "course_nominee_list",
    "course_result",
    "certificate",
    "admission_source_list",
    "helper_resolution",
    "admission_proposal",
    "admission_decision",
    "removal_resolution",
    "grassroots_resolution",
    "decision_extension",
    "recognition_decision",
]
EVENTS: tuple[StageEventKind, ...] = get_args(StageEventKind)
STAGES: tuple[str, ...] = tuple(STAGE_LABELS)
FINAL_STAGES = frozenset({"admitted", "removed"})

EVENT_LABELS: dict[str, str] = {
    "course_nominee_list": "ghi danh học lớp theo danh sách giới thiệu đã được cấp trên chấp nhận",
    "course_result": "ghi kết quả học lớp bồi dưỡng nhận thức về Đảng",
    "certificate": "cấp giấy chứng nhận học lớp bồi dưỡng nhận thức về Đảng",
    "admission_source_list": "tiếp nhận danh sách nguồn kết nạp đảng viên (Bước 3)",
    "helper_resolution": "nghị quyết phân công đảng viên giúp đỡ",
    "admission_proposal": "đề nghị làm thủ tục kết nạp",
    "admission_decision": "quyết định kết nạp",
    "removal_resolution": "nghị quyết đưa ra khỏi danh sách",
    "grassroots_resolution": "ghi nghị quyết của đảng ủy cơ sở đề nghị kết nạp",
    "decision_extension": "gia hạn thời hạn quyết định kết nạp",
    "recognition_decision": "ghi quyết định công nhận đảng viên chính thức",
}
"""Each event in a few Vietnamese words, as refusals say it."""
EVENT_LABELS_EN: dict[str, str] = {
    "course_nominee_list": "enrolment in a course from an accepted Step 2 list",
    "course_result": "recording the course result",
    "certificate": "issuing the course certificate",
    "admission_source_list": "taking the person onto an accepted Step 3 list",
    "helper_resolution": "assigning a helper by the cell's resolution",
    "admission_proposal": "proposing the person for admission",
    "admission_decision": "the admission decision",
    "removal_resolution": "removal from the lists by resolution",
    "grassroots_resolution": "the grassroots committee's resolution proposing admission",
    "decision_extension": "extending the admission decision's deadline",
    "recognition_decision": "recognition as an official member",
}
"""The same in English, for ``detail_en``."""


class Transition(msgspec.Struct, frozen=True, kw_only=True):
    from_stage: str
    event: StageEventKind
    to_stage: str
    clause_id: str


def _removals() -> tuple[Transition, ...]:
    return tuple(
        Transition(
            from_stage=stage,
            event="removal_resolution",
            to_stage="removed",
            clause_id="hd01.list.removal",
        )
        for stage in STAGES
        if stage not in FINAL_STAGES
    )


TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        from_stage="surveyed",
        event="course_nominee_list",
        to_stage="course_nominee",
        clause_id="hd01.course.nominee",
    ),
    # Enrolled again (another course) on the strength of the same accepted list.
    Transition(
        from_stage="course_nominee",
        event="course_nominee_list",
        to_stage="course_nominee",
        clause_id="hd01.course.nominee",
    ),
    Transition(
        from_stage="course_nominee",
        event="course_result",
        to_stage="course_nominee",
        clause_id="hd01.course.attendance",
    ),
    Transition(
        from_stage="course_nominee",
        event="certificate",
        to_stage="certified",
        clause_id="hd01.certificate",
    ),
    Transition(
        from_stage="certified",
        event="admission_source_list",
        to_stage="admission_source",
        clause_id="hd01.source_list",
    ),
    # A helper is assigned by resolution once the person holds a certificate, before or
    # after the Step 3 list; it never changes the stage by itself.
    *(
        Transition(
            from_stage=stage,
            event="helper_resolution",
            to_stage=stage,
            clause_id="hd01.helper",
        )
        for stage in ("certified", "admission_source", "admission_in_progress")
    ),
    Transition(
        from_stage="admission_source",
        event="admission_proposal",
        to_stage="admission_in_progress",
        clause_id="qd24.admission.proposal",
    ),
    Transition(
        from_stage="admission_in_progress",
        event="admission_decision",
        to_stage="admitted",
        clause_id="qd24.admission.decision",
    ),
    # The road between the cell's resolution and the decision, then probation: these
    # record a step with its date and keep the stage.
    Transition(
        from_stage="admission_in_progress",
        event="grassroots_resolution",
        to_stage="admission_in_progress",
        clause_id="road.grassroots.resolution",
    ),
    Transition(
        from_stage="admission_in_progress",
        event="decision_extension",
        to_stage="admission_in_progress",
        clause_id="road.decision.deadline",
    ),
    Transition(
        from_stage="admitted",
        event="recognition_decision",
        to_stage="admitted",
        clause_id="dieu-le.5.recognition",
    ),
    *_removals(),
)

_BY_KEY: dict[tuple[str, str], Transition] = {(t.from_stage, t.event): t for t in TRANSITIONS}
MACHINE_CLAUSES: frozenset[str] = frozenset(t.clause_id for t in TRANSITIONS)


class StageRefused(Conflict):
    """The stage machine, one of its guards, or the rules refuse the change (a 409).

    ``reasons`` are the rules' own when they refused, clause ids included.
    """

    def __init__(
        self,
        message_vi: str,
        *,
        message_en: str = "The stage machine refuses this change",
        field: str = "stage",
        to_stage: str | None = None,
        outcome: str = "not_eligible",
        reasons: list[Reason] | None = None,
        clause_id: str | None = None,
    ) -> None:
        self.to_stage = to_stage
        self.outcome = outcome
        self.reasons = list(reasons or [])
        self.clause_id = clause_id
        super().__init__(f"{message_vi} / {message_en}", field=field, code="stage_refused")


def stage_label(stage: str) -> str:
    return STAGE_LABELS.get(stage, stage)


def stages_allowing(event: StageEventKind) -> list[str]:
    """The stages from which ``event`` is a transition of the machine."""
    return [t.from_stage for t in TRANSITIONS if t.event == event]


def allowed_events(stage: str) -> list[StageEventKind]:
    return [t.event for t in TRANSITIONS if t.from_stage == stage]


def transition_for(stage: str, event: StageEventKind, field: str = "stage") -> Transition:
    """The transition ``event`` makes from ``stage``, or a refusal naming what it allows."""
    found = _BY_KEY.get((stage, event))
    if found is not None:
        return found
    if stage not in STAGE_LABELS:
        raise StageRefused(
            f"Giai đoạn không hợp lệ: {stage}", message_en=f"Unknown stage `{stage}`", field=field
        )
    allowed = allowed_events(stage)
    if allowed:
        instead = "; ở giai đoạn này chỉ có thể: " + ", ".join(EVENT_LABELS[e] for e in allowed)
    else:
        instead = "; đây là giai đoạn cuối, không thay đổi được nữa"
    instead_en = (
        "; at this stage only: " + ", ".join(EVENT_LABELS_EN[e] for e in allowed)
        if allowed
        else "; this is the last stage, it does not change any more"
    )
    raise StageRefused(
        f"Không thể {EVENT_LABELS[event]} cho người đang ở giai đoạn «{stage_label(stage)}»"
        f"{instead}.",
        message_en=f"Not possible for a person at stage `{stage}`: {EVENT_LABELS_EN[event]}"
        f"{instead_en}.",
        field=field,
    )


def check_clauses(package: RulesPackage) -> list[str]:
    """What is wrong with the machine's citations in ``package`` (with its baseline): a
    clause id it does not hold, or a day from the clause's document onward on which
    neither the clause nor its successors (``succeeded_by``) belong to a text in force."""
    problems: list[str] = []
    changes = sorted(
        {day for periods in package.document_periods.values() for p in periods for day in p if day}
    )
    for clause_id in sorted(MACHINE_CLAUSES):
        try:
            spec = package.clause(clause_id)
        except RulesError:
            problems.append(f"{clause_id}: not in the package")
            continue
        starts = [p[0] for p in package.document_periods.get(spec.document, ()) if p[0]]
        for day in (d for d in changes if starts and d >= min(starts)):
            try:
                cited = package.clause(package.clause_on(clause_id, day))
            except RulesError as error:
                problems.append(f"{clause_id}: {error}")
                break
            if not package.document_in_force(cited.document, day):
                problems.append(
                    f"{clause_id}: on {day} its text {cited.document!r} is no longer in force "
                    "and no successor (succeeded_by) is"
                )
                break
    return problems
