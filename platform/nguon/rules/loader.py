"""Read a rules package folder, merge it over its baseline and check it.

Every problem names the file and the item; a package with any problem is refused.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import TypeVar

import msgspec

from nguon.rules.citations import citation_problems, document_periods, package_span
from nguon.rules.conditions import (
    ConditionError,
    check_condition,
    known_hint,
    parse_condition,
    referenced_parameters,
)
from nguon.rules.decode_problems import syntax_problem, validation_problem
from nguon.rules.errors import PackageLoadError
from nguon.rules.facts import nfc
from nguon.rules.locations import item_line
from nguon.rules.manifest import (
    CalendarFile,
    ChainSpec,
    ClausesFile,
    CourseOrganiserSpec,
    FormsFile,
    FormSpec,
    Manifest,
    PlacementSpec,
    RulesFile,
    RuleSpec,
    StructureFile,
    UnitKindSpec,
    VersionSpec,
)
from nguon.rules.package import Period, Rule, RulesPackage
from nguon.rules.review_calendar import ReviewCalendar
from nguon.rules.working_days import load_working_calendar

MANIFEST = "manifest.toml"
CLAUSES = "clauses.toml"
STRUCTURE = "structure.toml"
CALENDAR = "calendar.toml"
FORMS = "forms.toml"
SHEET_NAME_MAX = 31  # what spreadsheet programs accept as a worksheet's name
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
RULES = "rules.toml"
CASES_DIR = "cases"
UNREAD_FILES_FIRST = (
    "(the checks between files run once every file above can be read: fix these first)"
)

T = TypeVar("T")


class _Problems:
    """Problems found so far, each "file:line: item: message" (the line when known)."""

    def __init__(self, folder: Path | None = None) -> None:
        self.items: list[str] = []
        self.folder = folder

    def add(self, file: str, item: str, message: str, at: tuple[str, int] | None = None) -> None:
        """``at`` is (table, index): the item is the index-th ``[[table]]`` of ``file``."""
        line = item_line(self.folder / file, *at) if at and self.folder else None
        where = f"{file}:{line}" if line else file
        problem = f"{where}: {item}: {message}"
        if problem not in self.items:  # a kind named twice in one chain is one problem
            self.items.append(problem)


def _decode(folder: Path, name: str, kind: type[T], problems: _Problems, default: T) -> T:
    path = folder / name
    if not path.exists():
        return default
    try:
        return msgspec.toml.decode(path.read_bytes(), type=kind)
    except msgspec.ValidationError as error:
        problem, _ = validation_problem(folder, name, kind, error)
        problems.items.append(problem)
        return default
    except msgspec.DecodeError as error:
        problems.items.append(syntax_problem(name, error))
        return default


def _missing(what: str, value: str, known: Iterable[str]) -> str:
    """``names unit kind 'grassroots_cel' that does not exist (known: …); did you mean
    'grassroots_cell'?``"""
    return f"names {what} '{value}' that does not exist{known_hint(value, known)}"


Spanned = TypeVar(
    "Spanned", UnitKindSpec, ChainSpec, PlacementSpec, CourseOrganiserSpec, FormSpec, RuleSpec
)


def _spans(
    file: str, table: str, entries: list[Spanned], versions: list[VersionSpec], problems: _Problems
) -> list[Spanned]:
    """Entries written ``since = "2025.2"`` (this version and every later one; ``until``
    the last; ``until`` alone: from the first version) with their ``versions`` listed, in
    the order of the versions' dates: a new version needs no edit of the entries that
    carry on into it."""
    order = [version.id for version in versions]
    spanned: list[Spanned] = []
    for index, entry in enumerate(entries):
        if entry.since is None and entry.until is None:
            spanned.append(entry)
            continue
        at, item = (table, index), f"{table} #{index + 1}"
        if entry.until is not None and entry.since is None and order:
            # ``until`` alone: from the package's first version.
            entry = msgspec.structs.replace(entry, since=order[0])
        if entry.versions:
            problems.add(file, item, "gives both `versions` and `since`/`until`: keep one", at)
        elif entry.since not in order or (entry.until and entry.until not in order):
            wrong = entry.since if entry.since not in order else entry.until
            problems.add(file, item, _missing("version", wrong or "", order), at)
        elif entry.until and order.index(entry.until) < order.index(entry.since):
            problems.add(
                file, item, f"`until` {entry.until} comes before `since` {entry.since}", at
            )
        else:
            last = order.index(entry.until) if entry.until else len(order) - 1
            covered = order[order.index(entry.since) : last + 1]
            entry = msgspec.structs.replace(entry, versions=covered, since=None, until=None)
        spanned.append(entry)
    return spanned


def _periods_for(
    version_ids: list[str],
    versions: list[VersionSpec],
    file: str,
    item: str,
    problems: _Problems,
    at: tuple[str, int] | None = None,
) -> tuple[Period, ...]:
    known = {v.id: (v.valid_from, v.valid_to) for v in versions}
    periods: list[Period] = []
    for version_id in version_ids:
        if version_id not in known:
            problems.add(file, item, _missing("version", version_id, known), at)
        else:
            periods.append(known[version_id])
    return tuple(periods)


def _check_versions(manifest: Manifest, problems: _Problems) -> list[VersionSpec]:
    position = {id(v): i for i, v in enumerate(manifest.versions)}
    versions = sorted(manifest.versions, key=lambda v: v.valid_from)

    def at(version: VersionSpec) -> tuple[str, int]:
        return ("version", position[id(version)])

    if not versions:
        problems.add(MANIFEST, "version", "a package needs at least one version")
    seen: set[str] = set()
    for version in versions:
        item = f"version '{version.id}'"
        if version.id in seen:
            problems.add(MANIFEST, item, "is declared twice", at(version))
        seen.add(version.id)
        if version.valid_to is not None and version.valid_to <= version.valid_from:
            problems.add(MANIFEST, item, "ends before it starts", at(version))
    for earlier, later in itertools.pairwise(versions):
        item = f"version '{later.id}'"
        if earlier.valid_to is None:
            problems.add(
                MANIFEST,
                f"version '{earlier.id}'",
                f"is open-ended but version '{later.id}' follows it",
                at(earlier),
            )
        elif earlier.valid_to < later.valid_from:
            problems.add(
                MANIFEST,
                item,
                f"leaves a gap after version '{earlier.id}' "
                f"({earlier.valid_to} to {later.valid_from})",
                at(later),
            )
        elif earlier.valid_to > later.valid_from:
            problems.add(
                MANIFEST,
                item,
                f"overlaps version '{earlier.id}' "
                f"(starts {later.valid_from}, '{earlier.id}' ends {earlier.valid_to})",
                at(later),
            )
    return versions


def _covers(values: list[tuple[date, date | None]], start: date, end: date | None) -> date | None:
    """The first day in [start, end) no value covers, or None when all are covered."""
    cursor = start
    for value_from, value_to in sorted(values):
        if value_from > cursor:
            break
        if value_to is None:
            return None
        cursor = max(cursor, value_to)
        if end is not None and cursor >= end:
            return None
    if end is not None and cursor >= end:
        return None
    return cursor


def load_folder(folder: Path, resolve_base: Callable[[str, Path], RulesPackage]) -> RulesPackage:
    """Load and check the package in ``folder``; ``resolve_base`` loads the package it extends."""
    folder = folder.resolve()
    problems = _Problems(folder)
    if not (folder / MANIFEST).exists():
        raise PackageLoadError(str(folder), [f"{MANIFEST}: file: not found in {folder}"])
    manifest = _decode(folder, MANIFEST, Manifest, problems, None)
    clauses_file = _decode(folder, CLAUSES, ClausesFile, problems, ClausesFile())
    structure = _decode(folder, STRUCTURE, StructureFile, problems, StructureFile())
    calendar_file = _decode(folder, CALENDAR, CalendarFile | None, problems, None)
    forms_file = _decode(folder, FORMS, FormsFile, problems, FormsFile())
    rules_file = _decode(folder, RULES, RulesFile, problems, RulesFile())
    if manifest is None or problems.items:
        # The files depend on each other (a rule names a unit kind of structure.toml): a
        # file that cannot be read would make every later check fail; those wait.
        problems.items.append(UNREAD_FILES_FIRST)
        raise PackageLoadError(manifest.id if manifest else str(folder), problems.items)

    base = resolve_base(manifest.extends, folder) if manifest.extends else None
    versions = _check_versions(manifest, problems)
    structure = msgspec.structs.replace(
        structure,
        unit_kinds=_spans(STRUCTURE, "unit_kind", structure.unit_kinds, versions, problems),
        chains=_spans(STRUCTURE, "chain", structure.chains, versions, problems),
        placements=_spans(STRUCTURE, "placement", structure.placements, versions, problems),
        course_organisers=_spans(
            STRUCTURE, "course_organiser", structure.course_organisers, versions, problems
        ),
    )
    forms_file = msgspec.structs.replace(
        forms_file, forms=_spans(FORMS, "form", forms_file.forms, versions, problems)
    )
    rules_file = msgspec.structs.replace(
        rules_file, rules=_spans(RULES, "rule", rules_file.rules, versions, problems)
    )
    if problems.items:
        # An entry whose versions cannot be read would count in every version: the
        # checks of versions (placements, chains per version) wait for it.
        problems.items.append(UNREAD_FILES_FIRST)
        raise PackageLoadError(manifest.id, problems.items)
    version_position = {v.id: i for i, v in enumerate(manifest.versions)}
    version_starts = {v.valid_from: v.id for v in versions}
    whole_package = package_span(versions)

    documents = dict(base.documents) if base else {}
    for index, document in enumerate(manifest.documents):
        documents[document.code] = document
        if document.date and document.valid_to and document.valid_to <= document.date:
            problems.add(
                MANIFEST,
                f"document '{document.code}'",
                "is replaced before it is dated",
                ("document", index),
            )
    for version in versions:
        for code in version.documents:
            if code not in documents:
                problems.add(
                    MANIFEST,
                    f"version '{version.id}'",
                    _missing("document", code, documents),
                    ("version", version_position[version.id]),
                )
    periods_of_documents, document_problems = document_periods(
        versions, documents, base.document_periods if base else None
    )
    for version_id, message in document_problems:
        problems.add(
            MANIFEST, f"version '{version_id}'", message, ("version", version_position[version_id])
        )

    parameters = dict(base.parameters) if base else {}
    parameter_packages = dict(base.parameter_packages) if base else {}
    parameter_position: dict[str, int] = {}
    for index, parameter in enumerate(manifest.parameters):
        item = f"parameter '{parameter.name}'"
        parameter_position[parameter.name] = index
        at = ("parameter", index)
        if parameter.name in parameters and not parameter.override:
            problems.add(MANIFEST, item, "exists in the baseline: set override = true", at)
        if parameter.name not in parameters and parameter.override:
            problems.add(
                MANIFEST, item, "overrides nothing: the baseline has no such parameter", at
            )
        parameters[parameter.name] = parameter
        parameter_packages[parameter.name] = manifest.id
    for name, parameter in parameters.items():
        at = ("parameter", parameter_position[name]) if name in parameter_position else None
        spans = [(v.valid_from, v.valid_to) for v in parameter.values]
        ordered = sorted(spans)
        for (a_from, a_to), (b_from, _) in itertools.pairwise(ordered):
            if a_to is None or a_to > b_from:
                problems.add(
                    MANIFEST,
                    f"parameter '{name}'",
                    f"has overlapping values ({a_from} and {b_from})",
                    at,
                )
        for version in versions:
            gap = _covers(spans, version.valid_from, version.valid_to)
            if gap is not None:
                problems.add(
                    MANIFEST,
                    f"parameter '{name}'",
                    f"does not cover version '{version.id}' "
                    f"({version.valid_from} to {version.valid_to or 'open'}): "
                    f"no value on {gap}",
                    at,
                )

    decisions = dict(base.decisions) if base else {}
    for decision in manifest.decisions:
        decisions[decision.code] = decision

    clauses = dict(base.clauses) if base else {}
    for index, clause in enumerate(clauses_file.clauses):
        at = ("clause", index)
        if clause.id in clauses:
            problems.add(CLAUSES, f"clause '{clause.id}'", "is declared twice", at)
        if clause.document not in documents:
            problems.add(
                CLAUSES,
                f"clause '{clause.id}'",
                _missing("document", clause.document, documents),
                at,
            )
        clauses[clause.id] = msgspec.structs.replace(clause, text=nfc(clause.text))

    def check_citation(
        file: str, item: str, cited: list[str], active: tuple[Period, ...], at: tuple[str, int]
    ) -> None:
        for message in citation_problems(
            cited, active or whole_package, clauses, periods_of_documents, version_starts
        ):
            problems.add(file, item, message, at)

    unit_kinds = dict(base.unit_kind_specs) if base else {}
    kind_versions: dict[str, set[str]] = {}
    all_version_ids = {v.id for v in versions}
    for index, kind in enumerate(structure.unit_kinds):
        item = f"unit_kind '{kind.code}'"
        if kind.code in unit_kinds and kind.code not in (base.unit_kind_specs if base else {}):
            problems.add(STRUCTURE, item, "is declared twice", ("unit_kind", index))
        unit_kinds[kind.code] = kind
        _periods_for(kind.versions, versions, STRUCTURE, item, problems, ("unit_kind", index))
    for code, kind in unit_kinds.items():
        kind_versions[code] = set(kind.versions) & all_version_ids or all_version_ids
    blocs = dict(base.bloc_specs) if base else {}
    for index, bloc in enumerate(structure.blocs):
        if bloc.code in blocs and bloc.code not in (base.bloc_specs if base else {}):
            problems.add(STRUCTURE, f"bloc '{bloc.code}'", "is declared twice", ("bloc", index))
        blocs[bloc.code] = bloc

    def check_kinds_in_force(
        item: str, kinds: list[str], applies_in: list[str], at: tuple[str, int], role: str
    ) -> None:
        """Each kind must exist in every version the item applies in."""
        for kind in dict.fromkeys(kinds):
            if kind not in unit_kinds:
                continue
            missing = sorted((set(applies_in) or all_version_ids) - kind_versions[kind])
            if missing:
                problems.add(
                    STRUCTURE,
                    item,
                    f"names {role} '{kind}', which does not exist in version "
                    + ", ".join(f"'{v}'" for v in missing)
                    + f": let unit_kind '{kind}' apply in {', '.join(repr(v) for v in missing)} "
                    "(`since`, or the versions in its `versions = [...]`)",
                    at,
                )

    chains = []
    for index, chain in enumerate(structure.chains):
        item = f"chain '{chain.id}'"
        at = ("chain", index)
        for kind in [chain.kind, *chain.path, *chain.parent_kinds]:
            if kind not in unit_kinds:
                problems.add(STRUCTURE, item, _missing("unit kind", kind, unit_kinds), at)
        for bloc in chain.blocs:
            if bloc not in blocs:
                problems.add(STRUCTURE, item, _missing("bloc", bloc, blocs), at)
        if chain.path[:1] != [chain.kind]:
            problems.add(STRUCTURE, item, "path must start with the listing kind", at)
        check_kinds_in_force(item, [*chain.path, *chain.parent_kinds], chain.versions, at, "kind")
        periods = _periods_for(chain.versions, versions, STRUCTURE, item, problems, at)
        if chain.clause and chain.clause not in clauses:
            problems.add(STRUCTURE, item, _missing("clause", chain.clause, clauses), at)
        elif chain.clause:
            check_citation(STRUCTURE, item, [chain.clause], periods, at)
        chains.append((chain, periods))
    # A version in force must have a chain for every kind that lists in another version:
    # without one, that kind's lists of the version have nowhere to go.
    first_chain: dict[str, int] = {}
    for index, chain in enumerate(structure.chains):
        first_chain.setdefault(chain.kind, index)
    for kind, index in first_chain.items():
        if kind not in unit_kinds:
            continue
        covered = {
            v
            for chain in structure.chains
            if chain.kind == kind
            for v in (set(chain.versions) or all_version_ids)
        }
        own = next((i for i, k in enumerate(structure.unit_kinds) if k.code == kind), None)
        chain_lines = [
            str(item_line(folder / STRUCTURE, "chain", i) or "?")
            for i, chain in enumerate(structure.chains)
            if chain.kind == kind
        ]
        for version in versions:
            if version.id in kind_versions[kind] and version.id not in covered:
                problems.add(
                    STRUCTURE,
                    f"unit_kind '{kind}'"
                    if own is not None
                    else f"chain '{structure.chains[index].id}'",
                    f"exists in version '{version.id}' but no [[chain]] of '{kind}' applies in "
                    f"it, so its lists would have nowhere to go: let a chain of '{kind}' "
                    f"(lines {', '.join(chain_lines)}) apply in '{version.id}' (`since`, or "
                    f"'{version.id}' in its `versions`), or leave '{version.id}' out of this "
                    "kind's versions",
                    ("unit_kind", own) if own is not None else ("chain", index),
                )
    if base and not chains:
        chains = list(base.chains)

    placements = []
    placed: dict[tuple[str, str], int] = {}
    for index, placement in enumerate(structure.placements):
        item = f"placement of '{placement.kind}'"
        at = ("placement", index)
        for kind in [placement.kind, *placement.parents]:
            if kind not in unit_kinds:
                problems.add(STRUCTURE, item, _missing("unit kind", kind, unit_kinds), at)
        if not placement.parents and not placement.top:
            problems.add(STRUCTURE, item, "names no parent kind and is not at the top", at)
        check_kinds_in_force(item, [placement.kind], placement.versions, at, "kind")
        check_kinds_in_force(item, placement.parents, placement.versions, at, "parent kind")
        for version_id in set(placement.versions) or all_version_ids:
            if (placement.kind, version_id) in placed:
                problems.add(
                    STRUCTURE,
                    item,
                    f"is the second placement of '{placement.kind}' in version '{version_id}'",
                    at,
                )
            placed[(placement.kind, version_id)] = index
        periods = _periods_for(placement.versions, versions, STRUCTURE, item, problems, at)
        if placement.clause and placement.clause not in clauses:
            problems.add(STRUCTURE, item, _missing("clause", placement.clause, clauses), at)
        elif placement.clause:
            check_citation(STRUCTURE, item, [placement.clause], periods, at)
        placements.append((placement, periods))
    if structure.placements:
        for index, kind in enumerate(structure.unit_kinds):
            unplaced = sorted(v for v in kind_versions[kind.code] if (kind.code, v) not in placed)
            if unplaced:
                problems.add(
                    STRUCTURE,
                    f"unit_kind '{kind.code}'",
                    "has no placement (which kinds it may sit under) in version "
                    + ", ".join(f"'{v}'" for v in unplaced),
                    ("unit_kind", index),
                )
    if base and not placements:
        placements = list(base.placements)

    organisers = []
    for index, organiser in enumerate(structure.course_organisers):
        item = f"course_organiser '{organiser.kind}'"
        at = ("course_organiser", index)
        for kind in [organiser.kind, organiser.runner_kind]:
            if kind is not None and kind not in unit_kinds:
                problems.add(STRUCTURE, item, _missing("unit kind", kind, unit_kinds), at)
        check_kinds_in_force(
            item,
            [k for k in (organiser.kind, organiser.runner_kind) if k],
            organiser.versions,
            at,
            "kind",
        )
        periods = _periods_for(organiser.versions, versions, STRUCTURE, item, problems, at)
        if organiser.clause and organiser.clause not in clauses:
            problems.add(STRUCTURE, item, _missing("clause", organiser.clause, clauses), at)
        elif organiser.clause:
            check_citation(STRUCTURE, item, [organiser.clause], periods, at)
        organisers.append((organiser, periods))
    if base and not organisers:
        organisers = list(base.course_organisers)

    calendar = base.calendar if base else None
    if calendar_file is not None:
        spec = calendar_file.calendar
        for clause_id in [spec.clause, *(e.clause for e in spec.exceptions)]:
            if clause_id and clause_id not in clauses:
                problems.add(CALENDAR, "calendar", _missing("clause", clause_id, clauses))
        if spec.clause in clauses:
            check_citation(CALENDAR, "calendar", [spec.clause], (), ("calendar", 0))
        for index, exception in enumerate(spec.exceptions):
            if exception.clause in clauses:
                year = ((date(exception.year, 1, 1), date(exception.year + 1, 1, 1)),)
                check_citation(
                    CALENDAR,
                    f"calendar exception {exception.year}",
                    [exception.clause],
                    year,
                    ("calendar.exception", index),
                )
        calendar = ReviewCalendar(spec)

    columns = dict(base.form_columns) if base else {}
    for column in forms_file.columns:
        columns[column.code] = column
    forms = list(base.forms) if base else []
    for index, form in enumerate(forms_file.forms):
        item = f"form '{form.step}' ({', '.join(form.levels)})"
        at = ("form", index)
        for level in form.levels:
            if level not in unit_kinds:
                problems.add(FORMS, item, _missing("unit kind", level, unit_kinds), at)
        for column in form.columns:
            if column not in columns:
                problems.add(FORMS, item, _missing("column", column, columns), at)
        if len(form.sheet) > SHEET_NAME_MAX or SHEET_NAME_FORBIDDEN.search(form.sheet):
            problems.add(
                FORMS, item, f"sheet '{form.sheet}': at most 31 characters, none of []:*?/\\", at
            )
        forms.insert(0, (form, _periods_for(form.versions, versions, FORMS, item, problems, at)))
    issuers = list(base.issuers) if base else []
    for index, issuer in enumerate(forms_file.issuers):
        for kind in issuer.kinds:
            if kind not in unit_kinds:
                problems.add(
                    FORMS,
                    f"issuer '{issuer.code}'",
                    _missing("unit kind", kind, unit_kinds),
                    ("issuer", index),
                )
        issuers.insert(0, issuer)

    codes = {"unit_kind": tuple(unit_kinds), "unit_bloc": tuple(blocs)}
    disabled = set(rules_file.disable)
    rules: list[Rule] = []
    if base:
        for rule_id in disabled - {r.id for r in base.rules}:
            problems.add(RULES, f"disable '{rule_id}'", "the baseline has no such rule")
        rules = [rule for rule in base.rules if rule.id not in disabled]
    groups: dict[str, list[str]] = {}
    for decision in decisions.values():
        for group in decision.groups:
            groups.setdefault(group, []).append(decision.code)
    for index, spec in enumerate(rules_file.rules):
        item = f"rule '{spec.id}'"
        at = ("rule", index)
        position = next((i for i, r in enumerate(rules) if r.id == spec.id), None)
        if position is not None and not spec.override:
            problems.add(RULES, item, "exists already: set override = true to replace it", at)
        if position is None and spec.override:
            problems.add(RULES, item, "overrides nothing: the baseline has no such rule", at)
        cited = [spec.clause] if isinstance(spec.clause, str) else list(spec.clause)
        if not cited:
            problems.add(RULES, item, "cites no clause", at)
            continue
        for clause_id in cited:
            if clause_id not in clauses:
                problems.add(RULES, item, _missing("clause", clause_id, clauses), at)
        if spec.confidence == "L" and not spec.inference.strip():
            problems.add(RULES, item, "has confidence L: say what is inferred in 'inference'", at)
        if spec.inference.strip() and spec.confidence != "L":
            problems.add(RULES, item, 'states an inference: set confidence = "L"', at)
        decision_codes: list[str] = []
        for name in spec.decisions:
            if name.startswith("@") and name[1:] in groups:
                decision_codes.extend(groups[name[1:]])
            elif name in decisions:
                decision_codes.append(name)
            else:
                problems.add(RULES, item, _missing("decision", name, decisions), at)
        periods = _periods_for(spec.versions, versions, RULES, item, problems, at)
        check_citation(RULES, item, cited, periods, at)
        try:
            condition = parse_condition(spec.when)
            for parameter_name in referenced_parameters(condition):
                if parameter_name not in parameters:
                    raise ConditionError(f"unknown parameter '{parameter_name}'")
            sample = {name: p.values[0].value for name, p in parameters.items() if p.values}
            check_condition(condition, codes, sample)
        except ConditionError as error:
            problems.add(RULES, item, str(error), at)
            continue
        rule = Rule(
            id=spec.id,
            package=manifest.id,
            clause=cited[0],
            clauses=tuple(cited),
            decisions=tuple(dict.fromkeys(decision_codes)),
            outcome=spec.outcome,
            reason=spec.reason or spec.id,
            message=nfc(spec.message),
            condition=condition,
            periods=periods,
            description=spec.description,
            confidence=spec.confidence,
            inference=nfc(spec.inference.strip()),
        )
        if position is None:
            rules.append(rule)
        else:
            rules[position] = rule

    holiday_problems: list[str] = []
    working_calendar = load_working_calendar(
        folder, base.working_calendar if base else None, holiday_problems
    )
    problems.items.extend(holiday_problems)
    if problems.items:
        raise PackageLoadError(manifest.id, problems.items)
    return RulesPackage(
        id=manifest.id,
        title=nfc(manifest.title),
        folder=folder,
        lineage=(manifest.id, *(base.lineage if base else ())),
        documents=documents,
        versions=versions,
        parameters=parameters,
        decisions=decisions,
        clauses=clauses,
        unit_kind_specs=unit_kinds,
        bloc_specs=blocs,
        chains=chains,
        placements=placements,
        course_organisers=organisers,
        calendar=calendar,
        form_columns=columns,
        forms=forms,
        issuers=issuers,
        rules=rules,
        case_files=sorted((folder / CASES_DIR).glob("*.yaml")),
        document_periods=periods_of_documents,
        parameter_packages=parameter_packages,
        base=base,
        working_calendar=working_calendar,
    )
