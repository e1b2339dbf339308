"""A person's current evaluation as the candidate page shows it: each step's decision with
its outcome and reasons, the guidance clause behind each reason and the parameter values
its rule compared with."""

from __future__ import annotations

import datetime as dt
from typing import Any, get_args

from nguon.accounts.permissions import Access
from nguon.clock import today_in_vietnam
from nguon.errors import NotFound
from nguon.pipeline.evaluation import evaluate_rows
from nguon.pipeline.evaluation_schemas import (
    ClauseOut,
    DecisionOut,
    EvaluationOut,
    EvaluationReason,
    ParameterOut,
)
from nguon.pipeline.lists import STEP_DECISIONS
from nguon.pipeline.schemas import Step
from nguon.pipeline.stages import visible_candidate
from nguon.portal.evaluations import SHOWN_DECISIONS
from nguon.rules.conditions import referenced_parameters
from nguon.rules.decisions import Reason
from nguon.rules.errors import RulesError
from nguon.rules.package import RulesPackage
from nguon.tenancy.package import tenant_package

STEP_OF_DECISION: dict[str, Step] = {
    decision: step for step, decision in STEP_DECISIONS.items() if step in get_args(Step)
}


def _clause(package: RulesPackage, clause_id: str | None) -> ClauseOut | None:
    """The clause a reason cites (a rule's clause: the loader refuses a package citing one
    it does not have); None for a reason of invalid facts, which cites none."""
    if not clause_id:
        return None
    clause = package.clause(clause_id)
    doc = package.documents.get(clause.document)
    document = f"{doc.number} — {doc.title}" if doc else clause.document
    return ClauseOut(id=clause_id, ref=clause.ref, text=clause.text, document=document)


def _parameters(package: RulesPackage, rule_id: str | None, on: dt.date) -> list[ParameterOut]:
    rule = package.rule(rule_id) if rule_id else None
    if rule is None:
        return []
    found = []
    for name in sorted(referenced_parameters(rule.condition)):
        try:
            value = package.parameter_provenance(name, on)
        except RulesError:
            continue
        found.append(
            ParameterOut(
                name=name,
                value=value.value,
                description=value.description,
                reference=value.reference,
                valid_from=value.valid_from,
                valid_to=value.valid_to,
            )
        )
    return found


def _reason(package: RulesPackage, reason: Reason, on: dt.date) -> EvaluationReason:
    return EvaluationReason(
        code=reason.code,
        message_vi=reason.message_vi,
        rule_id=reason.rule_id,
        clause=_clause(package, reason.clause_id),
        parameters=_parameters(package, reason.rule_id, on),
        inference=package.inference_note(reason.rule_id, reason.clause_id),
    )


async def candidate_evaluation(
    access: Access, candidate_id: int, on: dt.date | None = None
) -> EvaluationOut:
    """The rules' decisions on the candidate today (or ``on``), as the portal shows them."""
    row: dict[str, Any] = await visible_candidate(access, candidate_id)
    on = on or today_in_vietnam()
    evaluation = (await evaluate_rows([row], on)).get(row["id"])
    if evaluation is None:
        raise NotFound("candidate")
    package = await tenant_package()
    decisions = []
    for code in SHOWN_DECISIONS:
        decision = evaluation.decisions.get(code)
        if decision is None:
            continue
        spec = package.decisions.get(code)
        decisions.append(
            DecisionOut(
                decision=code,
                step=STEP_OF_DECISION.get(code),
                label=spec.label if spec else code,
                outcome=decision.outcome,
                reasons=[_reason(package, r, on) for r in decision.reasons],
            )
        )
    return EvaluationOut(
        candidate_id=row["id"],
        unit_id=row["unit"],
        stage=row["stage"],
        evaluated_on=on,
        package=evaluation.package,
        package_version=evaluation.version,
        decisions=decisions,
    )
