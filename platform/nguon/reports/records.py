"""The dated records figures are computed from, loaded once per page for one subtree.

People are found by the units they were in: the subtree's units, every unit that took
their work over in a restructuring (people move with it) and every unit a recorded move
took one of them to, so a 2024 figure still finds the people moved since.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from nguon.db import plain
from nguon.db.binding import current_engine
from nguon.db.engine import is_postgres
from nguon.people.moves import CandidateMove
from nguon.people.tables import Candidate
from nguon.pipeline.tables import (
    CandidateList,
    CourseEnrolment,
    HelperAssignment,
    ListEntry,
    StageChange,
)
from nguon.reports.structure import load_tree
from nguon.tenancy.context import require_tenant
from nguon.tenancy.scoped import in_tenant

CHUNK = 500


class Change(msgspec.Struct, frozen=True):
    on: dt.date
    order: int
    from_stage: str
    to_stage: str


class Listed(msgspec.Struct, frozen=True):
    entry: int
    period_code: str
    step: str
    unit: int
    """The unit the entry names, else the list's."""
    included: bool


class Person(msgspec.Struct, kw_only=True):
    id: int
    unit: int
    stage_now: str
    created: dt.date
    since: dt.date
    """The first day a record shows them in the source: their record made, an earlier
    stage change, or the opening of a period over before then whose list names them."""
    changes: list[Change]
    certificates: list[dt.date]
    helpers: list[tuple[dt.date, dt.date | None]]
    courses: list[tuple[dt.date, dt.date]]
    entry_units: list[int]
    moves: list[tuple[dt.date, int, int]]
    """(first day in the new unit, id, the unit left), in order."""
    listed: list[Listed] = msgspec.field(default_factory=list)
    """Their list entries, those copied from a list below left out."""

    def stage_on(self, day: dt.date) -> str | None:
        """Their stage on ``day``, or None before they were in the source."""
        if day < self.since:
            return None
        last: Change | None = None
        for change in self.changes:
            if change.on > day:
                break
            last = change
        if last is not None:
            return last.to_stage
        return self.changes[0].from_stage if self.changes else self.stage_now


class ListState(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    unit: int
    step: str
    period_code: str
    state: str


class Records(msgspec.Struct, kw_only=True):
    units: dict[int, dict[str, Any]]
    """Every unit of the tenant, by id."""
    predecessors: dict[int, list[int]]
    """For a unit opened by a restructuring, the units whose work it took over."""
    people: dict[int, Person]
    lists: list[ListState]

    def unit_on(self, person: Person, day: dt.date) -> int:
        """The person's unit on ``day``: the unit their recorded moves say; for moves made
        before they were recorded, back through restructurings from that unit (where
        several units merged, the one the person's list entries name)."""
        unit_id = person.unit
        for moved_on, _, left in person.moves:
            if day < moved_on:
                unit_id = left
                break
        seen = {unit_id}
        while self.units[unit_id]["valid_from"] > day:
            before = [p for p in self.predecessors.get(unit_id, ()) if p not in seen]
            if not before:
                break
            named = [p for p in before if p in person.entry_units]
            unit_id = min(named or before)
            seen.add(unit_id)
        return unit_id


def _chunks(values: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(values), CHUNK):
        yield list(values[start : start + CHUNK])


def followers(start: set[int], successions: list[dict[str, Any]]) -> set[int]:
    """``start`` and every unit that took over the work of one of them, transitively."""
    following: dict[int, list[int]] = defaultdict(list)
    for row in successions:
        following[row["predecessor"]].append(row["successor"])
    return reached(start, following)


def reached(start: Iterable[int], edges: dict[int, list[int]]) -> set[int]:
    """``start`` and every unit ``edges`` lead to from one of them, transitively."""
    found = set(start)
    todo = list(found)
    while todo:
        for unit in edges.get(todo.pop(), ()):
            if unit not in found:
                found.add(unit)
                todo.append(unit)
    return found


async def _moved_out(unit_ids: list[int]) -> list[int]:
    """People a recorded move took out of one of ``unit_ids``."""
    found: set[int] = set()
    for chunk in _chunks(unit_ids):
        for row in await CandidateMove.select(CandidateMove.candidate).where(
            in_tenant(CandidateMove), CandidateMove.from_unit.is_in(chunk)
        ):
            found.add(row["candidate"])
    return sorted(found)


async def _people(unit_ids: list[int], also: list[int]) -> dict[int, Person]:
    people: dict[int, Person] = {}
    queries = [Candidate.unit.is_in(chunk) for chunk in _chunks(unit_ids)]
    queries += [Candidate.id.is_in(chunk) for chunk in _chunks(also)]
    for clause in queries:
        for row in await Candidate.select(
            Candidate.id,
            Candidate.unit,
            Candidate.stage,
            Candidate.created_at,
            Candidate.certificate_date,
        ).where(in_tenant(Candidate), clause):
            people[row["id"]] = Person(
                id=row["id"],
                unit=row["unit"],
                stage_now=row["stage"],
                created=row["created_at"].date(),
                since=row["created_at"].date(),
                changes=[],
                certificates=[row["certificate_date"]] if row["certificate_date"] else [],
                helpers=[],
                courses=[],
                entry_units=[],
                moves=[],
            )
    return people


async def _add_dated_records(people: dict[int, Person]) -> None:
    ids = sorted(people)
    for chunk in _chunks(ids):
        for row in await StageChange.select(
            StageChange.id,
            StageChange.candidate,
            StageChange.changed_on,
            StageChange.from_stage,
            StageChange.to_stage,
        ).where(in_tenant(StageChange), StageChange.candidate.is_in(chunk)):
            people[row["candidate"]].changes.append(
                Change(row["changed_on"], row["id"], row["from_stage"], row["to_stage"])
            )
        for row in await HelperAssignment.select(
            HelperAssignment.candidate, HelperAssignment.assigned_on, HelperAssignment.ended_on
        ).where(in_tenant(HelperAssignment), HelperAssignment.candidate.is_in(chunk)):
            people[row["candidate"]].helpers.append((row["assigned_on"], row["ended_on"]))
        for row in await CourseEnrolment.select(
            CourseEnrolment.candidate,
            CourseEnrolment.certificate_date,
            CourseEnrolment.course.opens_on.as_alias("opens_on"),
            CourseEnrolment.course.closes_on.as_alias("closes_on"),
        ).where(in_tenant(CourseEnrolment), CourseEnrolment.candidate.is_in(chunk)):
            person = people[row["candidate"]]
            person.courses.append((row["opens_on"], row["closes_on"]))
            if row["certificate_date"] is not None:
                person.certificates.append(row["certificate_date"])
        for row in await ListEntry.select(
            ListEntry.id,
            ListEntry.candidate,
            ListEntry.unit,
            ListEntry.source,
            ListEntry.included,
            ListEntry.candidate_list.unit.as_alias("list_unit"),
            ListEntry.candidate_list.period_code.as_alias("period_code"),
            ListEntry.candidate_list.step.as_alias("step"),
            ListEntry.candidate_list.period_opens.as_alias("opens"),
            ListEntry.candidate_list.period_deadline.as_alias("deadline"),
        ).where(in_tenant(ListEntry), ListEntry.candidate.is_in(chunk)):
            person = people[row["candidate"]]
            if row["unit"] is not None:
                person.entry_units.append(row["unit"])
            if row["source"] != "aggregated":
                person.listed.append(
                    Listed(
                        row["id"],
                        row["period_code"],
                        row["step"],
                        row["unit"] or row["list_unit"],
                        bool(row["included"]),
                    )
                )
            # A list of a period over before the person's record was made (a history
            # entered afterwards) shows them in the source from that period on.
            if row["deadline"] < person.created:
                person.since = min(person.since, row["opens"])
        for row in await CandidateMove.select(
            CandidateMove.id,
            CandidateMove.candidate,
            CandidateMove.moved_on,
            CandidateMove.from_unit,
        ).where(in_tenant(CandidateMove), CandidateMove.candidate.is_in(chunk)):
            people[row["candidate"]].moves.append((row["moved_on"], row["id"], row["from_unit"]))
    for person in people.values():
        person.moves.sort()
        person.changes.sort(key=lambda c: (c.on, c.order))
        if person.changes:
            person.since = min(person.since, person.changes[0].on)


async def list_states(path: str, period_codes: Sequence[str]) -> list[ListState]:
    if not period_codes:
        return []
    rows = await CandidateList.select(
        CandidateList.id,
        CandidateList.unit,
        CandidateList.step,
        CandidateList.period_code,
        CandidateList.state,
    ).where(
        in_tenant(CandidateList),
        CandidateList.unit_path.like(f"{path}%"),
        CandidateList.period_code.is_in(list(period_codes)),
    )
    return [ListState(**row) for row in rows]


def predecessors_of(successions: list[dict[str, Any]]) -> dict[int, list[int]]:
    predecessors: dict[int, list[int]] = defaultdict(list)
    for row in successions:
        predecessors[row["successor"]].append(row["predecessor"])
    return dict(predecessors)


MOVED_OUT_SQL = (
    "SELECT DISTINCT c.unit AS unit FROM candidate_move AS m"
    " JOIN candidate AS c ON c.id = m.candidate WHERE m.tenant_id = {} AND m.from_unit"
)


def names_the_rest(subtree: Sequence[int], rest: Sequence[int]) -> bool:
    """Whether a subtree's moves are read naming the units outside it (fewer)."""
    return len(rest) < len(subtree)


def moved_out_statement(subtree: Sequence[int], rest: Sequence[int]) -> tuple[str, tuple[Any, ...]]:
    """Postgres: the statement :func:`moved_out_to` reads (column ``unit``), with its
    arguments, for a caller reading it with something else in one round trip."""
    if not names_the_rest(subtree, rest):
        return f"{MOVED_OUT_SQL} = ANY({{}})", (require_tenant(), list(subtree))
    return f"{MOVED_OUT_SQL} <> ALL({{}})", (require_tenant(), list(rest))


async def moved_out_to(subtree: Sequence[int], rest: Sequence[int]) -> set[int]:
    """The units now holding the people a recorded move took out of one of the units
    ``subtree`` (the tree's other units being ``rest``)."""
    # Written out: the query builder's join costs more than the query (every view). The
    # units are named, not matched by path: a prepared statement's generic plan cannot use
    # the path index for a LIKE parameter and walked the people (5 ms on the province).
    # The shorter list names them: a province's subtree is all but a few units.
    if is_postgres(current_engine()):
        sql, args = moved_out_statement(subtree, rest)
        return {row["unit"] for row in await plain.fetch(sql, *args)}
    found: set[int] = set()
    for chunk in _chunks(subtree):
        listed = ", ".join(["{}"] * len(chunk))
        rows = await CandidateMove.raw(f"{MOVED_OUT_SQL} IN ({listed})", require_tenant(), *chunk)
        found.update(row["unit"] for row in rows)
    return found


async def people_of_units(unit_ids: list[int]) -> dict[int, Person]:
    """The people whose unit is one of ``unit_ids``, with their dated history."""
    people = await _people(unit_ids, [])
    await _add_dated_records(people)
    return people


async def load_list_records(path: str, period_codes: Sequence[str]) -> Records:
    """Only the units and the subtree's lists of ``period_codes``: who has handed in what."""
    units, _ = await load_tree()
    return Records(
        units=units,
        predecessors={},
        people={},
        lists=await list_states(path, period_codes),
    )


async def load_records(path: str, period_codes: Sequence[str] = ()) -> Records:
    """The records of the subtree at ``path``: its people (wherever restructurings moved
    them), their dated history, and its lists of ``period_codes``."""
    units, successions = await load_tree()
    subtree = {unit_id for unit_id, unit in units.items() if unit["path"].startswith(path)}
    people = await _people(
        sorted(followers(subtree, successions)), await _moved_out(sorted(subtree))
    )
    await _add_dated_records(people)
    lists = await list_states(path, period_codes)
    return Records(
        units=units,
        predecessors=predecessors_of(successions),
        people=people,
        lists=lists,
    )
