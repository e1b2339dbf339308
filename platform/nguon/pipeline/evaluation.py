"""Stored candidates in, decisions of the tenant's rules package out.

The bridge between the tables and ``nguon.rules``: facts are built from rows, candidates
are grouped by the unit that considers them (the engine takes one unit per batch), and
results come back keyed by candidate id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import msgspec

from nguon.org.tables import OrgUnit
from nguon.pipeline.tables import HelperAssignment
from nguon.rules.decisions import CandidateEvaluation
from nguon.rules.facts import CandidateFacts, UnitFacts
from nguon.rules.registry import load_package
from nguon.rules.service import evaluate
from nguon.tenancy.package import tenant_package
from nguon.tenancy.scoped import in_tenant


def candidate_facts(row: Mapping[str, Any], helper_assigned: bool = False) -> CandidateFacts:
    return CandidateFacts(
        person_ref=str(row["id"]),
        date_of_birth=row["date_of_birth"],
        sex=row["sex"],
        ethnicity=row["ethnicity"],
        education=row["education"],
        hardship_area=bool(row["hardship_area"]),
        political_standard=row["political_standard"],
        is_party_member=bool(row["is_party_member"]),
        youth_union_member=bool(row["youth_union_member"]),
        trade_union_member=bool(row["trade_union_member"]),
        provincial_consent_over_60=bool(row["provincial_consent_over_60"]),
        certificate_date=row["certificate_date"],
        stage=row["stage"],
        helper_assigned=helper_assigned,
    )


def unit_facts(unit: Mapping[str, Any]) -> UnitFacts:
    return UnitFacts(kind=unit["kind"], bloc=unit["bloc"])


async def evaluate_candidates(
    package_id: str,
    candidates: Iterable[Mapping[str, Any]],
    units: Mapping[int, Mapping[str, Any]],
    on: date,
    decisions: list[str] | None = None,
    helpers: frozenset[int] = frozenset(),
) -> dict[int, CandidateEvaluation]:
    """Evaluate candidates, each in the unit that holds them; ``helpers``: ids with a helper."""
    from nguon.pipeline.publication import tenant_rules_on, until_next_publication

    package = load_package(package_id)
    rules_on = await tenant_rules_on(package, on)
    by_unit: dict[int, list[CandidateFacts]] = defaultdict(list)
    for row in candidates:
        by_unit[row["unit"]].append(candidate_facts(row, helper_assigned=row["id"] in helpers))
    results: dict[int, CandidateEvaluation] = {}
    for unit_id, facts in by_unit.items():
        for evaluation in await evaluate(
            package, facts, unit_facts(units[unit_id]), on, decisions, rules_on
        ):
            results[int(evaluation.person_ref)] = evaluation
    return await until_next_publication(package, on, results)


async def helpers_assigned(candidate_ids: Iterable[int], on: date) -> frozenset[int]:
    """Which of these candidates have an official member assigned to help them on ``on``."""
    ids = list(candidate_ids)
    if not ids:
        return frozenset()
    rows = await (
        HelperAssignment.select(HelperAssignment.candidate)
        .where(
            in_tenant(HelperAssignment),
            HelperAssignment.candidate.is_in(ids),
            HelperAssignment.assigned_on <= on,
            HelperAssignment.ended_on.is_null() | (HelperAssignment.ended_on > on),
        )
        .run()
    )
    return frozenset(row["candidate"] for row in rows)


async def units_of(rows: Iterable[Mapping[str, Any]]) -> dict[int, dict[str, Any]]:
    """The kind and bloc of the units holding these candidate rows, by unit id."""
    unit_ids = sorted({row["unit"] for row in rows})
    units = await (
        OrgUnit.select(OrgUnit.id, OrgUnit.kind, OrgUnit.bloc)
        .where(in_tenant(OrgUnit), OrgUnit.id.is_in(unit_ids))
        .run()
    )
    return {unit["id"]: unit for unit in units}


async def evaluate_rows(
    rows: Iterable[Mapping[str, Any]],
    on: date,
    decisions: list[str] | None = None,
    introducers: Mapping[int, int] | None = None,
    overrides: Mapping[int, Mapping[str, Any]] | None = None,
) -> dict[int, CandidateEvaluation]:
    """Evaluate stored candidate rows with the tenant's package, each in its own unit,
    with whether a helper is assigned and the admission road looked up, introducers
    counted as given and ``overrides`` (fact fields by candidate id) applied last."""
    from nguon.pipeline.road import roads_of

    rows = list(rows)
    if not rows:
        return {}
    from nguon.pipeline.publication import tenant_rules_on, until_next_publication

    package = await tenant_package()
    rules_on = await tenant_rules_on(package, on)
    helpers = await helpers_assigned((r["id"] for r in rows), on)
    roads = await roads_of(r["id"] for r in rows)
    units = await units_of(rows)
    by_unit: dict[int, list[CandidateFacts]] = defaultdict(list)
    for row in rows:
        facts = candidate_facts(row, helper_assigned=row["id"] in helpers)
        if row["id"] in roads:
            facts = msgspec.structs.replace(facts, **roads[row["id"]])
        if introducers and row["id"] in introducers:
            facts = msgspec.structs.replace(facts, introducers=introducers[row["id"]])
        if overrides and row["id"] in overrides:
            facts = msgspec.structs.replace(facts, **overrides[row["id"]])
        by_unit[row["unit"]].append(facts)
    results: dict[int, CandidateEvaluation] = {}
    for unit_id, facts_list in by_unit.items():
        for evaluation in await evaluate(
            package, facts_list, unit_facts(units[unit_id]), on, decisions, rules_on
        ):
            results[int(evaluation.person_ref)] = evaluation
    return await until_next_publication(package, on, results)
