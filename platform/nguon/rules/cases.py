"""Scenario cases in YAML, written by rule authors and run by ``nguon rules test``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import msgspec
import yaml

from nguon.rules.errors import RulesError
from nguon.rules.facts import CandidateFacts, UnitFacts
from nguon.rules.package import RulesPackage


class ExpectedDecision(msgspec.Struct, kw_only=True, frozen=True):
    outcome: str
    reasons: list[str] | None = None  # exactly these reason codes, in any order


class Case(msgspec.Struct, kw_only=True, frozen=True):
    name: str
    on: date = msgspec.field(name="date")  # YAML reads a bare "on" as true
    unit: UnitFacts
    candidate: dict[str, Any] = {}
    expect: dict[str, str | ExpectedDecision] = {}
    period: str | None = None  # the review period code on ``on``, or "none"
    chain: list[str] | None = None  # the unit's reporting chain on ``on``


class CaseFile(msgspec.Struct, kw_only=True, frozen=True):
    cases: list[Case]


class CaseResult(msgspec.Struct, kw_only=True, frozen=True):
    file: str
    case: str
    failures: list[str]

    @property
    def passed(self) -> bool:
        return not self.failures


def load_cases(path: Path) -> list[Case]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return msgspec.convert(raw, CaseFile, strict=False).cases
    except (yaml.YAMLError, msgspec.ValidationError) as error:
        raise RulesError(f"{path.name}: {error}") from error


def candidate_from(case: Case) -> CandidateFacts:
    return msgspec.convert(
        {"person_ref": case.name, **case.candidate}, CandidateFacts, strict=False
    )


def run_case(package: RulesPackage, case: Case, file: str) -> CaseResult:
    from nguon.rules.service import evaluate_plain, evaluate_sync

    failures: list[str] = []
    try:
        candidate = candidate_from(case)
        decisions = list(case.expect) or None
        result = evaluate_sync(package, [candidate], case.unit, case.on, decisions)[0]
        reference = evaluate_plain(package, [candidate], case.unit, case.on, decisions)[0]
        if result != reference:
            failures.append("the engine and the plain-Python reference disagree")
        for name, wanted in case.expect.items():
            expected = (
                wanted if isinstance(wanted, ExpectedDecision) else ExpectedDecision(outcome=wanted)
            )
            got = result.decisions[name]
            if got.outcome != expected.outcome:
                codes = ", ".join(r.code for r in got.reasons) or "no reasons"
                failures.append(f"{name}: expected {expected.outcome}, got {got.outcome} ({codes})")
            if expected.reasons is not None:
                got_codes = sorted(r.code for r in got.reasons)
                if got_codes != sorted(expected.reasons):
                    failures.append(
                        f"{name}: expected reasons {sorted(expected.reasons)}, got {got_codes}"
                    )
        if case.period is not None:
            period = package.calendar.period_for(case.on) if package.calendar else None
            code = period.code if period else "none"
            if code != case.period:
                failures.append(f"period: expected {case.period}, got {code}")
        if case.chain is not None:
            chain = package.reporting_chain(case.unit.kind, case.unit.bloc, case.on)
            if chain != case.chain:
                failures.append(f"chain: expected {case.chain}, got {chain}")
    except (RulesError, msgspec.ValidationError, ValueError, KeyError) as error:
        failures.append(f"error: {error}")
    return CaseResult(file=file, case=case.name, failures=failures)


def run_package_cases(package: RulesPackage) -> list[CaseResult]:
    results: list[CaseResult] = []
    for path in package.case_files:
        try:
            cases = load_cases(path)
        except RulesError as error:
            results.append(CaseResult(file=path.name, case="(file)", failures=[str(error)]))
            continue
        results += [run_case(package, case, path.name) for case in cases]
    return results
