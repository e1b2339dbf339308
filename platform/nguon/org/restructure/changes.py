"""What a restructuring file does to the tree, worked out in memory and checked.

History is never edited: on the effective date D a moved or renamed unit's row is closed
and a new row (new code) carries on under its new parent, with every in-force unit below
it re-created too; merged units are closed and succeeded by one unit; closed units end
with everything below them. The new rows and the tree left in force are checked against
the package's structure version in force on D.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from nguon.org.restructure.spec import Origin, RestructuringFile
from nguon.org.unit_specs import ExistingUnit
from nguon.org.validity import closed_by, in_force_on
from nguon.tenancy.vocabulary import UnitVocabulary


@dataclass(frozen=True)
class NewRow:
    """A unit row the restructuring creates, valid from D."""

    code: str
    name: str
    kind: str
    bloc: str | None
    parent_code: str | None
    origin: Origin
    predecessor: str | None = None
    """The closed unit it carries on (moved or renamed), or None for an opened unit."""
    valid_to: dt.date | None = None
    explicit: bool = True
    """False for a unit re-created because a unit above it moved."""


@dataclass(frozen=True)
class Closure:
    """A unit row that ends on D, and the unit that carries on its work (if any)."""

    code: str
    origin: Origin
    successor: str | None
    change: str | None
    """"moved", "renamed" or "merged"; None when the unit closes with no successor."""
    closed_with: str | None = None
    """The unit named in the file whose change closed this one (a unit below it)."""


@dataclass
class TreeChange:
    new_rows: list[NewRow] = field(default_factory=list)
    """Parent first."""
    closures: dict[str, Closure] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _rebased(code: str, top_old: str, top_new: str, suffix: str) -> str:
    """A re-created unit's new code: the moved unit's code prefix replaced, or a date suffix."""
    if code.startswith(top_old) and code[len(top_old) : len(top_old) + 1] in {".", "-", "_"}:
        return top_new + code[len(top_old) :]
    return f"{code}-{suffix}"


class _Builder:
    def __init__(
        self,
        spec: RestructuringFile,
        existing: Mapping[str, ExistingUnit],
        vocabulary: UnitVocabulary,
    ) -> None:
        self.spec = spec
        self.existing = existing
        self.vocabulary = vocabulary
        self.day = spec.effective_on
        self.suffix = self.day.strftime("%Y%m%d")
        self.problems: list[str] = []
        self.acted: dict[str, tuple[str, Origin]] = {}
        self.first: dict[str, tuple[str, Origin]] = {}
        self.closures: dict[str, Closure] = {}
        self.new_rows: dict[str, NewRow] = {}
        self.children: dict[str, list[ExistingUnit]] = {}
        for unit in sorted(existing.values(), key=lambda u: u.code):
            if unit.parent_code is not None and (unit.valid_to is None or unit.valid_to > self.day):
                self.children.setdefault(unit.parent_code, []).append(unit)

    # --- the file's actions ------------------------------------------------------------

    def first_claims(self) -> None:
        """Which action names each unit first, in the file's order (a later one is refused)."""
        spec = self.spec
        named: list[tuple[Origin, str, str]] = [
            *((m.origin, m.code, "moved") for m in spec.moves),
            *((r.origin, r.code, "renamed") for r in spec.renames),
            *(
                (origin, code, "merged")
                for merge in spec.merges
                for code, origin in zip(merge.codes, merge.code_origins, strict=True)
            ),
            *((c.origin, c.code, "closed") for c in spec.closes),
        ]
        named.sort(key=lambda item: item[0].line or 0)
        for origin, code, verb in named:
            self.first.setdefault(code, (verb, origin))

    def claim(self, code: str, verb: str, origin: Origin, field_name: str = "code") -> bool:
        """Record that the file acts on ``code``; False (and a problem) if it cannot."""
        first_verb, first = self.first[code]
        if first is not origin:
            self.problems.append(
                origin.problem(
                    f"the unit is {verb} here and already {first_verb} at {first.at()}",
                    code=code,
                    field=field_name,
                )
            )
            return False
        unit = self.existing.get(code)
        if unit is None:
            self.problems.append(origin.problem("unknown unit code", code=code, field=field_name))
            return False
        self.acted[code] = (verb, origin)
        if unit.valid_from >= self.day:
            self.problems.append(
                origin.problem(
                    f"the unit starts on {unit.valid_from}: it must be in force before {self.day}",
                    code=code,
                    field=field_name,
                )
            )
            return False
        if closed_by(unit, self.day):
            self.problems.append(
                origin.problem(
                    f"the unit already ended on {unit.valid_to}", code=code, field=field_name
                )
            )
            return False
        return True

    def add_row(self, row: NewRow) -> None:
        about = row.predecessor or row.code
        field_name = "code" if row.predecessor is None else "new_code"
        if not row.explicit:
            fix = f"give {row.predecessor!r} a [[move]] of its own with a new_code"
        elif row.predecessor is not None:
            fix = "give another new_code"
        else:
            fix = "give another code"
        if row.code in self.existing:
            self.problems.append(
                row.origin.problem(
                    f"the new code {row.code!r} already exists "
                    f"({self.existing[row.code].name}); codes are never reused: {fix}",
                    code=about,
                    field=field_name,
                )
            )
        elif row.code in self.new_rows:
            first = self.new_rows[row.code]
            self.problems.append(
                row.origin.problem(
                    f"the new code {row.code!r} is also created at {first.origin.at()}: {fix}",
                    code=about,
                    field=field_name,
                )
            )
        else:
            self.new_rows[row.code] = row

    def read_actions(self) -> None:
        """The closures and new rows of the units the file names, and of the units below."""
        spec = self.spec
        walks: list[tuple[str, str | None]] = []
        for opened in spec.opens:
            self.add_row(
                NewRow(
                    code=opened.code,
                    name=opened.name,
                    kind=opened.kind,
                    bloc=opened.bloc,
                    parent_code=opened.parent,
                    origin=opened.origin,
                ),
            )
        for moved in spec.moves:
            if not self.claim(moved.code, "moved", moved.origin):
                continue
            unit = self.existing[moved.code]
            new_code = moved.new_code or f"{moved.code}-{self.suffix}"
            self.closures[moved.code] = Closure(moved.code, moved.origin, new_code, "moved")
            self.add_row(
                NewRow(
                    code=new_code,
                    name=moved.name or unit.name,
                    kind=moved.kind or unit.kind,
                    bloc=moved.bloc if moved.bloc is not None else unit.bloc,
                    parent_code=moved.parent,
                    origin=moved.origin,
                    predecessor=moved.code,
                    valid_to=unit.valid_to,
                )
            )
            walks.append((moved.code, new_code))
        renames: list[tuple[str, NewRow]] = []
        for renamed in spec.renames:
            if not self.claim(renamed.code, "renamed", renamed.origin):
                continue
            unit = self.existing[renamed.code]
            new_code = renamed.new_code or f"{renamed.code}-{self.suffix}"
            self.closures[renamed.code] = Closure(renamed.code, renamed.origin, new_code, "renamed")
            row = NewRow(
                code=new_code,
                name=renamed.name,
                kind=unit.kind,
                bloc=unit.bloc,
                parent_code=unit.parent_code,
                origin=renamed.origin,
                predecessor=renamed.code,
                valid_to=unit.valid_to,
            )
            renames.append((renamed.code, row))
            walks.append((renamed.code, new_code))
        for merge in spec.merges:
            for code, origin in zip(merge.codes, merge.code_origins, strict=True):
                if code == merge.into:
                    self.problems.append(
                        origin.problem("a unit cannot be merged into itself", code=code)
                    )
                    continue
                if self.claim(code, "merged", origin, "codes"):
                    self.closures[code] = Closure(code, origin, merge.into, "merged")
                    walks.append((code, None))
        for closed in spec.closes:
            if self.claim(closed.code, "closed", closed.origin):
                self.closures[closed.code] = Closure(closed.code, closed.origin, None, None)
                walks.append((closed.code, None))

        for code, new_code in walks:
            self.walk(code, code, new_code, self.closures[code].origin)
        # A renamed unit stays under its parent, or under the unit that carries the parent on.
        for code, row in renames:
            parent = row.parent_code
            if parent is not None and parent in self.closures:
                closure = self.closures[parent]
                if closure.successor is None:
                    self.problems.append(
                        row.origin.problem(
                            f"its parent {parent!r} closes on {self.day} "
                            f"({closure.origin.at()}) with no successor: use [[move]] to give "
                            "the unit a new parent",
                            code=code,
                        )
                    )
                    continue
                row = replace(row, parent_code=closure.successor)
            self.add_row(row)

    def walk(self, top: str, code: str, new_code: str | None, origin: Origin) -> None:
        """Close (or re-create, when ``new_code`` is the unit's new row) every unit below
        ``code`` that is still in force and not named in the file itself."""
        top_new = self.closures[top].successor if new_code is not None else None
        for child in self.children.get(code, []):
            if child.code in self.acted:
                continue
            if child.valid_from >= self.day:
                self.problems.append(
                    origin.problem(
                        f"unit {child.code!r} below it starts on {child.valid_from}, on or "
                        f"after {self.day}: close or move it in a file of its own first",
                        code=top,
                    )
                )
                continue
            if new_code is None:
                self.closures[child.code] = Closure(child.code, origin, None, None, closed_with=top)
                self.walk(top, child.code, None, origin)
                continue
            assert top_new is not None
            child_new = _rebased(child.code, top, top_new, self.suffix)
            self.closures[child.code] = Closure(
                child.code, origin, child_new, "moved", closed_with=top
            )
            self.add_row(
                NewRow(
                    code=child_new,
                    name=child.name,
                    kind=child.kind,
                    bloc=child.bloc,
                    parent_code=new_code,
                    origin=origin,
                    predecessor=child.code,
                    valid_to=child.valid_to,
                    explicit=False,
                )
            )
            self.walk(top, child.code, child_new, origin)

    # --- the tree after D ----------------------------------------------------------------

    def kind_after(self, code: str) -> str | None:
        """The kind of the unit ``code`` in the tree in force on D after the change."""
        row = self.new_rows.get(code)
        if row is not None:
            return row.kind
        unit = self.existing.get(code)
        if unit is not None and code not in self.closures and in_force_on(unit, self.day):
            return unit.kind
        return None

    def why_not_after(self, code: str) -> str:
        unit = self.existing.get(code)
        if unit is None:
            return "unknown unit code"
        closure = self.closures.get(code)
        if closure is not None:
            carried = f"; the unit {closure.successor!r} carries it on" if closure.successor else ""
            return f"{code!r} closes on {self.day} ({closure.origin.at()}){carried}"
        return (
            f"{code!r} is not in force on {self.day} "
            f"(from {unit.valid_from} to {unit.valid_to or 'open'})"
        )

    def check_targets(self) -> None:
        for opened in self.spec.opens:
            if self.kind_after(opened.parent) is None:
                self.problems.append(
                    opened.origin.problem(
                        f"parent: {self.why_not_after(opened.parent)}",
                        code=opened.code,
                        field="parent",
                    )
                )
        for moved in self.spec.moves:
            if self.kind_after(moved.parent) is None:
                self.problems.append(
                    moved.origin.problem(
                        f"parent: {self.why_not_after(moved.parent)}",
                        code=moved.code,
                        field="parent",
                    )
                )
        for merge in self.spec.merges:
            if self.kind_after(merge.into) is None:
                self.problems.append(
                    merge.origin.problem(
                        f"into: the successor must be in force after the change, but "
                        f"{self.why_not_after(merge.into)}",
                        code=merge.into,
                        field="into",
                    )
                )

    def check_rows(self) -> None:
        vocabulary = self.vocabulary
        for row in self.new_rows.values():
            about = row.code if row.explicit else row.predecessor
            prefix = "" if row.explicit else f"re-created as {row.code!r}: "
            kind_problem = vocabulary.kind_problem(row.kind, self.day)
            if kind_problem is not None:
                self.problems.append(
                    row.origin.problem(prefix + kind_problem, code=about, field="kind")
                )
            if row.bloc is not None and row.bloc not in vocabulary.blocs:
                self.problems.append(
                    row.origin.problem(f"unknown bloc {row.bloc!r}", code=about, field="bloc")
                )
            if not row.name.strip():
                self.problems.append(row.origin.problem("name is empty", code=about, field="name"))
            parent_kind = None if row.parent_code is None else self.kind_after(row.parent_code)
            if row.parent_code is not None and parent_kind is None:
                continue  # reported by check_targets
            if kind_problem is None and (parent_kind is None or parent_kind in vocabulary.kinds):
                placement = vocabulary.parent_problem(
                    row.kind, parent_kind, self.day, row.parent_code
                )
                if placement is not None:
                    self.problems.append(
                        row.origin.problem(prefix + placement, code=about, field="parent")
                    )

    def check_left_in_force(self) -> None:
        """Every unit the file leaves in force must be valid under the version in force on D."""
        origin = self.spec.origin
        for unit in sorted(self.existing.values(), key=lambda u: u.path):
            if unit.code in self.closures or not in_force_on(unit, self.day):
                continue
            problem = self.vocabulary.kind_problem(unit.kind, self.day)
            if problem is None and unit.kind in self.vocabulary.kinds:
                parent = unit.parent_code
                parent_kind = None if parent is None else self.kind_after(parent)
                if parent is None or parent_kind in self.vocabulary.kinds:
                    problem = self.vocabulary.parent_problem(
                        unit.kind, parent_kind, self.day, parent
                    )
            if problem is not None:
                self.problems.append(
                    origin.problem(
                        f"the unit stays in force after the change but {problem}: close, move "
                        "or merge it in this file",
                        code=unit.code,
                        field="effective_on",
                    )
                )

    def ordered_rows(self) -> list[NewRow]:
        """New rows, parents first; a loop of new parents is a problem."""
        depth: dict[str, int] = {}
        for code in self.new_rows:
            chain: list[str] = []
            cursor: str | None = code
            while cursor is not None and cursor in self.new_rows and cursor not in depth:
                if cursor in chain:
                    row = self.new_rows[code]
                    loop = " → ".join([*chain[chain.index(cursor) :], cursor])
                    self.problems.append(
                        row.origin.problem(f"the new parents loop: {loop}", code=code)
                    )
                    return []
                chain.append(cursor)
                cursor = self.new_rows[cursor].parent_code
            base = depth.get(cursor, -1) if cursor is not None else -1
            for offset, member in enumerate(reversed(chain), start=1):
                depth[member] = base + offset
        return sorted(self.new_rows.values(), key=lambda row: depth[row.code])


def compute_changes(
    spec: RestructuringFile,
    existing: Mapping[str, ExistingUnit],
    vocabulary: UnitVocabulary,
) -> TreeChange:
    """The rows a file creates and closes, with every problem found (nothing written)."""
    builder = _Builder(spec, existing, vocabulary)
    builder.first_claims()
    builder.read_actions()
    builder.check_targets()
    builder.check_rows()
    builder.check_left_in_force()
    rows = builder.ordered_rows()
    return TreeChange(new_rows=rows, closures=builder.closures, problems=builder.problems)
