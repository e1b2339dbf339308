"""The Hưng Yên cases of the admission road: they pass, there are enough of them, and
every new rule is exercised by a case that names its reason."""

from __future__ import annotations

from nguon.rules.cases import load_cases, run_package_cases
from nguon.rules.registry import load_package

ROAD_FILES = ("introducers.yaml", "decision_road.yaml")
ROAD_RULES = {
    "introducers_insufficient",
    "introducer_probationary",
    "introducer_known_too_short",
    "youth_union_introduction_not_member",
    "youth_union_introduction_beyond_youth_age",
    "trade_union_introduction_not_member",
    "trade_union_introduction_where_youth_union_exists",
    "age_below_minimum",
    "grassroots_resolution_missing",
    "admission_decision_after_deadline",
    "admission_extension_without_resolution",
    "admission_extension_repeated",
    "admission_extension_too_long",
    "admission_extension_already_decided",
    "recognition_not_admitted",
    "probation_not_ended",
    "recognition_after_deadline",
}


def test_the_road_cases_pass_and_check_something() -> None:
    package = load_package("hungyen")
    results = [r for r in run_package_cases(package) if r.file in ROAD_FILES]
    assert len(results) >= 30
    failed = [f"{r.file}:{r.line} {r.case}: {r.failures}" for r in results if not r.passed]
    assert not failed
    assert all(r.expectations >= 1 for r in results)


def test_every_road_rule_is_named_by_a_case() -> None:
    package = load_package("hungyen")
    named: set[str] = set()
    deadlines = 0
    for name in ROAD_FILES:
        for case in load_cases(package.folder / "cases" / name, package):
            for wanted in case.expect.values():
                named.update(getattr(wanted, "reasons", None) or [])
            deadlines += len(case.deadlines or {}) + len(case.deadline_status or {})
    assert named >= ROAD_RULES, ROAD_RULES - named
    assert deadlines >= 20
    rules = {rule.id: rule for rule in package.rules}
    for rule_id in ROAD_RULES - {"age_below_minimum"}:
        assert rules[rule_id].clause, rule_id
    assert rules["age_below_minimum_at_consideration"].inferred
    assert rules["admission_decision_after_deadline"].inferred


def test_before_the_decision_the_probation_has_minus_one_month_elapsed() -> None:
    """``probation_months_elapsed`` is documented as -1 before the decision: a province's rule
    comparing it with a number must not see a decided probation of some months."""
    import datetime as dt

    from nguon.rules.road import RoadDates, road_engine_facts

    package = load_package("hungyen")
    undecided = road_engine_facts(
        package, RoadDates(cell_resolution=dt.date(2026, 2, 13)), dt.date(2026, 3, 1)
    )
    assert undecided["admission_decision_recorded"] == 0
    assert undecided["probation_months_elapsed"] == -1
    decided = road_engine_facts(
        package,
        RoadDates(cell_resolution=dt.date(2026, 2, 13), admission_decision=dt.date(2026, 3, 2)),
        dt.date(2026, 6, 3),
    )
    assert (decided["admission_decision_recorded"], decided["probation_months_elapsed"]) == (1, 3)
