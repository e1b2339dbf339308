"""Units to be created, from a manifest or an import file, and every check they must pass.

All checks run before anything is written, and every problem is reported with where it
came from (a manifest key path or a file line and column).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from nguon.tenancy.vocabulary import UnitVocabulary

CODE_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,118}[A-Za-z0-9])?$")
COMPARED_FIELDS = ("name", "kind", "bloc", "parent_code", "valid_from", "valid_to")


@dataclass(frozen=True)
class Origin:
    """Where a unit was written: ``$.units[0].children[2]`` or ``line 14``."""

    label: str
    in_file: bool = False

    def at(self, field_name: str | None = None) -> str:
        if field_name is None:
            return self.label
        if self.in_file:
            return f"{self.label}, column {field_name}"
        return f"{self.label}.{field_name}"


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    kind: str
    bloc: str | None
    parent_code: str | None
    valid_from: dt.date
    valid_to: dt.date | None
    origin: Origin
    parent_known: bool = True
    """False when the parent could not be read (a type error): its parent is not checked."""


@dataclass(frozen=True)
class ExistingUnit:
    id: int
    code: str
    name: str
    kind: str
    bloc: str | None
    parent_code: str | None
    path: str
    depth: int
    valid_from: dt.date
    valid_to: dt.date | None


@dataclass
class UnitPlan:
    """What writing a batch of units will do: the new ones in parent-first order."""

    to_create: list[UnitSpec] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def plan_units(
    specs: Sequence[UnitSpec],
    existing: Mapping[str, ExistingUnit],
    vocabulary: UnitVocabulary,
) -> UnitPlan:
    plan = UnitPlan()
    problems = plan.problems
    first_seen: dict[str, UnitSpec] = {}
    new: dict[str, UnitSpec] = {}
    for spec in specs:
        problems.extend(_field_problems(spec, vocabulary))
        if spec.code in first_seen:
            problems.append(
                f"{spec.origin.at('code')}: duplicate code {spec.code!r} "
                f"(first used at {first_seen[spec.code].origin.label})"
            )
            continue
        first_seen[spec.code] = spec
        current = existing.get(spec.code)
        if current is None:
            new[spec.code] = spec
            continue
        differences = [
            f"{name} is {_shown(getattr(current, name))} in the database"
            for name in COMPARED_FIELDS
            if _normalised(getattr(spec, name)) != _normalised(getattr(current, name))
        ]
        if differences:
            problems.append(
                f"{spec.origin.at('code')}: unit {spec.code!r} already exists and differs "
                f"({'; '.join(differences)}); record changes as new dated units"
            )
        else:
            plan.unchanged.append(spec.code)

    for spec in first_seen.values():
        if spec.parent_known:
            problems.extend(_parent_problems(spec, new, existing, vocabulary))

    depths, loop_problems = _depths(new, existing)
    problems.extend(loop_problems)
    if not problems:
        plan.to_create = sorted(new.values(), key=lambda s: depths[s.code])
    return plan


def _shown(value: object) -> str:
    return "empty" if value is None else repr(str(value))


def _normalised(value: object) -> object:
    return None if value == "" else value


def _field_problems(spec: UnitSpec, vocabulary: UnitVocabulary) -> Iterable[str]:
    at = spec.origin.at
    if not CODE_PATTERN.match(spec.code):
        yield (
            f"{at('code')}: code {spec.code!r} must be 1–120 letters, digits, '.', '-' or '_', "
            "starting and ending with a letter or digit"
        )
    if not spec.name.strip():
        yield f"{at('name')}: name is empty"
    kind_problem = vocabulary.kind_problem(spec.kind, spec.valid_from)
    if kind_problem is not None:
        yield f"{at('kind')}: {kind_problem}"
    if spec.bloc is not None and spec.bloc not in vocabulary.blocs:
        yield f"{at('bloc')}: unknown bloc {spec.bloc!r}"
    if spec.valid_to is not None and spec.valid_to < spec.valid_from:
        yield f"{at('valid_to')}: valid_to {spec.valid_to} is before valid_from {spec.valid_from}"


def _parent_problems(
    spec: UnitSpec,
    new: Mapping[str, UnitSpec],
    existing: Mapping[str, ExistingUnit],
    vocabulary: UnitVocabulary,
) -> Iterable[str]:
    at = spec.origin.at
    parent: UnitSpec | ExistingUnit | None = None
    if spec.parent_code is not None:
        parent = new.get(spec.parent_code) or existing.get(spec.parent_code)
        if parent is None:
            yield f"{at('parent_code')}: unknown parent unit {spec.parent_code!r}"
            return
    known = spec.kind in vocabulary.kinds and (parent is None or parent.kind in vocabulary.kinds)
    placement = vocabulary.parent_problem(
        spec.kind,
        None if parent is None else parent.kind,
        spec.valid_from,
        None if parent is None else parent.code,
    )
    if known and placement is not None:
        yield f"{at('kind')}: {placement}"
    if parent is None:
        return
    if spec.valid_from < parent.valid_from:
        yield (
            f"{at('valid_from')}: valid_from {spec.valid_from} is before its parent "
            f"{parent.code!r} exists ({parent.valid_from})"
        )
    if parent.valid_to is not None and (spec.valid_to is None or spec.valid_to > parent.valid_to):
        yield (
            f"{at('valid_to')}: the unit must end by {parent.valid_to}, when its parent "
            f"{parent.code!r} ends"
        )


def _depths(
    new: Mapping[str, UnitSpec], existing: Mapping[str, ExistingUnit]
) -> tuple[dict[str, int], list[str]]:
    depths: dict[str, int] = {}
    problems: list[str] = []
    for code in new:
        chain: list[str] = []
        cursor: str | None = code
        base = -1
        while cursor is not None and cursor in new and cursor not in depths:
            if cursor in chain:
                spec = new[code]
                problems.append(
                    f"{spec.origin.at('parent_code')}: the parent chain of {code!r} loops "
                    f"({' → '.join([*chain[chain.index(cursor) :], cursor])})"
                )
                break
            chain.append(cursor)
            cursor = new[cursor].parent_code
        else:
            if cursor is not None:
                base = depths[cursor] if cursor in depths else _existing_depth(existing, cursor)
            for offset, member in enumerate(reversed(chain), start=1):
                depths[member] = base + offset
            continue
        for member in chain:
            depths.setdefault(member, 0)
    return depths, problems


def _existing_depth(existing: Mapping[str, ExistingUnit], code: str) -> int:
    unit = existing.get(code)
    return -1 if unit is None else unit.depth
