"""Evaluating stored candidates with the tenant's rules package, for the portal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from nguon.org.tables import OrgUnit
from nguon.pipeline.evaluation import evaluate_candidates
from nguon.pipeline.tables import CandidateDecision, HelperAssignment
from nguon.rules.decisions import CandidateEvaluation
from nguon.tenancy.context import require_tenant
from nguon.tenancy.scoped import in_tenant
from nguon.tenancy.tables import Tenant

SHOWN_DECISIONS = (
    "survey_list",
    "course_nominee_list",
    "admission_source_list",
    "admission_readiness",
)


async def tenant_package() -> str:
    row = await (
        Tenant.select(Tenant.rules_package).where(Tenant.id == require_tenant()).first().run()
    )
    if row is None:
        raise LookupError("the current tenant does not exist")
    return str(row["rules_package"])


async def evaluate_rows(
    rows: list[Mapping[str, Any]], on: dt.date, decisions: list[str] | None = None
) -> dict[int, CandidateEvaluation]:
    """Evaluate candidate rows (``Candidate.select()`` dicts) in their own units."""
    if not rows:
        return {}
    unit_ids = sorted({row["unit"] for row in rows})
    units = await (
        OrgUnit.select(OrgUnit.id, OrgUnit.kind, OrgUnit.bloc)
        .where(in_tenant(OrgUnit), OrgUnit.id.is_in(unit_ids))
        .run()
    )
    ids = [row["id"] for row in rows]
    helped = await (
        HelperAssignment.select(HelperAssignment.candidate)
        .where(
            in_tenant(HelperAssignment),
            HelperAssignment.candidate.is_in(ids),
            HelperAssignment.assigned_on <= on,
            (HelperAssignment.ended_on.is_null()) | (HelperAssignment.ended_on > on),
        )
        .run()
    )
    return await evaluate_candidates(
        await tenant_package(),
        rows,
        {unit["id"]: unit for unit in units},
        on,
        decisions,
        frozenset(h["candidate"] for h in helped),
    )


async def store_decisions(evaluations: Iterable[CandidateEvaluation], on: dt.date) -> int:
    """Replace the stored decisions of these candidates; returns how many rows were written.

    Run it inside a transaction so a candidate never has half its decisions replaced.
    """
    tenant_id = require_tenant()
    rows: list[CandidateDecision] = []
    candidates: list[int] = []
    for evaluation in evaluations:
        candidate_id = int(evaluation.person_ref)
        candidates.append(candidate_id)
        for name, decision in evaluation.decisions.items():
            rows.append(
                CandidateDecision(
                    tenant_id=tenant_id,
                    candidate=candidate_id,
                    decision=name,
                    outcome=decision.outcome,
                    reasons=msgspec.json.encode(decision.reasons).decode(),
                    package=evaluation.package,
                    package_version=evaluation.version,
                    inputs_hash=evaluation.inputs_hash,
                    evaluated_on=on,
                    next_check=evaluation.next_check,
                )
            )
    if not candidates:
        return 0
    await (
        CandidateDecision.delete()
        .where(in_tenant(CandidateDecision), CandidateDecision.candidate.is_in(candidates))
        .run()
    )
    if rows:
        await CandidateDecision.insert(*rows).run()
    return len(rows)
