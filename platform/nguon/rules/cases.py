"""Scenario cases in YAML, written by rule authors and run by ``nguon rules test``.

A case file is read strictly: an unknown key (a misspelling such as ``expcet:`` or
``helper: true``), a case that checks nothing, an outcome, decision, unit kind, bloc or
reason code the package does not know, are load errors naming the file and the line. A
case that cannot fail is worse than no case.
"""

from __future__ import annotations

import difflib
import re
from datetime import date
from pathlib import Path
from typing import Any, get_args

import msgspec
import yaml

from nguon.rules.conditions import known_hint
from nguon.rules.decisions import INVALID_FACTS
from nguon.rules.decode_problems import key_hint
from nguon.rules.errors import RulesError
from nguon.rules.facts import CandidateFacts, RoadDates, UnitFacts
from nguon.rules.manifest import Outcome
from nguon.rules.package import RulesPackage
from nguon.rules.road import STATUS_LABELS, STEPS, road_deadlines

OUTCOMES: tuple[str, ...] = get_args(Outcome)
CANDIDATE_KEYS = frozenset(CandidateFacts.__struct_fields__) - {"person_ref"}
UNIT_KEYS = frozenset(UnitFacts.__struct_fields__)
DERIVED_FACTS = {
    "age_months": "candidate: date_of_birth",
    "education_rank": "candidate: education",
    "has_certificate": "candidate: certificate_date",
    "certificate_age_months": "candidate: certificate_date",
    "unit_kind": "unit: {kind: …}",
    "unit_bloc": "unit: {bloc: …}",
    "review_period": "the case's date",
}
"""Facts the rules test that a case does not give: worked out from what it gives."""


class ExpectedDecision(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    outcome: str
    reasons: list[str] | None = None  # exactly these reason codes, in any order


class Case(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    name: str
    on: date = msgspec.field(name="date")  # YAML reads a bare "on" as true
    unit: UnitFacts
    candidate: dict[str, Any] = {}
    expect: dict[str, str | ExpectedDecision] = {}
    period: str | None = None  # the review period code on ``on``, or "none"
    chain: list[str] | None = None  # the unit's reporting chain on ``on``
    parent: str | None = None  # the kind of the unit's parent, for chains that depend on it
    deadlines: dict[str, date] | None = None  # the road's due dates (candidate.road)
    deadline_status: dict[str, str] | None = None  # each deadline's status on ``on``
    line: int = 0  # where the case starts in its file (set by the loader, not written)

    @property
    def expectations(self) -> int:
        """How many things the case checks: each decision's outcome, each exact list of
        reasons, the review period and the reporting chain."""
        decisions = sum(
            1 + (isinstance(w, ExpectedDecision) and w.reasons is not None)
            for w in self.expect.values()
        )
        return (
            decisions
            + (self.period is not None)
            + (self.chain is not None)
            + len(self.deadlines or {})
            + len(self.deadline_status or {})
        )


class CaseFile(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    cases: list[Case]


class _RawCaseFile(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    cases: list[Any]


class CaseResult(msgspec.Struct, kw_only=True, frozen=True):
    file: str
    case: str
    failures: list[str]
    line: int = 0
    expectations: int = 0

    @property
    def passed(self) -> bool:
        return not self.failures


class CaseFileError(RulesError):
    """A case file was refused; each problem starts with "file:line:"."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


# --- reading YAML with its positions -------------------------------------------------


def _plain(node: yaml.Node, loader: yaml.SafeLoader, impossible: list[yaml.Node]) -> Any:
    """The Python value of ``node``; mapping keys stay the text written (``on`` is "on",
    not True), so that a wrong key is reported as written. A value YAML reads as a date
    that does not exist (2027-02-30) is added to ``impossible`` and kept as text."""
    if isinstance(node, yaml.MappingNode):
        return {
            (
                key.value if isinstance(key, yaml.ScalarNode) else _plain(key, loader, impossible)
            ): _plain(value, loader, impossible)
            for key, value in node.value
        }
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, loader, impossible) for item in node.value]
    try:
        return loader.construct_object(node, deep=True)
    except ValueError:
        impossible.append(node)
        return node.value


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _child(node: yaml.Node, step: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(step, str):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == step:
                return value
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
        return node.value[step]
    return None


def _key_node(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return key_node
    return None


_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def _node_at(root: yaml.Node, path: str) -> yaml.Node:
    """The deepest node along a msgspec error path such as ``$.cases[3].expect``."""
    node = root
    for match in _STEP.finditer(path):
        step: str | int = match.group(1) if match.group(1) else int(match.group(2))
        child = _child(node, step)
        if child is None:
            break
        node = child
    return node


def _where(root: yaml.Node, error: msgspec.ValidationError) -> int:
    text = str(error)
    found = re.search(r"at `(\$[^`]*)`", text)
    node = _node_at(root, found.group(1)) if found else root
    unknown = re.search(r"unknown field `([^`]+)`", text)
    if unknown and (key := _key_node(node, unknown.group(1))) is not None:
        return _line(key)
    return _line(node)


def _explain(error: msgspec.ValidationError) -> str:
    path = re.search(r" - at `\$([^`]*)`", str(error))
    text = re.sub(r" - at `\$[^`]*`", "", str(error))
    unknown = re.search(r"unknown field `([^`]+)`", text)
    if unknown:
        key = unknown.group(1)
        if key == "on":
            hint = " (write 'date:', YAML reads a bare 'on' as true)"
        else:
            hint = key_hint(CaseFile, path.group(1) if path else "", key)
        return f"unknown key '{key}'{hint}"
    if text.endswith("got `null`") and path:
        key = path.group(1).rsplit(".", 1)[-1]
        if path.group(1).endswith(".expect"):
            return (
                "'expect' has nothing under it: give each decision's outcome"
                " (survey_list: eligible), or leave 'expect' out"
            )
        if path.group(1).endswith(".expect[...]"):
            return (
                "a decision under 'expect' has no outcome: write it as 'survey_list: eligible'"
                " (or not_eligible, needs_review), or {outcome: …, reasons: [...]}"
            )
        wanted = re.search(r"\.expect\.(\w+)$", path.group(1))
        if wanted:
            key = wanted.group(1)
            return (
                f"'{key}' has no outcome: write '{key}: eligible' (or not_eligible,"
                " needs_review), or {outcome: …, reasons: [...]}"
            )
        return f"'{key}' has no value"
    return text


# --- checks ------------------------------------------------------------------------


class _Checker:
    def __init__(self, name: str, package: RulesPackage | None) -> None:
        self.name = name
        self.package = package
        self.problems: list[str] = []
        self.reasons = (
            {rule.reason for rule in package.rules} | {INVALID_FACTS} if package else set()
        )

    def add(self, node: yaml.Node | None, fallback: yaml.Node, message: str) -> None:
        self.problems.append(f"{self.name}:{_line(node or fallback)}: {message}")

    def keys(self, node: yaml.Node | None, allowed: frozenset[str], what: str) -> None:
        if not isinstance(node, yaml.MappingNode):
            return
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value not in allowed:
                known = ", ".join(sorted(allowed))
                close = difflib.get_close_matches(key.value, sorted(allowed), n=1, cutoff=0.6)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                if key.value in DERIVED_FACTS and allowed is CANDIDATE_KEYS:
                    hint = (
                        f"; '{key.value}' is worked out from {DERIVED_FACTS[key.value]}:"
                        " write that instead"
                    )
                self.add(key, node, f"unknown key '{key.value}' in {what} (known: {known}){hint}")

    def case(self, case: Case, node: yaml.Node) -> None:
        label = f"case '{case.name}'"
        candidate_node = _child(node, "candidate")
        unit_node = _child(node, "unit")
        expect_node = _child(node, "expect")
        self.keys(candidate_node, CANDIDATE_KEYS, f"the candidate of {label}")
        self.keys(unit_node, UNIT_KEYS, f"the unit of {label}")
        try:
            candidate_from(case)
        except (msgspec.ValidationError, TypeError) as error:
            self.add(candidate_node, node, f"{label}: candidate: {_explain(error)}")
        if _key_node(node, "expect") is not None and not case.expect:
            self.add(expect_node, node, f"{label}: 'expect' is empty: it would check nothing")
        elif case.expectations == 0:
            self.add(
                node,
                node,
                f"{label} checks nothing: give 'expect', 'period', 'chain', 'deadlines' or"
                " 'deadline_status'",
            )
        for what, entries, allowed in (
            ("deadlines", case.deadlines, STEPS),
            ("deadline_status", case.deadline_status, STEPS),
        ):
            for step, value in (entries or {}).items():
                at = _key_node(_child(node, what), step)
                if step not in allowed:
                    self.add(
                        at,
                        node,
                        f"{label}: {what}: unknown step '{step}' (one of {', '.join(allowed)})",
                    )
                if what == "deadline_status" and value not in STATUS_LABELS:
                    self.add(
                        at,
                        node,
                        f"{label}: {what}: {step}: unknown status '{value}' "
                        f"(one of {', '.join(STATUS_LABELS)})",
                    )
        for decision, wanted in case.expect.items():
            entry = _child(expect_node, decision) if expect_node is not None else None
            at = _key_node(expect_node, decision)
            outcome = wanted.outcome if isinstance(wanted, ExpectedDecision) else wanted
            if outcome not in OUTCOMES:
                self.add(
                    entry,
                    node,
                    f"{label}: {decision}: unknown outcome '{outcome}' "
                    f"(one of {', '.join(OUTCOMES)})",
                )
            if self.package is not None and decision not in self.package.decisions:
                self.add(at, node, f"{label}: unknown decision '{decision}'")
            if isinstance(wanted, ExpectedDecision) and wanted.reasons and self.package:
                for code in wanted.reasons:
                    if code not in self.reasons:
                        self.add(entry, node, f"{label}: {decision}: unknown reason '{code}'")
        if self.package is None:
            return
        package = self.package
        if case.unit.kind not in package.unit_kinds:
            self.add(
                _child(unit_node, "kind") if unit_node else None,
                node,
                f"{label}: unknown unit kind '{case.unit.kind}'",
            )
        elif not package.kind_in_force(case.unit.kind, case.on):
            version = package.structure_version_on(case.on).id
            self.add(
                _child(unit_node, "kind") if unit_node else None,
                node,
                f"{label}: unit kind '{case.unit.kind}' does not exist on {case.on} (version"
                f" {version}): date the case when it does, or let the kind apply in {version}",
            )
        if case.unit.bloc is not None and case.unit.bloc not in package.blocs:
            self.add(
                _child(unit_node, "bloc") if unit_node else None,
                node,
                f"{label}: unknown bloc '{case.unit.bloc}' "
                f"(known: {', '.join(sorted(package.blocs))})",
            )
        for kind in case.chain or []:
            if kind not in package.unit_kinds:
                self.add(_child(node, "chain"), node, f"{label}: chain: unknown kind '{kind}'")
        if case.parent is not None and case.parent not in package.unit_kinds:
            self.add(
                _child(node, "parent"),
                node,
                f"{label}: parent: unknown unit kind '{case.parent}'"
                f"{known_hint(case.parent, package.unit_kinds)}",
            )


def load_cases(path: Path, package: RulesPackage | None = None) -> list[Case]:
    """The cases of ``path``, checked against ``package`` when given; raises
    ``CaseFileError`` listing every problem as "file:line: message"."""
    name = path.name
    try:
        loader = yaml.SafeLoader(path.read_text(encoding="utf-8"))
        impossible: list[yaml.Node] = []
        try:
            root = loader.get_single_node()
            raw = _plain(root, loader, impossible) if root is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark else name
        raise CaseFileError([f"{where}: not valid YAML: {error}"]) from error
    if root is None:
        raise CaseFileError([f"{name}:1: the file is empty: write 'cases:'"])
    if impossible:
        raise CaseFileError(
            [
                f"{name}:{_line(node)}: {node.value} is not a date that exists "
                "(write YYYY-MM-DD, a real day)"
                for node in impossible
            ]
        )
    try:
        raw_cases = msgspec.convert(raw, _RawCaseFile, strict=False).cases
    except msgspec.ValidationError as error:
        raise CaseFileError([f"{name}:{_where(root, error)}: {_explain(error)}"]) from error
    checker = _Checker(name, package)
    # Each case is read on its own, and a misspelled key is reported and then set aside,
    # so that every problem of the file is listed in one run (rule-author trial).
    cases: list[Case] = []
    indexes: list[int] = []
    for index, raw_case in enumerate(raw_cases):
        case = _read_case(raw_case, index, root, checker)
        if case is not None:
            cases.append(case)
            indexes.append(index)
    case_nodes = _child(root, "cases")
    located: list[Case] = []
    for index, case in zip(indexes, cases, strict=True):
        node = _child(case_nodes, index) if case_nodes is not None else root
        node = node or root
        checker.case(case, node)
        located.append(msgspec.structs.replace(case, line=_line(node)))
    if not raw_cases:
        checker.add(case_nodes, root, "no cases")
    if checker.problems:
        raise CaseFileError(checker.problems)
    return located


def _read_case(raw: Any, index: int, root: yaml.Node, checker: _Checker) -> Case | None:
    """Case ``index`` of the file, or None when it cannot be read; its problems go to
    ``checker`` as "file:line: message". Unknown keys are reported and left out, so the
    rest of the case is still checked."""
    raw = _copy_dicts(raw)
    for _ in range(20):
        try:
            return msgspec.convert(raw, Case, strict=False)
        except msgspec.ValidationError as error:
            text = str(error)
            if " - at `$" not in text:  # msgspec names no path for the case itself
                text += " - at `$`"
            located = msgspec.ValidationError(text.replace("at `$", f"at `$.cases[{index}]"))
            checker.problems.append(f"{checker.name}:{_where(root, located)}: {_explain(located)}")
            unknown = re.search(r"unknown field `([^`]+)` - at `\$((?:\.\w+)*)`$", text)
            holder = raw
            for key in unknown.group(2).split(".")[1:] if unknown else []:
                holder = holder.get(key) if isinstance(holder, dict) else None
            if unknown is None or not isinstance(holder, dict):
                return None
            holder.pop(unknown.group(1), None)
    return None


def _copy_dicts(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy_dicts(item) for key, item in value.items()}
    return value


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
        if case.deadlines is not None or case.deadline_status is not None:
            found = {
                d.step: d for d in road_deadlines(package, candidate.road or RoadDates(), case.on)
            }
            for step, due in (case.deadlines or {}).items():
                got_due = found[step].due if step in found else None
                if got_due != due:
                    failures.append(f"deadline {step}: expected {due}, got {got_due}")
            for step, status in (case.deadline_status or {}).items():
                got_status = found[step].status if step in found else None
                if got_status != status:
                    failures.append(f"deadline {step}: expected {status}, got {got_status}")
        if case.chain is not None:
            spec = package.reporting_chain_spec(
                case.unit.kind, case.unit.bloc, case.on, parent_kind=case.parent
            )
            if list(spec.path) != case.chain:
                failures.append(
                    f"chain: expected {case.chain}, got {list(spec.path)} (chain '{spec.id}',"
                    " the first that matches the kind, bloc and parent: order the chains, or"
                    " give the case its 'parent')"
                )
    except (RulesError, msgspec.ValidationError, ValueError, KeyError) as error:
        failures.append(f"error: {error}")
    return CaseResult(
        file=file,
        case=case.name,
        failures=failures,
        line=case.line,
        expectations=case.expectations,
    )


def run_package_cases(package: RulesPackage) -> list[CaseResult]:
    results: list[CaseResult] = []
    for path in package.case_files:
        try:
            cases = load_cases(path, package)
        except CaseFileError as error:
            results.append(CaseResult(file=path.name, case="(file)", failures=error.problems))
            continue
        results += [run_case(package, case, path.name) for case in cases]
    return results
