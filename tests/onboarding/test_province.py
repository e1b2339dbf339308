"""The full-size province generator (``bench.province``) at a small scale on Postgres: its
counts, the skew between communes, and the dashboard's figures of a commune equal to a
direct count of the generated rows."""

from __future__ import annotations

import datetime as dt
import os
import random

import asyncpg
import pytest

from bench.province import ProvinceReport, grow
from nguon.clock import today_in_vietnam
from nguon.db.binding import using_engine
from nguon.db.engine import postgres_config
from nguon.db.transaction import atomic
from nguon.demo.prepare import prepare_demo
from nguon.org.tables import OrgUnit
from nguon.people.moves import CandidateMove
from nguon.people.tables import Candidate, Member
from nguon.pipeline.tables import (
    Course,
    CourseEnrolment,
    HelperAssignment,
    ListEntry,
    StageChange,
)
from nguon.portal.progress import current_and_previous
from nguon.reports.definitions import PIPELINE_STAGES
from nguon.reports.figures import Figures, UnitFigures, as_of_day, compute, subtree_figures
from nguon.reports.records import load_records
from nguon.reports.rollups import Counted, count_ahead, own_figures, remove_old
from nguon.reports.structure import load_units
from nguon.reports.tables import FigureRollup
from nguon.tenancy.context import require_tenant, tenant_context
from nguon.tenancy.package import tenant_package, tenant_package_id
from nguon.tenancy.scoped import in_tenant
from tests.conftest import TEST_DATABASE, TEST_ROLES, Database, role_url

pytestmark = pytest.mark.usefixtures("postgres_db")
SCALE = 0.02
STAGE_ORDER = (*PIPELINE_STAGES, "admitted")


@pytest.fixture(scope="module")
async def province(postgres_database: Database) -> ProvinceReport:
    owner_url = role_url(TEST_ROLES.owner, TEST_DATABASE)
    previous = os.environ.get("NGUON_APP_ROLE")
    os.environ["NGUON_APP_ROLE"] = TEST_ROLES.app  # the demo's migration grants to it
    try:
        await prepare_demo(
            role_url(TEST_ROLES.app, TEST_DATABASE), migrate_url=owner_url, candidates=40
        )
    finally:
        if previous is None:
            del os.environ["NGUON_APP_ROLE"]
        else:
            os.environ["NGUON_APP_ROLE"] = previous
    return await grow(owner_url, "hungyen", SCALE, seed=7)


async def _admin(sql: str, *args: object) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(**postgres_config(role_url(TEST_ROLES.owner, TEST_DATABASE)))
    try:
        async with connection.transaction():
            tenant = await connection.fetchval("SELECT id FROM tenant WHERE slug = 'hungyen'")
            await connection.execute("SELECT set_config('nguon.tenant_id', $1, true)", str(tenant))
            return await connection.fetch(sql, *args)
    finally:
        await connection.close()


async def test_counts_and_skew(province: ProvinceReport) -> None:
    assert province.communes == 104
    assert province.people == 2_000
    assert province.members == 3_600
    assert province.cells >= 70  # the demo's cells and the new ones
    assert province.lists > 0 and province.entries > 0 and province.enrolments > 0
    sizes = await _admin(
        "SELECT p.code, count(c.id) AS cells, "
        "(SELECT count(*) FROM candidate k WHERE k.unit_path LIKE p.path || '%') AS people "
        "FROM org_unit p JOIN org_unit c ON c.parent = p.id "
        "WHERE p.kind = 'commune_committee' AND p.valid_to IS NULL "
        "GROUP BY p.code, p.path"
    )
    people = sorted(row["people"] for row in sizes)
    assert len(sizes) == 104
    assert people[-1] >= 10 * max(1, people[0])  # some communes ten times others
    (row,) = await _admin(
        "SELECT (SELECT count(*) FROM candidate) AS people, "
        "(SELECT count(*) FROM party_member) AS m"
    )
    assert row["people"] >= 2_000 and row["m"] >= 3_600
    rows = await _admin("SELECT count(*) AS n FROM candidate WHERE tenant_id IS NULL")
    assert rows[0]["n"] == 0


async def test_a_communes_dashboard_figures_equal_a_direct_count(
    province: ProvinceReport, postgres_database: Database
) -> None:
    (commune,) = await _admin(
        "SELECT p.id, p.path FROM org_unit p WHERE p.kind = 'commune_committee' "
        "AND p.valid_to IS NULL ORDER BY "
        "(SELECT count(*) FROM candidate k WHERE k.unit_path LIKE p.path || '%') DESC LIMIT 1"
    )
    today = today_in_vietnam()
    with using_engine(postgres_database.app), tenant_context(province.tenant_id):
        package_id = await tenant_package_id()
        current, previous = current_and_previous(package_id, today)
        periods = [p for p in (current, previous) if p is not None]
        figures = await subtree_figures(commune["id"], commune["path"], today.year, today, periods)
    root = figures.root
    stages = await _admin(
        "SELECT stage, count(*) AS n FROM candidate WHERE unit_path LIKE $1 GROUP BY stage",
        commune["path"] + "%",
    )
    expected = {row["stage"]: row["n"] for row in stages}
    assert root.by_stage == {stage: expected.get(stage, 0) for stage in root.by_stage}
    (helped,) = await _admin(
        "SELECT count(DISTINCT h.candidate) AS n FROM helper_assignment h "
        "JOIN candidate c ON c.id = h.candidate WHERE c.unit_path LIKE $1 "
        "AND c.stage = ANY($2::text[]) AND h.assigned_on <= $3 "
        "AND (h.ended_on IS NULL OR h.ended_on > $3)",
        commune["path"] + "%",
        list(root.by_stage),
        today,
    )
    assert root.with_helper == helped["n"] > 0
    (admitted,) = await _admin(
        "SELECT count(DISTINCT s.candidate) AS n FROM stage_change s "
        "JOIN candidate c ON c.id = s.candidate WHERE c.unit_path LIKE $1 "
        "AND s.to_stage = 'admitted' AND s.changed_on BETWEEN $2 AND $3",
        commune["path"] + "%",
        dt.date(today.year, 1, 1),
        today,
    )
    assert root.year("admitted") == admitted["n"]
    if previous is not None:
        (listed,) = await _admin(
            "SELECT count(*) AS n FROM (SELECT DISTINCT ON (e.candidate) e.included "
            "FROM list_entry e JOIN candidate_list l ON l.id = e.candidate_list "
            "WHERE l.period_code = $1 AND l.step = 'survey' AND e.source <> 'aggregated' "
            "AND l.unit_path LIKE $2 ORDER BY e.candidate, e.id DESC) AS x WHERE x.included",
            previous.code,
            commune["path"] + "%",
        )
        assert root.listed(previous.code, "survey") == listed["n"]


# --- roll-ups: always equal to a recount -------------------------------------------------


async def _recount(unit_id: int, path: str, year: int, today: dt.date, periods: list) -> Figures:
    records = await load_records(path, [p.code for p in periods])
    holding = (await tenant_package()).people_holding_kinds
    return compute(records, records.units[unit_id], year, today, periods, holding)


def _said(figures: Figures) -> tuple[object, ...]:
    return (
        figures.as_of,
        sorted(figures.totals.items()),
        sorted((k, v) for k, v in figures.own.items() if v != UnitFigures()),
        [u["id"] for u in figures.units],
        [(s.expected, s.submitted, [m.unit_id for m in s.missing]) for s in figures.statuses],
    )


async def _random_writes(rng: random.Random, today: dt.date) -> set[int]:
    """A round of what users do, some of it backdated; the units whose people it touched."""
    people = await Candidate.select(Candidate.id, Candidate.unit, Candidate.stage).where(
        in_tenant(Candidate)
    )
    cells = [
        r["id"]
        for r in await OrgUnit.select(OrgUnit.id).where(
            in_tenant(OrgUnit), OrgUnit.valid_to.is_null(), OrgUnit.kind == "subordinate_cell"
        )
    ]
    member = await Member.select(Member.id).where(in_tenant(Member)).first()
    assert member is not None
    touched: set[int] = set()
    for person in rng.sample(people, 12):
        touched.add(person["unit"])
        day = today - dt.timedelta(days=rng.choice([0, 3, 40, 400, 800]))
        action = rng.choice(["stage", "move", "helper", "undo", "entry", "course"])
        async with atomic():
            if action == "stage" and person["stage"] in STAGE_ORDER[:-1]:
                to = STAGE_ORDER[STAGE_ORDER.index(person["stage"]) + 1]
                await StageChange(
                    tenant_id=person_tenant(),
                    candidate=person["id"],
                    from_stage=person["stage"],
                    to_stage=to,
                    changed_on=day,
                    actor="test",
                ).save()
                await Candidate.update({Candidate.stage: to}).where(Candidate.id == person["id"])
            elif action == "move":
                to_unit = rng.choice(cells)
                path = await OrgUnit.select(OrgUnit.path).where(OrgUnit.id == to_unit).first()
                assert path is not None
                await CandidateMove(
                    tenant_id=person_tenant(),
                    candidate=person["id"],
                    from_unit=person["unit"],
                    to_unit=to_unit,
                    moved_on=today,
                    cause="transfer",
                ).save()
                await Candidate.update(
                    {Candidate.unit: to_unit, Candidate.unit_path: path["path"]}
                ).where(Candidate.id == person["id"])
                touched.add(to_unit)
            elif action == "helper":
                await HelperAssignment(
                    tenant_id=person_tenant(),
                    candidate=person["id"],
                    member=member["id"],
                    assigned_on=day,
                ).save()
            elif action == "undo":
                await StageChange.delete().where(StageChange.candidate == person["id"])
            elif action == "entry":
                await ListEntry.delete().where(ListEntry.candidate == person["id"])
            else:
                enrolment = await CourseEnrolment.select(CourseEnrolment.course).where(
                    in_tenant(CourseEnrolment), CourseEnrolment.candidate == person["id"]
                )
                for row in enrolment:
                    await Course.update({Course.closes_on: day}).where(Course.id == row["course"])
                    # Everyone on that course: their figures hang on its dates.
                    for other in await CourseEnrolment.select(
                        CourseEnrolment.candidate.unit.as_alias("unit")
                    ).where(CourseEnrolment.course == row["course"]):
                        touched.add(other["unit"])
    return touched


def person_tenant() -> int:
    return require_tenant()


async def test_rollups_equal_a_recount_after_random_histories(
    province: ProvinceReport, postgres_database: Database
) -> None:
    """The dashboard's people figures come from roll-ups kept per unit; after rounds of
    random writes (today's and backdated: stage changes and their removal, moves between
    cells, helpers, list entries removed, a course's dates) every figure of the province,
    of its communes and of each year still equals a count of the records, and a view
    counts again only the units whose people were written."""
    rng = random.Random(16)
    today = today_in_vietnam()
    with using_engine(postgres_database.app), tenant_context(province.tenant_id):
        package_id = await tenant_package_id()
        package = await tenant_package()
        assert package.calendar is not None
        units = await OrgUnit.select(OrgUnit.id, OrgUnit.path, OrgUnit.kind).where(
            in_tenant(OrgUnit), OrgUnit.valid_to.is_null()
        )
        root = min(units, key=lambda u: len(u["path"]))
        communes = rng.sample([u for u in units if u["kind"] == "commune_committee"], 3)
        roots = [root, *communes]
        for round_number in range(4):
            for year in (today.year - 2, today.year - 1, today.year):
                periods = package.calendar.periods(year)
                for unit in roots:
                    counted = Counted()
                    kept = await _kept_view(unit, year, today, periods, counted)
                    recount = await _recount(unit["id"], unit["path"], year, today, periods)
                    assert _said(kept) == _said(recount), (round_number, year, unit["path"])
            again = Counted()
            await _kept_view(root, today.year, today, package.calendar.periods(today.year), again)
            assert again.counted == 0 and again.kept > 100  # nothing written: all kept
            touched = await _random_writes(rng, today)
            after = Counted()
            await _kept_view(root, today.year, today, package.calendar.periods(today.year), after)
            assert 0 < after.counted <= len(touched), (after, touched)
        assert package_id


async def _kept_view(
    unit: dict, year: int, today: dt.date, periods: list, counted: Counted
) -> Figures:
    units = await load_units()
    as_of = as_of_day(year, today, units[unit["id"]])
    own = await own_figures(units, unit["path"], year, as_of, counted)
    assert own is not None
    return await subtree_figures(unit["id"], unit["path"], year, today, periods)


async def test_the_nightly_job_counts_the_day_ahead_and_old_days_leave(
    province: ProvinceReport, postgres_database: Database
) -> None:
    """The job counts every unit's roll-up of the day before anyone looks, so the first
    view counts nothing; the hourly cleanup then removes the roll-ups of days no view asks
    for and keeps the year-ends."""
    today = today_in_vietnam()
    with using_engine(postgres_database.app), tenant_context(province.tenant_id):
        units = await load_units()
        ahead = await count_ahead(today)
        assert ahead.counted + ahead.kept == len(units)
        first = Counted()
        await own_figures(await load_units(), "", today.year, today, first)
        assert first.counted == 0 and first.kept == len(units)
        last_year = dt.date(today.year - 1, 12, 31)
        await own_figures(units, "", last_year.year, last_year, Counted())
        an_old_day = today - dt.timedelta(days=20)
        await own_figures(units, "", an_old_day.year, an_old_day, Counted())
        removed = await remove_old(today)
        assert removed >= len(units)  # the old day's rows, one per unit
        left = {
            r["as_of"]
            for r in await FigureRollup.select(FigureRollup.as_of).where(in_tenant(FigureRollup))
        }
        assert last_year in left and today in left and an_old_day not in left
