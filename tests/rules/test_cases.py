"""Every registered package's scenario cases, one test per case."""

from __future__ import annotations

import pytest

from nguon.rules.cases import load_cases, run_case
from nguon.rules.registry import available_packages, load_package


def _all_cases():
    for package_id in available_packages():
        package = load_package(package_id)
        for path in package.case_files:
            for case in load_cases(path, package):
                yield pytest.param(
                    package_id, path.name, case, id=f"{package_id}/{path.name}/{case.name}"
                )


@pytest.mark.parametrize(("package_id", "file", "case"), list(_all_cases()))
def test_case(package_id, file, case):
    result = run_case(load_package(package_id), case, file)
    assert result.passed, f"{file}: case '{case.name}': " + "; ".join(result.failures)


def test_hungyen_has_at_least_40_cases_covering_every_rule_and_clause():
    package = load_package("hungyen")
    cases = [c for path in package.case_files for c in load_cases(path, package)]
    assert len(cases) >= 40
    from nguon.rules.cases import candidate_from
    from nguon.rules.service import evaluate_plain

    fired_rules: set[str] = set()
    for case in cases:
        result = evaluate_plain(package, [candidate_from(case)], case.unit, case.on)[0]
        for decision in result.decisions.values():
            fired_rules |= {r.rule_id for r in decision.reasons if r.rule_id}
    assert {rule.id for rule in package.rules} <= fired_rules
    chains_clauses = {c.clause for c, _ in package.chains}
    rule_clauses = {rule.clause for rule in package.rules}
    calendar = package.calendar.spec
    used = (
        rule_clauses | chains_clauses | {calendar.clause} | {e.clause for e in calendar.exceptions}
    )
    hungyen_steps = {cid for cid in package.clauses if cid.startswith("hy06.b")}
    assert hungyen_steps - used <= {
        "hy06.b1.district",
        "hy06.b2.cap_huyen",
        "hy06.b3.ket_nap",
        "hy06.b3.dang_uy_co_so",
        "hy06.b3.cap_huyen",
    }
