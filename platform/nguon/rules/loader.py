"""Read a rules package folder, merge it over its baseline and check it.

Every problem names the file and the item; a package with any problem is refused.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

import msgspec

from nguon.rules.conditions import (
    ConditionError,
    check_condition,
    parse_condition,
    referenced_parameters,
)
from nguon.rules.errors import PackageLoadError
from nguon.rules.facts import nfc
from nguon.rules.manifest import (
    CalendarFile,
    ClausesFile,
    FormsFile,
    Manifest,
    RulesFile,
    StructureFile,
    VersionSpec,
)
from nguon.rules.package import Period, Rule, RulesPackage
from nguon.rules.review_calendar import ReviewCalendar

MANIFEST = "manifest.toml"
CLAUSES = "clauses.toml"
STRUCTURE = "structure.toml"
CALENDAR = "calendar.toml"
FORMS = "forms.toml"
SHEET_NAME_MAX = 31  # what spreadsheet programs accept as a worksheet's name
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
RULES = "rules.toml"
CASES_DIR = "cases"

T = TypeVar("T")


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, file: str, item: str, message: str) -> None:
        self.items.append(f"{file}: {item}: {message}")


def _decode(folder: Path, name: str, kind: type[T], problems: _Problems, default: T) -> T:
    path = folder / name
    if not path.exists():
        return default
    try:
        return msgspec.toml.decode(path.read_bytes(), type=kind)
    except (msgspec.ValidationError, msgspec.DecodeError) as error:
        problems.add(name, "file", str(error))
        return default


def _periods_for(
    version_ids: list[str],
    versions: list[VersionSpec],
    file: str,
    item: str,
    problems: _Problems,
) -> tuple[Period, ...]:
    known = {v.id: (v.valid_from, v.valid_to) for v in versions}
    periods: list[Period] = []
    for version_id in version_ids:
        if version_id not in known:
            problems.add(file, item, f"names version '{version_id}' that does not exist")
        else:
            periods.append(known[version_id])
    return tuple(periods)


def _check_versions(manifest: Manifest, problems: _Problems) -> list[VersionSpec]:
    versions = sorted(manifest.versions, key=lambda v: v.valid_from)
    if not versions:
        problems.add(MANIFEST, "version", "a package needs at least one version")
    seen: set[str] = set()
    for version in versions:
        item = f"version '{version.id}'"
        if version.id in seen:
            problems.add(MANIFEST, item, "is declared twice")
        seen.add(version.id)
        if version.valid_to is not None and version.valid_to <= version.valid_from:
            problems.add(MANIFEST, item, "ends before it starts")
    for earlier, later in itertools.pairwise(versions):
        item = f"version '{later.id}'"
        if earlier.valid_to is None:
            problems.add(
                MANIFEST,
                f"version '{earlier.id}'",
                f"is open-ended but version '{later.id}' follows it",
            )
        elif earlier.valid_to < later.valid_from:
            problems.add(
                MANIFEST,
                item,
                f"leaves a gap after version '{earlier.id}' "
                f"({earlier.valid_to} to {later.valid_from})",
            )
        elif earlier.valid_to > later.valid_from:
            problems.add(
                MANIFEST,
                item,
                f"overlaps version '{earlier.id}' "
                f"(starts {later.valid_from}, '{earlier.id}' ends {earlier.valid_to})",
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
    problems = _Problems()
    if not (folder / MANIFEST).exists():
        raise PackageLoadError(str(folder), [f"{MANIFEST}: file: not found in {folder}"])
    manifest = _decode(folder, MANIFEST, Manifest, problems, None)
    if manifest is None:
        raise PackageLoadError(str(folder), problems.items)
    clauses_file = _decode(folder, CLAUSES, ClausesFile, problems, ClausesFile())
    structure = _decode(folder, STRUCTURE, StructureFile, problems, StructureFile())
    calendar_file = _decode(folder, CALENDAR, CalendarFile | None, problems, None)
    forms_file = _decode(folder, FORMS, FormsFile, problems, FormsFile())
    rules_file = _decode(folder, RULES, RulesFile, problems, RulesFile())

    base = resolve_base(manifest.extends, folder) if manifest.extends else None
    versions = _check_versions(manifest, problems)

    documents = dict(base.documents) if base else {}
    for document in manifest.documents:
        documents[document.code] = document
    for version in versions:
        for code in version.documents:
            if code not in documents:
                problems.add(
                    MANIFEST,
                    f"version '{version.id}'",
                    f"names document '{code}' that does not exist",
                )

    parameters = dict(base.parameters) if base else {}
    for parameter in manifest.parameters:
        item = f"parameter '{parameter.name}'"
        if parameter.name in parameters and not parameter.override:
            problems.add(MANIFEST, item, "exists in the baseline: set override = true")
        if parameter.name not in parameters and parameter.override:
            problems.add(MANIFEST, item, "overrides nothing: the baseline has no such parameter")
        parameters[parameter.name] = parameter
    for name, parameter in parameters.items():
        spans = [(v.valid_from, v.valid_to) for v in parameter.values]
        ordered = sorted(spans)
        for (a_from, a_to), (b_from, _) in itertools.pairwise(ordered):
            if a_to is None or a_to > b_from:
                problems.add(
                    MANIFEST,
                    f"parameter '{name}'",
                    f"has overlapping values ({a_from} and {b_from})",
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
                )

    decisions = dict(base.decisions) if base else {}
    for decision in manifest.decisions:
        decisions[decision.code] = decision

    clauses = dict(base.clauses) if base else {}
    for clause in clauses_file.clauses:
        if clause.id in clauses:
            problems.add(CLAUSES, f"clause '{clause.id}'", "is declared twice")
        if clause.document not in documents:
            problems.add(
                CLAUSES,
                f"clause '{clause.id}'",
                f"names document '{clause.document}' that does not exist",
            )
        clauses[clause.id] = msgspec.structs.replace(clause, text=nfc(clause.text))

    unit_kinds = dict(base.unit_kind_specs) if base else {}
    for kind in structure.unit_kinds:
        unit_kinds[kind.code] = kind
        _periods_for(kind.versions, versions, STRUCTURE, f"unit_kind '{kind.code}'", problems)
    blocs = dict(base.bloc_specs) if base else {}
    for bloc in structure.blocs:
        blocs[bloc.code] = bloc

    chains = []
    for chain in structure.chains:
        item = f"chain '{chain.id}'"
        for kind in [chain.kind, *chain.path, *chain.parent_kinds]:
            if kind not in unit_kinds:
                problems.add(STRUCTURE, item, f"names unit kind '{kind}' that does not exist")
        for bloc in chain.blocs:
            if bloc not in blocs:
                problems.add(STRUCTURE, item, f"names bloc '{bloc}' that does not exist")
        if chain.path[:1] != [chain.kind]:
            problems.add(STRUCTURE, item, "path must start with the listing kind")
        if chain.clause and chain.clause not in clauses:
            problems.add(STRUCTURE, item, f"names clause '{chain.clause}' that does not exist")
        chains.append((chain, _periods_for(chain.versions, versions, STRUCTURE, item, problems)))
    if base and not chains:
        chains = list(base.chains)

    placements = []
    for placement in structure.placements:
        item = f"placement of '{placement.kind}'"
        for kind in [placement.kind, *placement.parents]:
            if kind not in unit_kinds:
                problems.add(STRUCTURE, item, f"names unit kind '{kind}' that does not exist")
        if not placement.parents and not placement.top:
            problems.add(STRUCTURE, item, "names no parent kind and is not at the top")
        if placement.clause and placement.clause not in clauses:
            problems.add(STRUCTURE, item, f"names clause '{placement.clause}' that does not exist")
        periods = _periods_for(placement.versions, versions, STRUCTURE, item, problems)
        placements.append((placement, periods))
    if base and not placements:
        placements = list(base.placements)

    organisers = []
    for organiser in structure.course_organisers:
        item = f"course_organiser '{organiser.kind}'"
        for kind in [organiser.kind, organiser.runner_kind]:
            if kind is not None and kind not in unit_kinds:
                problems.add(STRUCTURE, item, f"names unit kind '{kind}' that does not exist")
        if organiser.clause and organiser.clause not in clauses:
            problems.add(STRUCTURE, item, f"names clause '{organiser.clause}' that does not exist")
        periods = _periods_for(organiser.versions, versions, STRUCTURE, item, problems)
        organisers.append((organiser, periods))
    if base and not organisers:
        organisers = list(base.course_organisers)

    calendar = base.calendar if base else None
    if calendar_file is not None:
        spec = calendar_file.calendar
        for clause_id in [spec.clause, *(e.clause for e in spec.exceptions)]:
            if clause_id and clause_id not in clauses:
                problems.add(
                    CALENDAR, "calendar", f"names clause '{clause_id}' that does not exist"
                )
        calendar = ReviewCalendar(spec)

    columns = dict(base.form_columns) if base else {}
    for column in forms_file.columns:
        columns[column.code] = column
    forms = list(base.forms) if base else []
    for form in forms_file.forms:
        item = f"form '{form.step}' ({', '.join(form.levels)})"
        for level in form.levels:
            if level not in unit_kinds:
                problems.add(FORMS, item, f"names unit kind '{level}' that does not exist")
        for column in form.columns:
            if column not in columns:
                problems.add(FORMS, item, f"names column '{column}' that does not exist")
        if len(form.sheet) > SHEET_NAME_MAX or SHEET_NAME_FORBIDDEN.search(form.sheet):
            problems.add(
                FORMS, item, f"sheet '{form.sheet}': at most 31 characters, none of []:*?/\\"
            )
        forms.insert(0, (form, _periods_for(form.versions, versions, FORMS, item, problems)))
    issuers = list(base.issuers) if base else []
    for issuer in forms_file.issuers:
        for kind in issuer.kinds:
            if kind not in unit_kinds:
                problems.add(
                    FORMS,
                    f"issuer '{issuer.code}'",
                    f"names unit kind '{kind}' that does not exist",
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
    for spec in rules_file.rules:
        item = f"rule '{spec.id}'"
        position = next((i for i, r in enumerate(rules) if r.id == spec.id), None)
        if position is not None and not spec.override:
            problems.add(RULES, item, "exists already: set override = true to replace it")
        if position is None and spec.override:
            problems.add(RULES, item, "overrides nothing: the baseline has no such rule")
        if spec.clause not in clauses:
            problems.add(RULES, item, f"names clause '{spec.clause}' that does not exist")
        decision_codes: list[str] = []
        for name in spec.decisions:
            if name.startswith("@") and name[1:] in groups:
                decision_codes.extend(groups[name[1:]])
            elif name in decisions:
                decision_codes.append(name)
            else:
                problems.add(RULES, item, f"names decision '{name}' that does not exist")
        try:
            condition = parse_condition(spec.when)
            for parameter_name in referenced_parameters(condition):
                if parameter_name not in parameters:
                    raise ConditionError(f"unknown parameter '{parameter_name}'")
            sample = {name: p.values[0].value for name, p in parameters.items() if p.values}
            check_condition(condition, codes, sample)
        except ConditionError as error:
            problems.add(RULES, item, str(error))
            continue
        rule = Rule(
            id=spec.id,
            package=manifest.id,
            clause=spec.clause,
            decisions=tuple(dict.fromkeys(decision_codes)),
            outcome=spec.outcome,
            reason=spec.reason or spec.id,
            message=nfc(spec.message),
            condition=condition,
            periods=_periods_for(spec.versions, versions, RULES, item, problems),
            description=spec.description,
        )
        if position is None:
            rules.append(rule)
        else:
            rules[position] = rule

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
    )
