"""The one place every figure of the portal is computed: dashboards, plans, home pages and
their lists of late units all read a :class:`Figures` built here, so a number means the
same on every page. What each figure counts is written in ``nguon.reports.definitions``.

A year's figures are as of one day (:func:`as_of_day`): the year's last day once it is
over, today while it runs, a closed unit's last day. They are computed from records
dated up to that day only — stage changes, certificates, helpers, courses, list entries of
the year's review periods — and from the tree of that day, so a past year's figures do not
move when today's data does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import weakref
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from nguon.db import plain
from nguon.kept import BoundedCache, SingleFlight, content_key
from nguon.org.validity import in_force_during, last_day
from nguon.reports.definitions import FLOWS, PIPELINE_STAGES, STEPS
from nguon.reports.records import (
    Listed,
    ListState,
    Person,
    Records,
    list_states,
    load_list_records,
    moved_out_statement,
)
from nguon.reports.structure import Tree, kept_tree, stamp_statement
from nguon.rules.package import RulesPackage
from nguon.rules.review_calendar import Period
from nguon.tenancy.context import require_tenant
from nguon.tenancy.package import tenant_package

if TYPE_CHECKING:
    from nguon.reports.rollups import Holders, InTree

DONE_STATES = frozenset({"submitted", "accepted"})
"""A list in these states has been handed in for its period."""
FIRST_OF: dict[str, str] = {
    "proposed": "admission_in_progress",
    "admitted": "admitted",
    "removed": "removed",
}


def _zeros() -> list[int]:
    return [0, 0, 0, 0]


class UnitFigures(msgspec.Struct, kw_only=True):
    """One unit's figures (its own people, or with its sub-units': see :class:`Figures`)."""

    by_stage: dict[str, int] = msgspec.field(
        default_factory=lambda: dict.fromkeys(PIPELINE_STAGES, 0)
    )
    with_helper: int = 0
    in_course: int = 0
    flows: dict[str, list[int]] = msgspec.field(
        default_factory=lambda: {key: _zeros() for key in FLOWS}
    )
    """Each figure of what happened, quarter by quarter."""
    on_list: dict[str, dict[str, int]] = msgspec.field(default_factory=dict)
    """People on the lists, by period code and step."""

    @property
    def in_source(self) -> int:
        return sum(self.by_stage.values())

    def year(self, flow: str) -> int:
        return sum(self.flows[flow])

    def listed(self, period_code: str, step: str) -> int:
        return self.on_list.get(period_code, {}).get(step, 0)

    def add(self, other: UnitFigures) -> None:
        # Summed for every unit of a province on each view: the zeros most units have
        # are skipped.
        by_stage = self.by_stage
        for stage, n in other.by_stage.items():
            if n:
                by_stage[stage] += n
        self.with_helper += other.with_helper
        self.in_course += other.in_course
        for flow, quarters in other.flows.items():
            if quarters[0] or quarters[1] or quarters[2] or quarters[3]:
                mine = self.flows[flow]
                mine[0] += quarters[0]
                mine[1] += quarters[1]
                mine[2] += quarters[2]
                mine[3] += quarters[3]
        for code, steps in other.on_list.items():
            mine_steps = self.on_list.setdefault(code, {})
            for step, n in steps.items():
                mine_steps[step] = mine_steps.get(step, 0) + n


NOTHING = UnitFigures()
"""A unit's figures when nothing counts there (never changed)."""


class LateUnit(msgspec.Struct, kw_only=True):
    unit_id: int
    name: str
    parent_name: str
    state: str

    @property
    def title(self) -> str:
        """The unit named with its parent: two villages' "Chi bộ thôn 1" stay apart."""
        return f"{self.name} — {self.parent_name}" if self.parent_name else self.name


class PeriodStatus(msgspec.Struct, kw_only=True):
    period: Period
    today: dt.date
    expected: int
    submitted: int
    missing: list[LateUnit]

    @property
    def late(self) -> bool:
        return self.today > self.period.deadline and bool(self.missing)


class Figures(msgspec.Struct, kw_only=True):
    year: int
    as_of: dt.date
    root_id: int
    units: list[dict[str, Any]]
    """The units shown: the subtree's units in force in the year up to the figures' day
    (a restructuring year shows both trees), ordered by path, the root first."""
    totals: dict[int, UnitFigures]
    """For every unit of the subtree with figures (and the root): its own figures plus its
    sub-units'. Read them with :meth:`total`."""
    own: dict[int, UnitFigures]
    """For every unit of the subtree with people counted there: its own figures only."""
    periods: list[Period]
    statuses: list[PeriodStatus]
    targets: list[int] | None
    """The root's admission targets by quarter (see the ``target`` definition)."""
    key: str = ""
    """What the figures are kept under in the process (empty: made for this view only)."""

    @property
    def root(self) -> UnitFigures:
        return self.totals[self.root_id]

    def total(self, unit_id: int) -> UnitFigures:
        return self.totals.get(unit_id) or UnitFigures()

    def children(self, unit_id: int | None = None) -> list[dict[str, Any]]:
        parent = self.root_id if unit_id is None else unit_id
        return [u for u in self.units if u["parent"] == parent]


def as_of_day(year: int, today: dt.date, unit: Any | None = None) -> dt.date:
    """The day a year's figures stand on."""
    day = min(today, dt.date(year, 12, 31))
    closed = last_day(unit) if unit is not None else None
    return min(day, closed) if closed is not None else day


def quarter_index(day: dt.date) -> int:
    return (day.month - 1) // 3


def _first_in_year(days: Iterable[dt.date], first: dt.date, last: dt.date) -> dt.date | None:
    return min((d for d in days if first <= d <= last), default=None)


def _person_figures(
    records: Records, person: Person, first: dt.date, as_of: dt.date, own: dict[int, UnitFigures]
) -> None:
    def at(unit_id: int) -> UnitFigures:
        figures = own.get(unit_id)
        if figures is None:
            figures = own[unit_id] = UnitFigures()
        return figures

    stage = person.stage_on(as_of)
    if stage in PIPELINE_STAGES:
        figures = at(records.unit_on(person, as_of))
        figures.by_stage[stage] += 1
        if any(start <= as_of and (end is None or end > as_of) for start, end in person.helpers):
            figures.with_helper += 1
        if any(opens <= as_of <= closes for opens, closes in person.courses):
            figures.in_course += 1
    happened: dict[str, dt.date | None] = {
        "added": person.since if first <= person.since <= as_of else None,
        "certificates": _first_in_year(person.certificates, first, as_of),
    }
    for flow, to_stage in FIRST_OF.items():
        happened[flow] = _first_in_year(
            (c.on for c in person.changes if c.to_stage == to_stage), first, as_of
        )
    for flow, day in happened.items():
        if day is not None:
            at(records.unit_on(person, day)).flows[flow][quarter_index(day)] += 1
    # On the lists: once per period and step, at the unit of their latest entry.
    latest: dict[tuple[str, str], Listed] = {}
    for listed in person.listed:
        key = (listed.period_code, listed.step)
        if key not in latest or latest[key].entry < listed.entry:
            latest[key] = listed
    for (code, step), listed in latest.items():
        if listed.included:
            add_listed(own, listed.unit, code, step, 1)


def add_listed(own: dict[int, UnitFigures], unit_id: int, code: str, step: str, n: int) -> None:
    figures = own.get(unit_id)
    if figures is None:
        figures = own[unit_id] = UnitFigures()
    steps = figures.on_list.setdefault(code, dict.fromkeys(STEPS, 0))
    steps[step] = steps.get(step, 0) + n


def _statuses(
    units_by_id: dict[int, dict[str, Any]],
    lists: Sequence[ListState],
    path: str,
    periods: Sequence[Period],
    holding: frozenset[str],
    today: dt.date,
) -> list[PeriodStatus]:
    units = sorted(
        (u for u in units_by_id.values() if u["path"].startswith(path)), key=lambda u: u["path"]
    )
    statuses = []
    for period in periods:
        state_of: dict[int, str] = {}
        for row in sorted(lists, key=lambda r: r.id):
            if row.period_code != period.code:
                continue
            if row.state in DONE_STATES or state_of.get(row.unit) not in DONE_STATES:
                state_of[row.unit] = row.state
        expected = [
            u
            for u in units
            if u["kind"] in holding and in_force_during(u, period.opens, period.deadline)
        ]
        missing = [
            LateUnit(
                unit_id=u["id"],
                name=u["name"],
                parent_name=units_by_id[u["parent"]]["name"] if u["parent"] else "",
                state=state_of.get(u["id"], "none"),
            )
            for u in expected
            if state_of.get(u["id"]) not in DONE_STATES
        ]
        statuses.append(
            PeriodStatus(
                period=period,
                today=today,
                expected=len(expected),
                submitted=len(expected) - len(missing),
                missing=missing,
            )
        )
    return statuses


_PLANS_SQL = (
    "SELECT unit, unit_path, target_q1, target_q2, target_q3, target_q4"
    " FROM admission_plan WHERE tenant_id = {} AND year = {} AND unit_path LIKE {}"
)


async def _targets(path: str, unit_id: int, year: int) -> list[int] | None:
    """The unit's own plan's quarter targets, else the sum of the highest plans below it."""
    # Written out: the query builder cost more than the query (every view).
    return _chosen(await plain.fetch(_PLANS_SQL, require_tenant(), year, f"{path}%"), unit_id)


async def _fresh(
    kept: InTree, units: dict[int, dict[str, Any]], path: str, unit_id: int, year: int
) -> tuple[Holders, tuple[int, int], list[int] | None]:
    """Postgres, in one round trip: the subtree's holders (the units people moved out of it
    are in now, :func:`rollups.subtree_holders`), the versions stamp of every holder
    (:func:`structure.stamp_statement`) and the targets (:func:`_targets`)."""
    from nguon.reports import rollups

    moved_sql, moved_args = (
        moved_out_statement(kept.subtree, kept.rest)
        if kept.partial
        else ("SELECT CAST(NULL AS integer) AS unit WHERE FALSE", ())
    )
    stamp_sql, stamp_args = stamp_statement(
        path, list(kept.outside), kept.units, "SELECT unit FROM moved"
    )
    sql = (
        f"WITH moved AS ({moved_sql}) SELECT s.n, s.total,"
        " (SELECT coalesce(array_agg(unit), ARRAY[]::integer[]) FROM moved) AS moved,"
        f" (SELECT coalesce(json_agg(p), '[]') FROM ({_PLANS_SQL}) AS p) AS plans"
        f" FROM ({stamp_sql}) AS s"
    )
    rows = await plain.fetch(sql, *moved_args, require_tenant(), year, f"{path}%", *stamp_args)
    row = rows[0]
    plans = msgspec.json.decode(row["plans"], type=list[dict[str, Any]])
    wanted = rollups.holders_with(kept, set(row["moved"]), units, path)
    return wanted, (int(row["n"]), int(row["total"])), _chosen(plans, unit_id)


def _chosen(plans: list[dict[str, Any]], unit_id: int) -> list[int] | None:
    if not plans:
        return None
    chosen = [p for p in plans if p["unit"] == unit_id] or [
        p
        for p in plans
        if not any(o is not p and p["unit_path"].startswith(o["unit_path"]) for o in plans)
    ]
    return [sum(p[f"target_q{q}"] for p in chosen) for q in range(1, 5)]


def people_figures(
    records: Records, people: Iterable[Person], first: dt.date, as_of: dt.date
) -> dict[int, UnitFigures]:
    """What ``people`` add to each unit's own figures of the year from ``first`` as of
    ``as_of`` (lists aside)."""
    own: dict[int, UnitFigures] = {}
    for person in people:
        _person_figures(records, person, first, as_of, own)
    return own


def assemble(
    units: dict[int, dict[str, Any]],
    root: dict[str, Any],
    year: int,
    today: dt.date,
    own: dict[int, UnitFigures],
    periods: Sequence[Period],
    holding: frozenset[str],
    lists: Sequence[ListState],
) -> Figures:
    """The figures of the subtree of ``root`` from every unit's ``own`` figures (on the
    lists of ``periods`` only)."""
    path = root["path"]
    codes = {p.code for p in periods}
    # ``own`` may be shared with other views (the roll-ups' sums): filtered into a new map,
    # a unit's figures copied before their lists are narrowed to the periods shown.
    own = {unit_id: f for unit_id, f in own.items() if units[unit_id]["path"].startswith(path)}
    for unit_id, figures in list(own.items()):
        if figures.on_list and not codes.issuperset(figures.on_list):
            on_list = {c: n for c, n in figures.on_list.items() if c in codes}
            narrowed = msgspec.structs.replace(figures, on_list=on_list)
            if not on_list and narrowed == NOTHING:
                del own[unit_id]  # only on lists of other periods
            else:
                own[unit_id] = narrowed
    as_of = as_of_day(year, today, root)
    first = dt.date(year, 1, 1)
    subtree = sorted(
        (u for u in units.values() if u["path"].startswith(path)), key=lambda u: u["path"]
    )
    in_subtree = {u["id"] for u in subtree}
    totals: dict[int, UnitFigures] = {}
    parts: dict[int, list[UnitFigures]] = defaultdict(list)
    # Deepest first: each unit's total is complete before it goes into its parent's. A
    # unit with one part (a cell's own people) shares it: figures are read, never changed.
    for unit in sorted(subtree, key=lambda u: -u["depth"]):
        unit_id = unit["id"]
        summed = parts.pop(unit_id, [])
        mine = own.get(unit_id)
        if mine is not None:
            summed.append(mine)
        if not summed:
            continue
        total = summed[0]
        if len(summed) > 1:
            total = UnitFigures()
            for part in summed:
                total.add(part)
        totals[unit_id] = total
        if unit_id != root["id"] and unit["parent"] in in_subtree:
            parts[unit["parent"]].append(total)
    totals.setdefault(root["id"], UnitFigures())
    shown = [
        u
        for u in subtree
        if u["id"] == root["id"] or in_force_during(u, first, as_of) or u["id"] in own
    ]
    return Figures(
        year=year,
        as_of=as_of,
        root_id=root["id"],
        units=shown,
        totals=totals,
        own=own,
        periods=list(periods),
        statuses=_statuses(units, lists, path, periods, holding, today),
        targets=None,
    )


def compute(
    records: Records,
    root: dict[str, Any],
    year: int,
    today: dt.date,
    periods: Sequence[Period],
    holding: frozenset[str],
) -> Figures:
    """The figures of the subtree of ``root`` for ``year`` counted from loaded
    ``records`` (what the roll-ups must always equal)."""
    as_of = as_of_day(year, today, root)
    own = people_figures(records, records.people.values(), dt.date(year, 1, 1), as_of)
    return assemble(records.units, root, year, today, own, periods, holding, records.lists)


async def subtree_figures(
    unit_id: int,
    path: str,
    year: int,
    today: dt.date,
    periods: Sequence[Period] = (),
    package: RulesPackage | None = None,
    tree: Tree | None = None,
) -> Figures:
    """Every figure of the subtree of the unit ``unit_id`` at ``path`` for ``year`` as of
    its day, and the review ``periods``' lists and submissions: people's figures from the
    roll-ups (counted again only for units whose people changed). ``package`` is the
    tenant's rules package and ``tree`` its kept tree, if the caller has them at hand."""
    async with _at_once():
        return await _subtree_figures(unit_id, path, year, today, periods, package, tree)


FIGURES_AT_ONCE = 4
"""Subtrees' figures made together in one process; the others wait their turn. A
province's figures hold every unit and list of the year in memory while they are made, so
32 views at once would hold 32 copies for no gain (the work is the same processor's)."""
_LIMITS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _at_once() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    limit = _LIMITS.get(loop)
    if limit is None:
        limit = _LIMITS[loop] = asyncio.Semaphore(FIGURES_AT_ONCE)
    return limit


FIGURES_KEPT = 64
"""Subtrees' figures kept per process (a province's and its communes' of the year)."""
_FIGURES: BoundedCache[Figures] = BoundedCache(FIGURES_KEPT)
_FLIGHTS = SingleFlight()


async def _subtree_figures(
    unit_id: int,
    path: str,
    year: int,
    today: dt.date,
    periods: Sequence[Period],
    package: RulesPackage | None,
    tree: Tree | None = None,
) -> Figures:
    """On Postgres the figures are kept per process under the versions of the units whose
    people and lists count in the subtree (read *before* the figures are made: a write
    committed meanwhile leaves newer figures under the older versions, never the
    reverse), so a view of unchanged figures reads two numbers instead of every unit's."""
    from nguon.reports import rollups

    tree = tree or await kept_tree()
    holding = (package or await tenant_package()).people_holding_kinds
    if tree.key is None:
        figures = await _made(tree, unit_id, path, year, today, periods, holding)
        targets = await _targets(path, unit_id, year)
    else:
        kept_part = rollups.holders_in_tree(tree.units, tree.successions, path, tree.key)
        # Plans are not part of the versions: their targets are read for every view.
        wanted, stamp, targets = await _fresh(kept_part, tree.units, path, unit_id, year)
        key = content_key(
            tree.key, unit_id, year, today, list(periods), sorted(holding), wanted.moved_to, stamp
        )
        async with _FLIGHTS.after_others(key):
            kept = _FIGURES.get(key)
            if kept is None:
                kept = await _made(tree, unit_id, path, year, today, periods, holding)
                kept.key = key.hex()
                _FIGURES.put(key, kept)
        figures = kept
    return msgspec.structs.replace(figures, targets=targets)


async def _made(
    tree: Tree,
    unit_id: int,
    path: str,
    year: int,
    today: dt.date,
    periods: Sequence[Period],
    holding: frozenset[str],
) -> Figures:
    from nguon.reports import rollups

    root = tree.units[unit_id]
    as_of = as_of_day(year, today, root)
    own = await rollups.own_figures(tree.units, path, year, as_of, successions=tree.successions)
    lists = await list_states(path, [p.code for p in periods])
    return assemble(tree.units, root, year, today, own, periods, holding, lists)


async def submission_status(path: str, period: Period, today: dt.date) -> PeriodStatus:
    """Which units of the subtree at ``path`` owe ``period``'s list and which have handed
    it in (the same figures the dashboard shows)."""
    records = await load_list_records(path, [period.code])
    holding = (await tenant_package()).people_holding_kinds
    return _statuses(records.units, records.lists, path, [period], holding, today)[0]


def grouped(figures: Figures, key_of: Any) -> dict[str, UnitFigures]:
    """The subtree's own figures added up by ``key_of(unit)`` (a bloc, say)."""
    groups: dict[str, UnitFigures] = defaultdict(UnitFigures)
    units = {u["id"]: u for u in figures.units}
    for unit_id, unit_figures in figures.own.items():
        unit = units.get(unit_id)
        if unit is None:
            continue
        groups[key_of(unit)].add(unit_figures)
    return dict(groups)
