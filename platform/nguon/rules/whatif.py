"""What a change of rules would change for real people: the same people, the same facts,
evaluated under two packages (or two versions of one), compared per unit and per step.

Pure: the caller brings the people (``Person``) and prints or stores the report; nothing
is written anywhere.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

import msgspec

from nguon.rules.decisions import CandidateEvaluation, Reason
from nguon.rules.facts import CandidateFacts, UnitFacts
from nguon.rules.package import RulesPackage
from nguon.rules.service import evaluate_plain, evaluate_sync


class Person(msgspec.Struct, frozen=True, kw_only=True):
    """One person as the platform knows them, in the unit that considers them."""

    facts: CandidateFacts
    name: str
    unit_id: int
    unit_name: str
    unit: UnitFacts


class Basis(msgspec.Struct, frozen=True, kw_only=True):
    """A reason on one side of a change, with the clause it cites."""

    code: str
    message: str
    clause_id: str | None
    clause: str  # "06-HD/TW, Mục 5.4" (document number and reference), "" without one


class Change(msgspec.Struct, frozen=True, kw_only=True):
    person_ref: str
    name: str
    before: str
    after: str
    only_before: list[Basis]  # reasons the current rules give that the draft does not
    only_after: list[Basis]  # reasons the draft gives that the current rules do not


class StepChanges(msgspec.Struct, kw_only=True):
    decision: str
    label: str
    changes: list[Change] = []


class UnitChanges(msgspec.Struct, kw_only=True):
    unit_id: int
    unit_name: str
    steps: list[StepChanges] = []

    @property
    def people(self) -> set[str]:
        return {change.person_ref for step in self.steps for change in step.changes}


class Side(msgspec.Struct, frozen=True, kw_only=True):
    package: str
    version: str
    rules_on: date


class WhatIfReport(msgspec.Struct, kw_only=True):
    on: date
    before: Side
    after: Side
    people: int
    units: list[UnitChanges]

    @property
    def changed_people(self) -> set[str]:
        return {ref for unit in self.units for ref in unit.people}


def reason_changes(
    before: RulesPackage, was: list[Reason], after: RulesPackage, now: list[Reason]
) -> tuple[list[Basis], list[Basis]]:
    """The reasons only the first side gives and only the second gives, with clauses."""
    kept = {r.code for r in was} & {r.code for r in now}
    return (
        [_basis(before, r) for r in was if r.code not in kept],
        [_basis(after, r) for r in now if r.code not in kept],
    )


def basis_line(sign: str, basis: Basis) -> str:
    where = f" [{basis.clause_id}: {basis.clause}]" if basis.clause_id else ""
    return f"{sign} {basis.code}: {basis.message}{where}"


def _basis(package: RulesPackage, reason: Reason) -> Basis:
    clause = ""
    if reason.clause_id and reason.clause_id in package.clauses:
        spec = package.clauses[reason.clause_id]
        document = package.documents.get(spec.document)
        clause = f"{document.number if document else spec.document}, {spec.ref}"
    return Basis(
        code=reason.code, message=reason.message_vi, clause_id=reason.clause_id, clause=clause
    )


def _evaluate(
    package: RulesPackage,
    people: list[Person],
    on: date,
    rules_on: date,
    decisions: list[str],
    engine: bool,
) -> list[CandidateEvaluation]:
    run = evaluate_sync if engine else evaluate_plain
    by_unit: dict[int, list[int]] = defaultdict(list)
    for index, person in enumerate(people):
        by_unit[person.unit_id].append(index)
    results: list[CandidateEvaluation | None] = [None] * len(people)
    for indexes in by_unit.values():
        unit = people[indexes[0]].unit
        facts = [people[i].facts for i in indexes]
        for index, result in zip(
            indexes, run(package, facts, unit, on, decisions, rules_on), strict=True
        ):
            results[index] = result
    return [result for result in results if result is not None]


def compare(
    before: RulesPackage,
    after: RulesPackage,
    people: Iterable[Person],
    on: date,
    before_rules_on: date | None = None,
    after_rules_on: date | None = None,
    engine: bool = True,
) -> WhatIfReport:
    """Evaluate ``people`` on ``on`` under ``before`` and ``after`` (the rules of the
    versions in force on ``*_rules_on``, ``on`` when None) and list who changes outcome,
    per unit and per decision, with the reasons only one side gives."""
    people = list(people)
    before_day, after_day = before_rules_on or on, after_rules_on or on
    decisions = [code for code in before.decisions if code in after.decisions]
    old = _evaluate(before, people, on, before_day, decisions, engine)
    new = _evaluate(after, people, on, after_day, decisions, engine)
    units: dict[int, UnitChanges] = {}
    for person, was, now in zip(people, old, new, strict=True):
        for code in decisions:
            a, b = was.decisions[code], now.decisions[code]
            if a.outcome == b.outcome:
                continue
            only_before, only_after = reason_changes(before, a.reasons, after, b.reasons)
            unit = units.setdefault(
                person.unit_id, UnitChanges(unit_id=person.unit_id, unit_name=person.unit_name)
            )
            step = next((s for s in unit.steps if s.decision == code), None)
            if step is None:
                step = StepChanges(decision=code, label=after.decisions[code].label)
                unit.steps.append(step)
            step.changes.append(
                Change(
                    person_ref=person.facts.person_ref,
                    name=person.name,
                    before=a.outcome,
                    after=b.outcome,
                    only_before=only_before,
                    only_after=only_after,
                )
            )
    order = {code: i for i, code in enumerate(decisions)}
    for unit in units.values():
        unit.steps.sort(key=lambda s: order[s.decision])
    return WhatIfReport(
        on=on,
        before=Side(
            package=before.id, version=before.version_on(before_day).id, rules_on=before_day
        ),
        after=Side(package=after.id, version=after.version_on(after_day).id, rules_on=after_day),
        people=len(people),
        units=sorted(units.values(), key=lambda u: u.unit_name),
    )


def render(report: WhatIfReport) -> list[str]:
    """The report as lines for the terminal."""
    b, a = report.before, report.after
    changed = report.changed_people
    lines = [
        f"on {report.on}: {b.package} {b.version} -> {a.package} {a.version}",
        f"{report.people} people evaluated; {len(changed)} change outcome "
        f"in {len(report.units)} unit(s)",
    ]
    for unit in report.units:
        lines.append(f"{unit.unit_name} (unit {unit.unit_id}): {len(unit.people)} people")
        for step in unit.steps:
            lines.append(f"  {step.label} [{step.decision}]: {len(step.changes)}")
            for change in step.changes:
                lines.append(f"    {change.name}: {change.before} -> {change.after}")
                for sign, bases in (("-", change.only_before), ("+", change.only_after)):
                    for basis in bases:
                        lines.append(f"      {basis_line(sign, basis)}")
    return lines
