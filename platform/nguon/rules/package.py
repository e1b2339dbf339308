"""A loaded, checked rules package (a province package merged over its baseline)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from nguon.clock import today_in_vietnam
from nguon.rules.citations import DocumentPeriods, in_force
from nguon.rules.conditions import Condition, Scalar, to_python
from nguon.rules.errors import NoVersionInForce, RulesError
from nguon.rules.manifest import (
    BlocSpec,
    ChainSpec,
    ClauseSpec,
    CourseOrganiserSpec,
    DecisionSpec,
    FormColumn,
    FormSpec,
    GuidanceDocument,
    IssuerSpec,
    Outcome,
    ParameterSpec,
    ParameterValue,
    PlacementSpec,
    UnitKindSpec,
    VersionSpec,
)
from nguon.rules.review_calendar import ReviewCalendar
from nguon.rules.working_days import WorkingCalendar

Period = tuple[date, date | None]
T = TypeVar("T", PlacementSpec, CourseOrganiserSpec)


def in_period(day: date, period: Period) -> bool:
    start, end = period
    return start <= day and (end is None or day < end)


def _for_kind(
    entries: list[tuple[T, tuple[Period, ...]]], kind: str, version: VersionSpec
) -> T | None:
    """The first entry for ``kind`` that applies in ``version`` (no versions: every one)."""
    period = (version.valid_from, version.valid_to)
    for entry, periods in entries:
        if entry.kind == kind and (not periods or period in periods):
            return entry
    return None


@dataclass(frozen=True)
class Rule:
    """A rule ready to run: its condition parsed and the dates it applies on."""

    id: str
    package: str  # the package that declared it
    clause: str  # the first cited clause; in a snapshot, the first in force on its date
    decisions: tuple[str, ...]
    outcome: Outcome
    reason: str
    message: str
    condition: Condition
    periods: tuple[Period, ...] = ()  # empty: always
    description: str = ""
    clauses: tuple[str, ...] = ()  # every clause it cites; in a snapshot, those in force
    confidence: str = "H"  # L: an inference from its clauses
    inference: str = ""  # what is inferred, when it is

    def active_on(self, day: date) -> bool:
        return not self.periods or any(in_period(day, p) for p in self.periods)

    @property
    def inferred(self) -> bool:
        return self.confidence == "L"


@dataclass(frozen=True)
class Form:
    step: str
    level_kind: str
    title: str
    columns: tuple[FormColumn, ...]
    sheet: str = ""
    document_type: str = "DS"


@dataclass(frozen=True)
class RuleSnapshot:
    """The rules and parameter values in force on one date: what one ruleset encodes."""

    package: str
    version: str
    rules: tuple[Rule, ...]
    parameters: dict[str, Scalar]
    key: str  # stable hash: equal keys compile to the same engine ruleset

    @cached_property
    def python_predicates(self) -> tuple:
        return tuple(to_python(rule.condition, self.parameters) for rule in self.rules)


@dataclass(frozen=True)
class ParameterProvenance:
    name: str
    description: str
    value: Scalar
    package: str  # the package whose manifest declares the value
    version: str  # that package's version in force on the date
    valid_from: date
    valid_to: date | None
    reference: str
    confidence: str
    note: str


@dataclass
class RulesPackage:
    id: str
    title: str
    folder: Path
    lineage: tuple[str, ...]  # this package, then the packages it extends
    documents: dict[str, GuidanceDocument]
    versions: list[VersionSpec]
    parameters: dict[str, ParameterSpec]
    decisions: dict[str, DecisionSpec]
    clauses: dict[str, ClauseSpec]
    unit_kind_specs: dict[str, UnitKindSpec]
    bloc_specs: dict[str, BlocSpec]
    chains: list[tuple[ChainSpec, tuple[Period, ...]]]
    placements: list[tuple[PlacementSpec, tuple[Period, ...]]]
    course_organisers: list[tuple[CourseOrganiserSpec, tuple[Period, ...]]]
    calendar: ReviewCalendar | None
    form_columns: dict[str, FormColumn]
    forms: list[tuple[FormSpec, tuple[Period, ...]]]
    rules: list[Rule]
    issuers: list[IssuerSpec] = field(default_factory=list)
    case_files: list[Path] = field(default_factory=list)
    document_periods: DocumentPeriods = field(default_factory=dict)
    parameter_packages: dict[str, str] = field(default_factory=dict)  # name -> declared by
    base: RulesPackage | None = field(default=None, repr=False)
    working_calendar: WorkingCalendar | None = None
    _snapshots: dict[tuple[str, str], RuleSnapshot] = field(default_factory=dict, repr=False)
    _snapshots_by_day: dict[tuple, RuleSnapshot] = field(default_factory=dict, repr=False)

    @property
    def unit_kinds(self) -> dict[str, str]:
        return {code: spec.label for code, spec in self.unit_kind_specs.items()}

    @property
    def blocs(self) -> dict[str, str]:
        return {code: spec.label for code, spec in self.bloc_specs.items()}

    @cached_property
    def people_holding_kinds(self) -> frozenset[str]:
        """Kinds whose units keep candidates and members and make lists."""
        return frozenset(code for code, spec in self.unit_kind_specs.items() if spec.holds_people)

    @cached_property
    def short_labels(self) -> dict[str, str]:
        """Each unit kind's name for charts and tables (its label when it has no short one)."""
        return {code: spec.short_label or spec.label for code, spec in self.unit_kind_specs.items()}

    def structure_version_on(self, day: date) -> VersionSpec:
        """The version whose structure governs a unit created on ``day``: the one in force,
        or the first version for a unit older than the package."""
        if self.versions and day < self.versions[0].valid_from:
            return self.versions[0]
        return self.version_on(day)

    def kind_in_force(self, kind: str, day: date) -> bool:
        spec = self.unit_kind_specs.get(kind)
        if spec is None:
            return False
        version = self.structure_version_on(day)
        return not spec.versions or version.id in spec.versions

    def placement_on(self, kind: str, day: date) -> PlacementSpec | None:
        """The placement rule for ``kind`` in the structure version of ``day``; None when the
        package has no placement rule for it (any parent is allowed)."""
        return _for_kind(self.placements, kind, self.structure_version_on(day))

    def course_organiser_on(self, kind: str, day: date) -> CourseOrganiserSpec | None:
        """How units of ``kind`` organise the course on ``day``; None if they do not."""
        return _for_kind(self.course_organisers, kind, self.structure_version_on(day))

    def version_on(self, day: date) -> VersionSpec:
        for version in self.versions:
            if in_period(day, (version.valid_from, version.valid_to)):
                return version
        raise NoVersionInForce(f"package {self.id!r} has no version in force on {day}")

    @cached_property
    def has_drafts(self) -> bool:
        return any(version.draft for version in self.versions)

    def in_force_for(
        self, day: date, published: Mapping[str, date] | None = None
    ) -> tuple[VersionSpec, date]:
        """The version in force on ``day`` for a tenant that published the draft versions
        ``published`` (id -> effective date), and the day whose dated rules and parameters
        apply: adopted versions start on their ``valid_from``, a published draft on its
        effective date, an unpublished draft never; the latest start on or before ``day``
        wins. Its rules are those of ``day`` clamped into the version's own period."""
        if not self.has_drafts:
            return self.version_on(day), day
        published = published or {}
        best: tuple[date, int, VersionSpec] | None = None
        for position, version in enumerate(self.versions):
            start = published.get(version.id) if version.draft else version.valid_from
            if start is None or start > day:
                continue
            if best is None or (start, position) >= best[:2]:
                best = (start, position, version)
        if best is None:
            return self.version_on(day), day
        version = best[2]
        rules_on = max(day, version.valid_from)
        if version.valid_to is not None and rules_on >= version.valid_to:
            rules_on = version.valid_to - timedelta(days=1)
        return version, rules_on

    def version_period(self, version_id: str) -> Period:
        for version in self.versions:
            if version.id == version_id:
                return version.valid_from, version.valid_to
        raise RulesError(f"package {self.id!r} has no version {version_id!r}")

    def parameter(self, name: str, on: date) -> Scalar:
        return self.parameter_value(name, on).value

    def parameter_value(self, name: str, on: date) -> ParameterValue:
        """The dated value of a parameter on ``on``, with its reference and confidence."""
        spec = self.parameters.get(name)
        if spec is None:
            raise RulesError(f"package {self.id!r} has no parameter {name!r}")
        for value in spec.values:
            if in_period(on, (value.valid_from, value.valid_to)):
                return value
        raise RulesError(f"parameter {name!r} of {self.id!r} has no value on {on}")

    def lineage_package(self, package_id: str) -> RulesPackage | None:
        """This package or the one it extends (transitively) with id ``package_id``."""
        package: RulesPackage | None = self
        while package is not None and package.id != package_id:
            package = package.base
        return package

    def parameter_provenance(self, name: str, on: date) -> ParameterProvenance:
        """A parameter's value on ``on`` and where it comes from: the package that declares
        it, that package's version in force, the dated value's reference and confidence."""
        value = self.parameter_value(name, on)
        declared_by = self.parameter_packages.get(name, self.id)
        owner = self.lineage_package(declared_by) or self
        try:
            version = owner.version_on(on).id
        except NoVersionInForce:
            version = ""
        return ParameterProvenance(
            name=name,
            description=self.parameters[name].description,
            value=value.value,
            package=declared_by,
            version=version,
            valid_from=value.valid_from,
            valid_to=value.valid_to,
            reference=value.reference,
            confidence=value.confidence,
            note=value.note,
        )

    def document_in_force(self, code: str, on: date) -> bool:
        return in_force(self.document_periods.get(code, ()), on)

    def citations_on(self, rule: Rule, on: date) -> tuple[str, ...]:
        """The clauses ``rule`` cites whose document is in force on ``on`` (the load checks
        guarantee one on every day the rule applies; all of them otherwise)."""
        cited = rule.clauses or (rule.clause,)
        holding = tuple(
            clause_id
            for clause_id in cited
            if clause_id in self.clauses
            and self.document_in_force(self.clauses[clause_id].document, on)
        )
        return holding or cited

    def rule(self, rule_id: str) -> Rule | None:
        return self._rules_by_id.get(rule_id)

    @cached_property
    def _rules_by_id(self) -> dict[str, Rule]:
        return {rule.id: rule for rule in self.rules}

    def inference_note(self, rule_id: str | None, clause_id: str | None) -> str:
        """Why a reason is an inference (confidence L), or "" when it rests on its text:
        the rule's own note, or the clause's when the clause itself is a reading."""
        rule = self.rule(rule_id) if rule_id else None
        if rule is not None and rule.inferred:
            return rule.inference or "Quy tắc này là suy luận từ căn cứ được dẫn."
        clause = self.clauses.get(clause_id) if clause_id else None
        if clause is not None and clause.confidence == "L":
            return "Căn cứ này là cách hiểu (suy luận), chưa có văn bản gốc xác nhận."
        return ""

    def parameters_on(self, on: date) -> dict[str, Scalar]:
        return {name: self.parameter(name, on) for name in self.parameters}

    def clause(self, clause_id: str) -> ClauseSpec:
        try:
            return self.clauses[clause_id]
        except KeyError:
            raise RulesError(f"package {self.id!r} has no clause {clause_id!r}") from None

    def clause_on(self, clause_id: str, day: date) -> str:
        """``clause_id``, or the first of its successors (``succeeded_by``) whose document is
        in force on ``day``; ``clause_id`` itself when none is (a day before them all)."""
        current: str | None = clause_id
        seen: set[str] = set()
        while current is not None and current not in seen:
            seen.add(current)
            spec = self.clause(current)
            if self.document_in_force(spec.document, day):
                return current
            current = spec.succeeded_by
        return clause_id

    def decision_codes(self) -> list[str]:
        return list(self.decisions)

    def _chain_spec(
        self, kind: str, bloc: str | None, on: date, parent_kind: str | None
    ) -> ChainSpec:
        self.version_on(on)
        for chain, periods in self.chains:
            if chain.kind != kind or not (not periods or any(in_period(on, p) for p in periods)):
                continue
            if chain.blocs and (bloc or "") not in chain.blocs:
                continue
            if chain.parent_kinds and parent_kind not in (None, *chain.parent_kinds):
                continue
            return chain
        raise RulesError(f"package {self.id!r} has no reporting chain for {kind}/{bloc} on {on}")

    def reporting_chain(
        self, kind: str, bloc: str | None, on: date, parent_kind: str | None = None
    ) -> list[str]:
        """Unit kinds a list made by ``kind`` travels up through, the lister first.

        ``parent_kind`` picks among chains that depend on the lister's parent (a cell
        directly under a commune committee, or under a grassroots committee); unknown
        (None), the first chain for the kind and bloc wins."""
        return list(self._chain_spec(kind, bloc, on, parent_kind).path)

    def reporting_chain_spec(
        self, kind: str, bloc: str | None, on: date, parent_kind: str | None = None
    ) -> ChainSpec:
        return self._chain_spec(kind, bloc, on, parent_kind)

    def form(self, step: str, level_kind: str, on: date | None = None) -> Form:
        for spec, periods in self.forms:
            if spec.step != step or level_kind not in spec.levels:
                continue
            if on is not None and periods and not any(in_period(on, p) for p in periods):
                continue
            return Form(
                step,
                level_kind,
                spec.title,
                tuple(self.form_columns[c] for c in spec.columns),
                spec.sheet,
                spec.document_type,
            )
        raise RulesError(f"package {self.id!r} has no form for step {step!r} at {level_kind!r}")

    def issuer_code(self, kind: str, name: str) -> str:
        """The unit's abbreviation in document symbols ("CB"); the entry naming the longest
        matching start of the name wins; "" when the package names none."""
        matching = [
            issuer
            for issuer in self.issuers
            if kind in issuer.kinds and name.startswith(issuer.name_prefix)
        ]
        best = max(matching, key=lambda issuer: len(issuer.name_prefix), default=None)
        return best.code if best else ""

    @cached_property
    def dated_thresholds(self) -> tuple[date, ...]:
        """Days on which outcomes may change for everyone: versions, parameter values and
        review periods starting."""
        days = {v.valid_from for v in self.versions}
        days |= {value.valid_from for p in self.parameters.values() for value in p.values}
        days |= {
            value.valid_to for p in self.parameters.values() for value in p.values if value.valid_to
        }
        if self.calendar is not None:
            first = self.versions[0].valid_from.year
            last = max(first, today_in_vietnam().year) + 10
            for year in range(first, last + 1):
                days |= {period.opens for period in self.calendar.periods(year)}
                days |= {
                    period.deadline + timedelta(days=1) for period in self.calendar.periods(year)
                }
        return tuple(sorted(days))

    def review_period_fact(self, on: date) -> str:
        return self.calendar.review_period_fact(on) if self.calendar else "none"

    def _cited_on(self, rule: Rule, on: date) -> Rule:
        cited = self.citations_on(rule, on)
        if cited == rule.clauses and cited[:1] == (rule.clause,):
            return rule
        return replace(rule, clause=cited[0], clauses=cited)

    def snapshot(self, on: date, decisions: Iterable[str] | None = None) -> RuleSnapshot:
        """The rules in force on ``on`` for ``decisions`` (all when None) and the parameter
        values, cached per distinct content: equal snapshots share one engine ruleset."""
        day_key = (on, None if decisions is None else tuple(sorted(set(decisions))))
        cached = self._snapshots_by_day.get(day_key)
        if cached is not None:
            return cached
        version = self.version_on(on)
        wanted = None if decisions is None else set(decisions)
        rules = tuple(
            self._cited_on(rule, on)
            for rule in self.rules
            if rule.active_on(on) and (wanted is None or wanted.intersection(rule.decisions))
        )
        parameters = self.parameters_on(on)
        digest = hashlib.sha256(
            json.dumps(
                [self.id, version.id, [(r.id, r.clauses) for r in rules], parameters],
                sort_keys=True,
                default=str,
            ).encode()
        ).hexdigest()[:16]
        cache_key = (version.id, digest)
        if cache_key not in self._snapshots:
            self._snapshots[cache_key] = RuleSnapshot(
                self.id, version.id, rules, parameters, digest
            )
        self._snapshots_by_day[day_key] = self._snapshots[cache_key]
        return self._snapshots[cache_key]
