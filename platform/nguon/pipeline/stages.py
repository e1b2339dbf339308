"""A candidate's stage changes only here, through the stage machine
(``nguon.pipeline.stage_machine``): the event must be one the person's stage allows, the
tenant's rules must allow the stage it leads to, and every change leaves a StageChange
row (with its event and clause) and an audit event.

The rules decide with ``stage_to_<stage>``: ``not_eligible`` refuses with the rules'
Vietnamese reasons and clause ids; ``needs_review`` refuses unless the caller gives a
justification (an accepted list, a resolution) that is recorded with the change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import msgspec

from nguon.accounts.permissions import Access, visible_row
from nguon.audit.service import Actor, record_event
from nguon.clock import today_in_vietnam
from nguon.errors import Conflict, NotFound
from nguon.hook_events import StageChangeSummary
from nguon.people.labels import STAGE_LABELS
from nguon.people.tables import Candidate
from nguon.pipeline.evaluation import evaluate_rows
from nguon.pipeline.events import StageEvent, emit
from nguon.pipeline.stage_machine import (
    StageEventKind,
    StageRefused,
    Transition,
    stage_label,
    transition_for,
)
from nguon.pipeline.tables import StageChange
from nguon.rules.decisions import CandidateEvaluation, Reason
from nguon.tenancy.context import require_tenant
from nguon.tenancy.package import tenant_package
from nguon.tenancy.scoped import in_tenant

STAGE_DECISIONS: dict[str, str] = {
    stage: f"stage_to_{stage}" for stage in STAGE_LABELS if stage != "surveyed"
}


def rules_refusal(to_stage: str, outcome: str, reasons: list[Reason]) -> StageRefused:
    """The 409 for a change the rules do not allow; ``reasons`` are theirs."""
    detail = "; ".join(describe_reason(r) for r in reasons) or outcome
    detail_en = "; ".join(f"{r.code} [{r.clause_id}]" if r.clause_id else r.code for r in reasons)
    review = " (cần xem xét và nêu lý do)" if outcome == "needs_review" else ""
    review_en = " unless a justification is given" if outcome == "needs_review" else ""
    return StageRefused(
        f"Không thể chuyển sang «{STAGE_LABELS.get(to_stage, to_stage)}»{review}: {detail}",
        message_en=f"The province's rules refuse the change to `{to_stage}`{review_en} "
        f"({outcome}): {detail_en or outcome}",
        to_stage=to_stage,
        outcome=outcome,
        reasons=reasons,
    )


def describe_reason(reason: Reason) -> str:
    clause = f" [{reason.clause_id}]" if reason.clause_id else ""
    return f"{reason.message_vi}{clause}"


def actor_of(access: Access) -> Actor:
    return Actor(label=access.username, user_id=access.user_id)


async def visible_candidate(access: Access, candidate_id: int) -> dict[str, Any]:
    """The candidate's row, if it is in the tenant and in the caller's view."""
    return await visible_row(access, Candidate, Candidate.unit_path, candidate_id, "candidate")


def refusal(evaluation: CandidateEvaluation, decision: str, to_stage: str) -> StageRefused | None:
    """The refusal a decision's outcome calls for, or None when it is eligible."""
    outcome = evaluation.decisions[decision]
    if outcome.outcome == "eligible":
        return None
    return rules_refusal(to_stage, outcome.outcome, list(outcome.reasons))


async def require_transition(
    candidate: Mapping[str, Any],
    event: StageEventKind,
    field: str = "stage",
    on: dt.date | None = None,
) -> Transition:
    """The machine's transition for ``event`` from the candidate's stage, citing the clause
    in force on ``on`` (today when None) in the tenant's package; a 409 naming ``field``
    when there is none."""
    transition = transition_for(candidate["stage"], event, field)
    package = await tenant_package()
    cited = package.clause_on(transition.clause_id, on or today_in_vietnam())
    return msgspec.structs.replace(transition, clause_id=cited)


async def last_change_day(candidate_id: int) -> dt.date | None:
    last = (
        await StageChange.select(StageChange.changed_on)
        .where(in_tenant(StageChange), StageChange.candidate == candidate_id)
        .order_by(StageChange.changed_on, ascending=False)
        .limit(1)
    )
    return last[0]["changed_on"] if last else None


async def enrolment_day(candidate_id: int, course_opens_on: dt.date) -> dt.date:
    """A person enrolled in a course already running (recorded after the fact) was a
    nominee from the day it opened, or from their last change if that came later."""
    day = min(today_in_vietnam(), course_opens_on)
    last = await last_change_day(candidate_id)
    return max(day, last) if last else day


async def change_stage(
    actor: Actor,
    candidate: Mapping[str, Any],
    event: StageEventKind,
    on: dt.date,
    *,
    reason: str = "",
    justification: str | None = None,
    introducers: int | None = None,
    also_check: tuple[str, ...] = (),
    values: Mapping[str, Any] | None = None,
    field: str = "stage",
    facts: Mapping[str, Any] | None = None,
    reviewed: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Apply ``event`` to a candidate (a row read in this transaction): the machine names
    the stage it leads to and the clause allowing it, the rules must allow that stage.

    ``values`` are other candidate fields changed with the stage (a certificate); the
    rules judge the candidate as it will be, with ``facts`` (fact fields) over the stored
    ones. ``reviewed``: reason codes a ``needs_review`` may carry and still pass (the
    change's reason answers them). ``also_check`` names further decisions that
    must be eligible too. Returns the updated row; the version goes up by one.
    """
    transition = await require_transition(candidate, event, field, on)
    to_stage = transition.to_stage
    if to_stage == candidate["stage"]:
        raise StageRefused(
            f"Người này đã ở giai đoạn «{stage_label(to_stage)}»",
            message_en=f"The person is already at stage `{to_stage}`",
            field=field,
            to_stage=to_stage,
        )
    decision = STAGE_DECISIONS[to_stage]
    extra = dict(values or {})
    future = {**candidate, **extra}
    counts = {candidate["id"]: introducers} if introducers is not None else None
    decisions = [decision, *also_check]
    overrides = {candidate["id"]: facts} if facts else None
    evaluation = (await evaluate_rows([future], on, decisions, counts, overrides))[candidate["id"]]
    for name in decisions:
        refused = refusal(evaluation, name, to_stage)
        if refused is None:
            continue
        if refused.outcome == "needs_review" and justification:
            continue
        if refused.outcome == "needs_review" and all(r.code in reviewed for r in refused.reasons):
            continue  # the caller's reason answers these (a late decision, recorded late)
        raise refused
    now = dt.datetime.now(dt.UTC)
    updated = await (
        Candidate.update(
            {
                **extra,
                "stage": to_stage,
                "version": candidate["version"] + 1,
                "updated_at": now,
            }
        )
        .where(
            in_tenant(Candidate),
            Candidate.id == candidate["id"],
            Candidate.version == candidate["version"],
        )
        .returning(Candidate.id)
        .run()
    )
    if not updated:
        raise Conflict(stale_message("candidate"), field="version")
    note = "; ".join(part for part in (reason, justification or "") if part)
    await StageChange.insert(
        StageChange(
            tenant_id=require_tenant(),
            candidate=candidate["id"],
            from_stage=candidate["stage"],
            to_stage=to_stage,
            changed_on=on,
            reason=note,
            event=event,
            clause_id=transition.clause_id,
            actor_id=actor.user_id,
            actor=actor.label,
        )
    ).run()
    before = {"stage": candidate["stage"], **{k: candidate.get(k) for k in extra}}
    after = {
        "stage": to_stage,
        **extra,
        "changed_on": on,
        "reason": note,
        "event": event,
        "clause_id": transition.clause_id,
    }
    await record_event(actor, "stage_change", "candidate", candidate["id"], before, after)
    emit(
        StageEvent(
            change=StageChangeSummary(
                tenant_id=require_tenant(),
                candidate_id=candidate["id"],
                unit_id=candidate["unit"],
                from_stage=candidate["stage"],
                to_stage=to_stage,
                changed_on=on,
                reason=note,
            ),
            actor=actor,
        )
    )
    row = await (
        Candidate.select()
        .where(in_tenant(Candidate), Candidate.id == candidate["id"])
        .first()
        .run()
    )
    if row is None:
        raise NotFound("candidate")
    return row


def stale_message(entity: str) -> str:
    return (
        f"Dữ liệu đã được người khác sửa; hãy tải lại. / "
        f"The {entity} was changed by someone else; reload it: version"
    )


async def stage_history(candidate_id: int) -> list[dict[str, Any]]:
    return await (
        StageChange.select()
        .where(in_tenant(StageChange), StageChange.candidate == candidate_id)
        .order_by(StageChange.id)
        .run()
    )
