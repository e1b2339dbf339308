"""Decisions of the rules for stored candidates, kept in ``CandidateDecision``.

A stored decision is reused while it is still true: same package version, same inputs
hash, and the day is before its ``next_check``. Only the others go to the engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from nguon.pipeline.evaluation import (
    candidate_facts,
    evaluate_candidates,
    helpers_assigned,
    unit_facts,
)
from nguon.pipeline.tables import CandidateDecision
from nguon.rules.decisions import CandidateEvaluation, Decision, Reason
from nguon.rules.package import RulesPackage
from nguon.rules.service import due_for_reevaluation
from nguon.tenancy.context import require_tenant
from nguon.tenancy.scoped import in_tenant

STORE_CHUNK = 1_000
"""Decisions per statement: 11 parameters a row, well under Postgres's 32,767."""

# What a newer judgement replaces in a stored decision.
UPSERTED = (
    CandidateDecision.outcome,
    CandidateDecision.reasons,
    CandidateDecision.package,
    CandidateDecision.package_version,
    CandidateDecision.inputs_hash,
    CandidateDecision.evaluated_on,
    CandidateDecision.next_check,
)


class Outcome(msgspec.Struct, kw_only=True, frozen=True):
    outcome: str
    reasons: list[Reason]
    inputs_hash: str


class DecisionStats(msgspec.Struct, kw_only=True):
    reused: int = 0
    evaluated: int = 0


def reasons_to_json(reasons: Sequence[Reason]) -> list[dict[str, Any]]:
    return [msgspec.to_builtins(r) for r in reasons]


def reasons_from_json(value: Any) -> list[Reason]:
    if isinstance(value, str):
        value = msgspec.json.decode(value or "[]")
    return msgspec.convert(value or [], list[Reason])


def _previous(row: dict[str, Any], decision: str) -> CandidateEvaluation:
    return CandidateEvaluation(
        person_ref=str(row["candidate"]),
        package=row["package"],
        version=row["package_version"],
        on=row["evaluated_on"],
        inputs_hash=row["inputs_hash"],
        decisions={
            decision: Decision(outcome=row["outcome"], reasons=reasons_from_json(row["reasons"]))
        },
        next_check=row["next_check"],
    )


async def decide(
    package: RulesPackage,
    candidates: Sequence[Mapping[str, Any]],
    units: Mapping[int, Mapping[str, Any]],
    on: dt.date,
    decision: str,
    stats: DecisionStats | None = None,
) -> dict[int, Outcome]:
    """One decision for each candidate row on ``on``, from the store when still valid."""
    stats = stats if stats is not None else DecisionStats()
    ids = [row["id"] for row in candidates]
    if not ids:
        return {}
    from nguon.pipeline.publication import tenant_rules_on

    helpers = await helpers_assigned(ids, on)
    rules_on = await tenant_rules_on(package, on)
    stored = {
        row["candidate"]: row
        for row in await CandidateDecision.select()
        .where(
            in_tenant(CandidateDecision),
            CandidateDecision.candidate.is_in(ids),
            CandidateDecision.decision == decision,
        )
        .run()
    }
    results: dict[int, Outcome] = {}
    stale: list[Mapping[str, Any]] = []
    for row in candidates:
        previous = stored.get(row["id"])
        if previous is not None and previous["package"] == package.id:
            facts = candidate_facts(row, helper_assigned=row["id"] in helpers)
            unit = unit_facts(units[row["unit"]])
            if previous["evaluated_on"] <= on and not due_for_reevaluation(
                _previous(previous, decision), package, facts, unit, on, rules_on
            ):
                results[row["id"]] = Outcome(
                    outcome=previous["outcome"],
                    reasons=reasons_from_json(previous["reasons"]),
                    inputs_hash=previous["inputs_hash"],
                )
                continue
        stale.append(row)
    stats.reused += len(results)
    stats.evaluated += len(stale)
    if not stale:
        return results
    evaluations = await evaluate_candidates(package.id, stale, units, on, [decision], helpers)
    tenant_id = require_tenant()
    rows: list[CandidateDecision] = []
    for candidate_id, evaluation in sorted(evaluations.items()):
        result = evaluation.decisions[decision]
        results[candidate_id] = Outcome(
            outcome=result.outcome, reasons=list(result.reasons), inputs_hash=evaluation.inputs_hash
        )
        rows.append(
            CandidateDecision(
                tenant_id=tenant_id,
                candidate=candidate_id,
                decision=decision,
                outcome=result.outcome,
                reasons=reasons_to_json(result.reasons),
                package=package.id,
                package_version=evaluation.version,
                inputs_hash=evaluation.inputs_hash,
                evaluated_on=on,
                next_check=evaluation.next_check,
            )
        )
    await store(rows, on)
    return results


async def store(rows: Sequence[CandidateDecision], on: dt.date) -> None:
    """Insert or replace the decisions judged on ``on``, in statements of at most
    ``STORE_CHUNK`` rows (a statement takes at most 32,767 parameters on Postgres).

    Two requests judging the same people at once (two lists made together) both find no
    stored row: the upsert lets the second replace the first instead of failing on the
    (candidate, decision) key. A row judged on a later day than ``on`` is kept. Rows go
    in candidate order so concurrent statements take their row locks in the same order.
    """
    for start in range(0, len(rows), STORE_CHUNK):
        await (
            CandidateDecision.insert(*rows[start : start + STORE_CHUNK])
            .on_conflict(
                target=(CandidateDecision.candidate, CandidateDecision.decision),
                action="DO UPDATE",
                values=list(UPSERTED),
                where=CandidateDecision.evaluated_on <= on,
            )
            .run()
        )


async def store_evaluations(evaluations: Sequence[CandidateEvaluation], on: dt.date) -> int:
    """Store every decision of these evaluations (judged on ``on``); how many rows."""
    tenant_id = require_tenant()
    rows = [
        CandidateDecision(
            tenant_id=tenant_id,
            candidate=int(evaluation.person_ref),
            decision=name,
            outcome=decision.outcome,
            reasons=reasons_to_json(decision.reasons),
            package=evaluation.package,
            package_version=evaluation.version,
            inputs_hash=evaluation.inputs_hash,
            evaluated_on=on,
            next_check=evaluation.next_check,
        )
        for evaluation in sorted(evaluations, key=lambda e: int(e.person_ref))
        for name, decision in evaluation.decisions.items()
    ]
    await store(rows, on)
    return len(rows)
