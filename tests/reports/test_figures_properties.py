"""Property: every figure holds together, for random histories over three years.

Hypothesis draws a small tree (a district, its communes, village cells of the same name in
different communes, sometimes a restructuring that merges two cells), people entered on
dated days who move through the stages (changes, certificates, courses, helpers,
proposals, admissions, removals), the review periods' lists with their entries, and
plans. The rows go into the real tables (SQLite); the figures come from the real
services. For every history:

- each unit's figures are what the history says (an oracle computed here from the drawn
  history, not from the database), and every unit's figures are its own plus the sum of
  its sub-units';
- the dashboard, the plan page's service and the lists agree, for every year and period;
- the figures of a past year (and of the current year's past quarters) do not change when
  today's data changes: new people today, stage changes today, helpers and list entries
  added today.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nguon.accounts.permissions import Access, Grant
from nguon.org.tables import OrgUnit, UnitSuccession
from nguon.people.moves import CandidateMove
from nguon.people.tables import Candidate, Member
from nguon.pipeline.lists import search_lists
from nguon.pipeline.plans import plan_progress
from nguon.pipeline.tables import (
    AdmissionPlan,
    CandidateList,
    Course,
    CourseEnrolment,
    HelperAssignment,
    ListEntry,
    StageChange,
)
from nguon.reports.dashboard import dashboard
from nguon.reports.definitions import FLOWS, PIPELINE_STAGES, STEPS
from nguon.reports.figures import Figures, UnitFigures
from nguon.rules.registry import load_package
from nguon.rules.review_calendar import Period
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import switch_tenant_in_transaction
from nguon.tenancy.tables import Tenant
from tests.conftest import Database

YEARS = (2023, 2024, 2025)
START = dt.date(2020, 1, 1)
STAGE_ORDER = (*PIPELINE_STAGES, "admitted")
FIRST_OF = {"proposed": "admission_in_progress", "admitted": "admitted", "removed": "removed"}
CALENDAR = load_package("hungyen").calendar
assert CALENDAR is not None
PERIODS: list[Period] = [p for year in YEARS for p in CALENDAR.periods(year)]
_ids = itertools.count(1)


# --- the drawn history ------------------------------------------------------------------


@dataclass
class PersonPlan:
    cell: int
    """Index of the person's cell among the tree's original cells (or the merged cell)."""
    since: dt.date
    changes: list[tuple[dt.date, str, str]]
    helper: tuple[dt.date, dt.date | None] | None
    course: tuple[dt.date, dt.date] | None
    certificate: dt.date | None


@dataclass
class History:
    cells_per_commune: list[int]
    merge_on: dt.date | None
    """Cells 0 and 1 of the first commune merge into a new cell on this day."""
    people: list[PersonPlan]
    lists: list[tuple[int, str, int, str, list[tuple[int, bool]]]]
    """(cell index, step, period index, state, [(person index, included)])."""
    targets: dict[int, list[int]]
    today: dt.date
    todays: list[tuple[str, int]] = field(default_factory=list)
    """Changes made today: ("person", cell), ("advance", person), ("helper", person),
    ("entry", person)."""


def _days(draw: st.DrawFn, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=draw(st.integers(0, max(0, (last - first).days))))


@st.composite
def histories(draw: st.DrawFn) -> History:
    today = _days(draw, dt.date(2025, 2, 1), dt.date(2025, 12, 20))
    cells_per_commune = draw(st.lists(st.integers(1, 3), min_size=1, max_size=2))
    merge_on = (
        draw(st.sampled_from([dt.date(2024, 7, 1), dt.date(2025, 1, 1)]))
        if cells_per_commune[0] >= 2 and draw(st.booleans())
        else None
    )
    cell_count = sum(cells_per_commune)
    people: list[PersonPlan] = []
    for _ in range(draw(st.integers(0, 7))):
        merged = merge_on is not None and draw(st.booleans())
        if merged:
            assert merge_on is not None
            cell = cell_count  # the merged cell
            since = _days(draw, merge_on, today)
        else:
            cell = draw(st.integers(0, cell_count - 1))
            last = today
            if merge_on is not None and cell in (0, 1):
                last = merge_on - dt.timedelta(days=1)
            since = _days(draw, dt.date(2023, 1, 1), last)
        changes: list[tuple[dt.date, str, str]] = []
        stage, day = "surveyed", since
        helper = course = certificate = None
        for _ in range(draw(st.integers(0, 5))):
            day = day + dt.timedelta(days=draw(st.integers(1, 200)))
            if day > today + dt.timedelta(days=30):
                break
            if draw(st.integers(0, 5)) == 0:
                to = "removed"
            else:
                to = STAGE_ORDER[STAGE_ORDER.index(stage) + 1]
            changes.append((day, stage, to))
            if to == "certified":
                certificate = day
                course = (day - dt.timedelta(days=20), day - dt.timedelta(days=5))
            if to == "admission_source" and draw(st.booleans()):
                ends = draw(st.one_of(st.none(), st.integers(1, 300)))
                helper = (day, None if ends is None else day + dt.timedelta(days=ends))
            stage = to
            if to in ("removed", "admitted"):
                break
        people.append(PersonPlan(cell, since, changes, helper, course, certificate))
    lists = []
    for _ in range(draw(st.integers(0, 4))):
        period_index = draw(st.integers(0, len(PERIODS) - 1))
        period = PERIODS[period_index]
        if period.opens > today:
            continue
        cell = draw(st.integers(0, cell_count - (0 if merge_on is not None else 1)))
        if merge_on is not None and (
            (cell in (0, 1) and period.opens >= merge_on)
            or (cell == cell_count and period.deadline < merge_on)
        ):
            continue
        state = draw(st.sampled_from(["draft", "adopted", "submitted", "accepted", "returned"]))
        step = draw(st.sampled_from(STEPS))
        chosen = draw(st.lists(st.integers(0, 6), unique=True, max_size=4))
        entries = [(i, draw(st.booleans())) for i in chosen if i < len(people)]
        lists.append((cell, step, period_index, state, entries))
    targets = {
        year: draw(st.lists(st.integers(0, 3), min_size=4, max_size=4))
        for year in YEARS
        if draw(st.booleans())
    }
    todays = draw(
        st.lists(
            st.tuples(st.sampled_from(["person", "advance", "helper", "entry"]), st.integers(0, 6)),
            min_size=1,
            max_size=4,
        )
    )
    return History(cells_per_commune, merge_on, people, lists, targets, today, todays)


# --- writing it into the tables ---------------------------------------------------------


@dataclass
class Written:
    root: int
    root_path: str
    cells: list[int]
    """The original cells, then the merged cell if any."""
    parents: dict[int, int]
    people: list[int]
    lists: dict[tuple[int, str, str], int]
    member: int


async def _unit(
    tenant_id: int, name: str, kind: str, parent: OrgUnit | None, since: dt.date = START
) -> OrgUnit:
    unit = OrgUnit(
        tenant_id=tenant_id,
        code=f"U{next(_ids)}",
        name=name,
        kind=kind,
        parent=parent.id if parent else None,
        path="",
        depth=(parent.depth + 1) if parent else 0,
        valid_from=since,
    )
    await unit.save().run()
    unit.path = f"{parent.path if parent else ''}{unit.id}."
    await unit.save([OrgUnit.path]).run()
    return unit


def _cell_on(history: History, person: PersonPlan, day: dt.date) -> int:
    """The person's cell index on ``day``: a merged cell's people were in it from the merger."""
    if history.merge_on is not None and person.cell in (0, 1) and day >= history.merge_on:
        return sum(history.cells_per_commune)
    return person.cell


async def _write(tenant_id: int, province: OrgUnit, history: History) -> Written:
    district = await _unit(tenant_id, f"Huyện ủy {next(_ids)}", "district_committee", province)
    cells: list[int] = []
    parents: dict[int, int] = {}
    communes: list[OrgUnit] = []
    for index, count in enumerate(history.cells_per_commune):
        commune = await _unit(
            tenant_id, f"Đảng ủy xã số {index + 1}", "grassroots_committee", district
        )
        communes.append(commune)
        for number in range(count):
            cell = await _unit(tenant_id, f"Chi bộ thôn {number + 1}", "subordinate_cell", commune)
            cells.append(cell.id)
            parents[cell.id] = commune.id
    if history.merge_on is not None:
        merged = await _unit(
            tenant_id, "Chi bộ thôn 1-2", "subordinate_cell", communes[0], history.merge_on
        )
        for old in cells[:2]:
            await OrgUnit.update({OrgUnit.valid_to: history.merge_on}).where(OrgUnit.id == old)
            await UnitSuccession(
                tenant_id=tenant_id,
                predecessor=old,
                successor=merged.id,
                effective_on=history.merge_on,
                change="merged",
            ).save()
        cells.append(merged.id)
        parents[merged.id] = communes[0].id
    paths = {
        row["id"]: row["path"]
        for row in await OrgUnit.select(OrgUnit.id, OrgUnit.path).where(OrgUnit.id.is_in(cells))
    }
    member = Member(
        tenant_id=tenant_id,
        unit=cells[-1],
        unit_path=paths[cells[-1]],
        full_name="Đảng viên giúp đỡ",
        name_search="dang vien giup do",
        date_of_birth=dt.date(1980, 1, 1),
        sex="male",
        admitted_on=dt.date(2005, 1, 1),
    )
    await member.save()
    course = Course(
        tenant_id=tenant_id,
        organiser_unit=district.id,
        organiser_path=district.path,
        title="Lớp bồi dưỡng",
        opens_on=dt.date(2023, 1, 1),
        closes_on=dt.date(2023, 1, 2),
    )
    await course.save()
    people: list[int] = []
    for person in history.people:
        now_cell = cells[_cell_on(history, person, history.today)]
        stage = person.changes[-1][2] if person.changes else "surveyed"
        people.append(
            await _candidate(
                tenant_id, now_cell, paths[now_cell], person.since, stage, person.certificate
            )
        )
        if now_cell != cells[person.cell]:
            assert history.merge_on is not None
            # What the restructuring records before it moves the people of a closed cell.
            await CandidateMove(
                tenant_id=tenant_id,
                candidate=people[-1],
                from_unit=cells[person.cell],
                to_unit=now_cell,
                moved_on=history.merge_on,
                cause="restructuring",
            ).save()
        for day, before, after in person.changes:
            await StageChange(
                tenant_id=tenant_id,
                candidate=people[-1],
                from_stage=before,
                to_stage=after,
                changed_on=day,
                actor="test",
            ).save()
        if person.helper is not None:
            await HelperAssignment(
                tenant_id=tenant_id,
                candidate=people[-1],
                member=member.id,
                assigned_on=person.helper[0],
                ended_on=person.helper[1],
            ).save()
        if person.course is not None:
            dated = Course(
                tenant_id=tenant_id,
                organiser_unit=district.id,
                organiser_path=district.path,
                title="Lớp bồi dưỡng",
                opens_on=person.course[0],
                closes_on=person.course[1],
            )
            await dated.save()
            await CourseEnrolment(
                tenant_id=tenant_id,
                course=dated.id,
                candidate=people[-1],
                completed=True,
                certificate_date=person.certificate,
            ).save()
    lists: dict[tuple[int, str, str], int] = {}
    on_list: set[tuple[int, int]] = set()
    for cell_index, step, period_index, state, entries in history.lists:
        period = PERIODS[period_index]
        cell = cells[cell_index]
        key = (cell, step, period.code)
        if key not in lists:
            made = CandidateList(
                tenant_id=tenant_id,
                unit=cell,
                unit_path=paths[cell],
                step=step,
                period_code=period.code,
                period_opens=period.opens,
                period_deadline=period.deadline,
                state=state,
                package="hungyen",
                package_version="test",
            )
            await made.save()
            lists[key] = made.id
        for person_index, included in entries:
            person = history.people[person_index]
            # A list names the unit's own people of its time.
            if person.since > period.deadline or (
                _cell_on(history, person, max(period.opens, person.since)) != cell_index
            ):
                continue
            if (lists[key], person_index) in on_list:
                continue
            on_list.add((lists[key], person_index))
            await ListEntry(
                tenant_id=tenant_id,
                candidate_list=lists[key],
                candidate=people[person_index],
                source="manual",
                unit=cell,
                outcome="eligible",
                included=included,
            ).save()
    for year, quarters in history.targets.items():
        await AdmissionPlan(
            tenant_id=tenant_id,
            unit=district.id,
            unit_path=district.path,
            year=year,
            target_year=sum(quarters),
            target_q1=quarters[0],
            target_q2=quarters[1],
            target_q3=quarters[2],
            target_q4=quarters[3],
        ).save()
    return Written(district.id, district.path, cells, parents, people, lists, member.id)


async def _candidate(
    tenant_id: int,
    unit: int,
    path: str,
    since: dt.date,
    stage: str,
    certificate: dt.date | None,
) -> int:
    row = Candidate(
        tenant_id=tenant_id,
        unit=unit,
        unit_path=path,
        full_name="Nguyễn Văn A",
        name_search="nguyen van a",
        date_of_birth=dt.date(2000, 1, 1),
        sex="male",
        education="upper_secondary",
        stage=stage,
        certificate_date=certificate,
        created_at=dt.datetime.combine(since, dt.time(8), tzinfo=dt.UTC),
    )
    await row.save()
    return row.id


async def _change_today(
    tenant_id: int, history: History, written: Written, paths: dict[int, str]
) -> None:
    """Today's work: none of it may move a past figure."""
    today = history.today
    current = CALENDAR.period_for(today) if CALENDAR else None
    for kind, index in history.todays:
        if kind == "person":
            cell = written.cells[index % len(written.cells)]
            if cell in written.cells[:2] and history.merge_on is not None:
                cell = written.cells[-1]
            written.people.append(
                await _candidate(tenant_id, cell, paths[cell], today, "surveyed", None)
            )
            continue
        if not written.people:
            continue
        candidate = written.people[index % len(written.people)]
        if kind == "advance":
            row = await Candidate.select().where(Candidate.id == candidate).first()
            assert row is not None
            stage = row["stage"]
            if stage in ("admitted", "removed"):
                continue
            to = STAGE_ORDER[STAGE_ORDER.index(stage) + 1]
            await Candidate.update({Candidate.stage: to}).where(Candidate.id == candidate)
            await StageChange(
                tenant_id=tenant_id,
                candidate=candidate,
                from_stage=stage,
                to_stage=to,
                changed_on=today,
                actor="test",
            ).save()
        elif kind == "helper":
            await HelperAssignment(
                tenant_id=tenant_id, candidate=candidate, member=written.member, assigned_on=today
            ).save()
        elif kind == "entry" and current is not None:
            row = await Candidate.select().where(Candidate.id == candidate).first()
            assert row is not None
            key = (row["unit"], "survey", current.code)
            if key not in written.lists:
                made = CandidateList(
                    tenant_id=tenant_id,
                    unit=row["unit"],
                    unit_path=row["unit_path"],
                    step="survey",
                    period_code=current.code,
                    period_opens=current.opens,
                    period_deadline=current.deadline,
                    state="draft",
                    package="hungyen",
                    package_version="test",
                )
                await made.save()
                written.lists[key] = made.id
            present = await ListEntry.exists().where(
                ListEntry.candidate_list == written.lists[key], ListEntry.candidate == candidate
            )
            if present:
                continue
            await ListEntry(
                tenant_id=tenant_id,
                candidate_list=written.lists[key],
                candidate=candidate,
                source="manual",
                unit=row["unit"],
                outcome="eligible",
                included=True,
            ).save()


# --- the oracle -------------------------------------------------------------------------


def _stage_on(person: PersonPlan, day: dt.date) -> str | None:
    if day < person.since:
        return None
    stage = "surveyed"
    for changed_on, _, to in person.changes:
        if changed_on <= day:
            stage = to
    return stage


def _expected(history: History, written: Written, year: int) -> dict[int, UnitFigures]:
    """Each cell's own figures for ``year``, from the drawn history alone."""
    as_of = min(history.today, dt.date(year, 12, 31))
    first = dt.date(year, 1, 1)
    expected: dict[int, UnitFigures] = defaultdict(UnitFigures)
    for person in history.people:
        stage = _stage_on(person, as_of)
        if stage in PIPELINE_STAGES:
            unit = expected[written.cells[_cell_on(history, person, as_of)]]
            unit.by_stage[stage] += 1
            if (
                person.helper
                and person.helper[0] <= as_of
                and (person.helper[1] is None or person.helper[1] > as_of)
            ):
                unit.with_helper += 1
            if person.course and person.course[0] <= as_of <= person.course[1]:
                unit.in_course += 1
        happened: dict[str, dt.date | None] = {
            "added": person.since,
            "certificates": person.certificate,
        }
        for flow, to in FIRST_OF.items():
            happened[flow] = min((d for d, _, t in person.changes if t == to), default=None)
        for flow, day in happened.items():
            if day is not None and first <= day <= as_of:
                cell = written.cells[_cell_on(history, person, day)]
                expected[cell].flows[flow][(day.month - 1) // 3] += 1
    return expected


def _people_figures(figures: UnitFigures) -> tuple[object, ...]:
    return (figures.by_stage, figures.with_helper, figures.in_course, figures.flows)


def _past(figures: Figures, quarters: int = 4) -> tuple[object, ...]:
    """What a past year's figures say, unit by unit (its submissions are today's to-do,
    not history); a unit where nothing of the past counts says nothing."""
    said = []
    for unit_id in sorted({u["id"] for u in figures.units} | set(figures.totals)):
        f = figures.total(unit_id)
        past = (
            f.by_stage if quarters == 4 else None,
            f.with_helper if quarters == 4 else None,
            f.in_course if quarters == 4 else None,
            {flow: f.flows[flow][:quarters] for flow in FLOWS},
            {
                code: steps
                for code, steps in f.on_list.items()
                if next(p for p in PERIODS if p.code == code).deadline < figures.as_of
            },
        )
        nothing = (
            (quarters < 4 or (not any(f.by_stage.values()) and not f.with_helper))
            and (quarters < 4 or not f.in_course)
            and not any(any(q) for q in past[3].values())
            and not any(any(steps.values()) for steps in past[4].values())
        )
        if not nothing:
            said.append((unit_id, *past))
    return tuple(said)


# --- the test ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def tenant(sqlite_database: Database) -> tuple[int, OrgUnit]:
    with sqlite_database.as_owner():
        async with sqlite_database.owner.transaction():
            row = Tenant(slug=f"figures-{next(_ids)}", name="Tỉnh thử", rules_package="hungyen")
            await row.save()
            await switch_tenant_in_transaction(row.id)
            province = await _unit(row.id, "Tỉnh ủy", "province_committee", None)
    return row.id, province


def _access(tenant_id: int, written: Written) -> Access:
    return Access(
        user_id=0,
        tenant_id=tenant_id,
        username="kiem-thu",
        full_name="Kiểm thử",
        grants=(Grant(unit_id=written.root, path=written.root_path, role="approver"),),
    )


async def _dashboard_agrees(
    history: History, written: Written, access: Access, year: int
) -> Figures:
    """The dashboard, the plan page's service and the lists say the same; the dashboard's
    figures."""
    periods = [p for p in PERIODS if p.opens.year == year]
    view = await dashboard(written.root, written.root_path, year, history.today, PERIODS, {})
    plan = await plan_progress(access, written.root, year, history.today)
    assert plan.as_of == view.figures.as_of
    admitted = view.total.flows["admitted"]
    assert [plan.unit.admitted.q1, plan.unit.admitted.q2, plan.unit.admitted.q3] == admitted[:3]
    assert (
        plan.unit.admitted.year == sum(admitted) == sum(r.flows["admitted"] for r in view.quarters)
    )
    assert plan.unit.in_progress == view.total.by_stage["admission_in_progress"]
    assert plan.unit.proposed.year == view.total.year("proposed")
    rows = {r.unit_id: r for r in view.children}
    assert [s.unit_id for s in plan.sub_units] == [r.unit_id for r in view.children]
    for sub in plan.sub_units:
        assert sub.admitted.year == rows[sub.unit_id].figures.year("admitted")
        assert sub.in_progress == rows[sub.unit_id].figures.by_stage["admission_in_progress"]
    # Bars are the table's "in source" column; the steps add up to the same total.
    assert sum(r.figures.in_source for r in view.children) == view.total.in_source
    assert sum(view.total.by_stage.values()) == view.total.in_source
    if view.figures.targets is not None:
        assert [r.target for r in view.quarters] == history.targets[year]
    # Each cell's list shows as many people as the figure counts there.
    for period in periods:
        page = await search_lists(access, period=period.code)
        listed: Counter[tuple[int, str]] = Counter()
        for item in page.items:
            listed[(item.unit_id, item.step)] += item.included_count
        for cell in written.cells:
            for step in STEPS:
                assert view.figures.total(cell).listed(period.code, step) == listed[(cell, step)]
    return view.figures


@settings(
    max_examples=int(os.environ.get("NGUON_FIGURES_EXAMPLES", "200")),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories())
async def test_figures_add_up_agree_and_stay(
    sqlite_database: Database, tenant: tuple[int, OrgUnit], history: History
) -> None:
    tenant_id, province = tenant
    # One transaction for the whole example: SQLite then keeps one connection.
    with sqlite_database.as_owner(), tenant_context(tenant_id):
        async with sqlite_database.owner.transaction():
            await switch_tenant_in_transaction(tenant_id)
            await _run(history, tenant_id, province)


async def _run(history: History, tenant_id: int, province: OrgUnit) -> None:
    written = await _write(tenant_id, province, history)
    access = _access(tenant_id, written)
    before: dict[int, tuple[object, ...]] = {}
    for year in YEARS:
        figures = await _dashboard_agrees(history, written, access, year)
        # What the history says, unit by unit; and every unit is its own plus its
        # sub-units'.
        expected = _expected(history, written, year)
        for cell in written.cells:
            assert _people_figures(figures.own.get(cell) or UnitFigures()) == (
                _people_figures(expected[cell])
            ), (year, cell)
        for unit in figures.units:
            summed = UnitFigures()
            summed.add(figures.own.get(unit["id"]) or UnitFigures())
            for child in figures.children(unit["id"]):
                summed.add(figures.total(child["id"]))
            assert summed == figures.total(unit["id"]), (year, unit["name"])
        past_quarters = 4 if year < history.today.year else (history.today.month - 1) // 3
        before[year] = _past(figures, past_quarters)

    paths = {
        row["id"]: row["path"]
        for row in await OrgUnit.select(OrgUnit.id, OrgUnit.path).where(
            OrgUnit.id.is_in(written.cells)
        )
    }
    await _change_today(tenant_id, history, written, paths)
    for year in YEARS:
        figures = await _dashboard_agrees(history, written, access, year)
        past_quarters = 4 if year < history.today.year else (history.today.month - 1) // 3
        assert _past(figures, past_quarters) == before[year], year
