"""The database moves a unit's ``figures_version`` whenever a record of one of its people
is written, in the writing transaction, on SQLite and Postgres: the figure roll-ups trust
it, so a write that left it still would leave a dashboard showing stale figures.

The writes are generated: every table of a person's dated records the migration puts a
trigger on, inserted, updated and deleted; and every table ``nguon.reports.records``
reads that carries a ``candidate`` column must be one of them."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from piccolo.table import Table

from nguon.db.binding import using_engine
from nguon.db.migrations.m0042_figure_rollups import PEOPLE_RECORDS
from nguon.db.transaction import atomic
from nguon.org.tables import OrgUnit, UnitSuccession
from nguon.people.moves import CandidateMove
from nguon.people.tables import Candidate, Member
from nguon.pipeline.tables import (
    CandidateList,
    Course,
    CourseEnrolment,
    HelperAssignment,
    ListEntry,
    StageChange,
)
from nguon.reports import records, structure
from nguon.reports.rollups import Counted, count_ahead, own_figures, remove_old
from nguon.reports.tables import FigureRollup
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import switch_tenant_in_transaction
from nguon.tenancy.tables import Tenant
from tests.conftest import Database

_ids = itertools.count(1)
DAY = dt.date(2026, 3, 2)


async def _unit(tenant_id: int, parent: dict[str, Any] | None, kind: str) -> dict[str, Any]:
    unit = OrgUnit(
        tenant_id=tenant_id,
        code=f"V{next(_ids)}",
        name="Chi bộ thử",
        kind=kind,
        parent=parent["id"] if parent else None,
        path="",
        depth=(parent["depth"] + 1) if parent else 0,
        valid_from=dt.date(2020, 1, 1),
    )
    await unit.save()
    path = f"{parent['path'] if parent else ''}{unit.id}."
    await OrgUnit.update({OrgUnit.path: path}).where(OrgUnit.id == unit.id)
    return {"id": unit.id, "path": path, "depth": unit.depth}


class World:
    tenant: int
    cells: list[dict[str, Any]]
    member: int
    course: int
    list_id: int


async def _world(db: Database) -> World:
    world = World()
    with db.as_owner():
        async with db.owner.transaction():
            tenant = Tenant(slug=f"versions-{next(_ids)}", name="Tỉnh thử", rules_package="hungyen")
            await tenant.save()
            await switch_tenant_in_transaction(tenant.id)
            world.tenant = tenant.id
            root = await _unit(tenant.id, None, "province_committee")
            commune = await _unit(tenant.id, root, "commune_committee")
            world.cells = [await _unit(tenant.id, commune, "subordinate_cell") for _ in "ab"]
            member = Member(
                tenant_id=tenant.id,
                unit=world.cells[0]["id"],
                unit_path=world.cells[0]["path"],
                full_name="Đảng viên giúp đỡ",
                name_search="dang vien giup do",
                date_of_birth=dt.date(1980, 1, 1),
                sex="male",
                admitted_on=dt.date(2005, 1, 1),
            )
            await member.save()
            world.member = member.id
            course = Course(
                tenant_id=tenant.id,
                organiser_unit=commune["id"],
                organiser_path=commune["path"],
                title="Lớp bồi dưỡng",
                opens_on=DAY,
                closes_on=DAY + dt.timedelta(days=5),
            )
            await course.save()
            world.course = course.id
            made = CandidateList(
                tenant_id=tenant.id,
                unit=world.cells[0]["id"],
                unit_path=world.cells[0]["path"],
                step="survey",
                period_code="2026-Q1",
                period_opens=dt.date(2026, 1, 1),
                period_deadline=dt.date(2026, 3, 31),
                package="hungyen",
                package_version="test",
            )
            await made.save()
            world.list_id = made.id
    return world


def _row(table: type[Table], world: World, candidate: int) -> Table:
    """A row of ``table`` about ``candidate``."""
    common = {"tenant_id": world.tenant, "candidate": candidate}
    cells = world.cells
    rows: dict[str, Callable[[], Table]] = {
        "stage_change": lambda: StageChange(
            **common, from_stage="surveyed", to_stage="course_nominee", changed_on=DAY, actor="t"
        ),
        "helper_assignment": lambda: HelperAssignment(
            **common, member=world.member, assigned_on=DAY
        ),
        "course_enrolment": lambda: CourseEnrolment(**common, course=world.course),
        "list_entry": lambda: ListEntry(
            **common, candidate_list=world.list_id, source="manual", outcome="eligible"
        ),
        "candidate_move": lambda: CandidateMove(
            **common,
            from_unit=cells[1]["id"],
            to_unit=cells[0]["id"],
            moved_on=DAY,
            cause="transfer",
        ),
    }
    return rows[table._meta.tablename]()


TABLES: dict[str, type[Table]] = {
    t._meta.tablename: t
    for t in (StageChange, HelperAssignment, CourseEnrolment, ListEntry, CandidateMove)
}


def test_every_record_table_the_figures_read_has_its_trigger() -> None:
    read = [
        value
        for value in vars(records).values()
        if isinstance(value, type) and issubclass(value, Table) and value is not Table
    ]
    about_a_person = {
        table._meta.tablename
        for table in read
        if "candidate" in {c._meta.db_column_name for c in table._meta.columns}
    }
    assert {"stage_change", "list_entry"} <= about_a_person  # the test reads what it must
    assert about_a_person <= set(PEOPLE_RECORDS), about_a_person - set(PEOPLE_RECORDS)
    assert set(PEOPLE_RECORDS) == set(TABLES)


@pytest.mark.parametrize("db", ["sqlite", "postgres"], indirect=True)
async def test_each_write_of_a_persons_records_moves_their_units_version(db: Database) -> None:
    world = await _world(db)
    cell = world.cells[0]["id"]

    async def version(unit: int) -> int:
        row = await OrgUnit.select(OrgUnit.figures_version).where(OrgUnit.id == unit).first()
        assert row is not None
        return row["figures_version"]

    async def moves(what: str, write: Callable[[], Awaitable[Any]], *units: int) -> None:
        before = [await version(u) for u in units]
        async with atomic():
            await write()
        after = [await version(u) for u in units]
        assert all(b < a for b, a in zip(before, after, strict=True)), (what, before, after)

    with using_engine(db.app), tenant_context(world.tenant):
        person = Candidate(
            tenant_id=world.tenant,
            unit=cell,
            unit_path=world.cells[0]["path"],
            full_name="Nguyễn Văn A",
            name_search="nguyen van a",
            date_of_birth=dt.date(2000, 1, 1),
            sex="male",
            education="upper_secondary",
        )
        await moves("candidate insert", person.save, cell)
        await moves(
            "candidate update",
            lambda: Candidate.update({Candidate.notes: "x"}).where(Candidate.id == person.id),
            cell,
        )
        for name in PEOPLE_RECORDS:
            table = TABLES[name]
            row = _row(table, world, person.id)
            await moves(f"{name} insert", row.save, cell)
            await moves(
                f"{name} update",
                lambda t=table, r=row: t.update({t.tenant_id: world.tenant}).where(t.id == r.id),
                cell,
            )
            if name == "course_enrolment":
                await moves(
                    "course dates",
                    lambda: Course.update({Course.closes_on: DAY}).where(Course.id == world.course),
                    cell,
                )
            await moves(
                f"{name} delete", lambda t=table, r=row: t.delete().where(t.id == r.id), cell
            )
        other = world.cells[1]
        await moves(
            "candidate moved to another cell",
            lambda: Candidate.update(
                {Candidate.unit: other["id"], Candidate.unit_path: other["path"]}
            ).where(Candidate.id == person.id),
            cell,
            other["id"],
        )
        await moves(
            "candidate delete",
            lambda: Candidate.delete().where(Candidate.id == person.id),
            other["id"],
        )


@pytest.mark.parametrize("db", ["sqlite", "postgres"], indirect=True)
async def test_the_day_is_counted_ahead_and_old_days_leave(db: Database) -> None:
    """The nightly job counts every unit's roll-up of the day, so the day's first view
    counts nothing; the cleanup removes the roll-ups of days no view asks for any more and
    keeps a year's last day and a closed unit's last day."""
    world = await _world(db)
    closed = world.cells[1]["id"]
    last_day = DAY - dt.timedelta(days=11)
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant)
            await OrgUnit.update({OrgUnit.valid_to: last_day + dt.timedelta(days=1)}).where(
                OrgUnit.id == closed
            )
    with using_engine(db.app), tenant_context(world.tenant):
        async with atomic():
            await Candidate(
                tenant_id=world.tenant,
                unit=world.cells[0]["id"],
                unit_path=world.cells[0]["path"],
                full_name="Trần Thị B",
                name_search="tran thi b",
                date_of_birth=dt.date(2001, 1, 1),
                sex="female",
                education="upper_secondary",
                created_at=dt.datetime(2025, 5, 1, tzinfo=dt.UTC),
            ).save()
        units = await structure.load_units()
        ahead = await count_ahead(DAY)
        assert (ahead.counted, ahead.kept) == (len(units), 0)
        first = Counted()
        own = await own_figures(await structure.load_units(), "", DAY.year, DAY, first)
        assert (first.counted, first.kept) == (0, len(units))
        assert own[world.cells[0]["id"]].by_stage["surveyed"] == 1
        year_end, old_day = dt.date(2025, 12, 31), DAY - dt.timedelta(days=20)
        yesterday, before = DAY - dt.timedelta(days=1), DAY - dt.timedelta(days=2)
        for day in (year_end, old_day, last_day, yesterday, before):
            await own_figures(units, "", day.year, day, Counted())
    # Another province whose unit closed on the old day, with a roll-up of that day.
    other = await _world(db)
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(other.tenant)
            await OrgUnit.update({OrgUnit.valid_to: old_day + dt.timedelta(days=1)}).where(
                OrgUnit.id == other.cells[0]["id"]
            )
    with using_engine(db.app), tenant_context(other.tenant):
        await own_figures(await structure.load_units(), "", old_day.year, old_day, Counted())
    with using_engine(db.app), tenant_context(world.tenant):
        # The old day's and the day before yesterday's, one row per unit.
        assert await remove_old(DAY) == 2 * len(units)
        left = await FigureRollup.select(FigureRollup.as_of).where(
            FigureRollup.tenant_id == world.tenant
        )
        assert {row["as_of"] for row in left} == {DAY, year_end, last_day, yesterday}
        assert await remove_old(DAY) == 0  # nothing old is left to remove
    with using_engine(db.app), tenant_context(other.tenant):
        theirs = await FigureRollup.select(FigureRollup.as_of).where(
            FigureRollup.tenant_id == other.tenant
        )
        assert {row["as_of"] for row in theirs} == {old_day}


async def _person(world: World, cell: dict[str, Any], name: str) -> int:
    person = Candidate(
        tenant_id=world.tenant,
        unit=cell["id"],
        unit_path=cell["path"],
        full_name=name,
        name_search=name.lower(),
        date_of_birth=dt.date(2001, 1, 1),
        sex="female",
        education="upper_secondary",
        created_at=dt.datetime(2025, 5, 1, tzinfo=dt.UTC),
    )
    await person.save()
    return person.id


@pytest.mark.parametrize("db", ["sqlite", "postgres"], indirect=True)
async def test_a_unit_counts_its_people_and_those_moved_out_since(db: Database) -> None:
    """A past day's figures of a cell add what two units' roll-ups say: the people still
    there, and the person who moved to another cell since (kept with that cell's people).
    A write is counted again once, and the row it leaves is used by the next view."""
    world = await _world(db)
    a, b = world.cells
    moved_on = DAY - dt.timedelta(days=10)
    with using_engine(db.app), tenant_context(world.tenant):
        async with atomic():
            await _person(world, a, "Lê Văn C")
            mover = await _person(world, a, "Phạm Văn D")
            await CandidateMove(
                tenant_id=world.tenant,
                candidate=mover,
                from_unit=a["id"],
                to_unit=b["id"],
                moved_on=moved_on,
                cause="transfer",
            ).save()
            await Candidate.update({Candidate.unit: b["id"], Candidate.unit_path: b["path"]}).where(
                Candidate.id == mover
            )
        before_move = moved_on - dt.timedelta(days=10)
        own = await own_figures(await structure.load_units(), a["path"], DAY.year, before_move)
        assert own[a["id"]].by_stage["surveyed"] == 2 and b["id"] not in own
        own = await own_figures(await structure.load_units(), "", DAY.year, DAY)
        assert own[a["id"]].by_stage["surveyed"] == 1 == own[b["id"]].by_stage["surveyed"]
        async with atomic():
            await Candidate.update({Candidate.notes: "đã gặp"}).where(Candidate.id == mover)
        views = [Counted(), Counted()]
        for view in views:
            await own_figures(await structure.load_units(), "", DAY.year, DAY, view)
        assert [v.counted for v in views] == [1, 0], views


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
async def test_a_process_keeps_the_sum_until_a_version_moves(db: Database) -> None:
    """On Postgres a web process keeps the sum of a subtree's roll-ups under the versions
    it was made from: asked again with nothing written it is served without reading the
    rows (here removed behind its back), and a write makes it count again."""
    world = await _world(db)
    with using_engine(db.app), tenant_context(world.tenant):
        async with atomic():
            person = await _person(world, world.cells[0], "Hoàng Thị E")
        first = await own_figures(await structure.load_units(), "", DAY.year, DAY)
        await FigureRollup.delete().where(FigureRollup.tenant_id == world.tenant)
        again = Counted()
        kept = await own_figures(await structure.load_units(), "", DAY.year, DAY, again)
        assert kept == first and (again.counted, again.kept) == (0, 4)
        async with atomic():
            await Candidate.update({Candidate.notes: "x"}).where(Candidate.id == person)
        after = Counted()
        await own_figures(await structure.load_units(), "", DAY.year, DAY, after)
        # The sum no longer answers: the rows are read again (removed above: all counted).
        assert (after.counted, after.kept) == (4, 0)


async def _tree(db: Database, world: World) -> tuple[dict[int, dict[str, Any]], list[Any]]:
    with using_engine(db.app), tenant_context(world.tenant):
        async with atomic():
            return await structure.load_tree()


@pytest.mark.parametrize("db", ["sqlite", "postgres"], indirect=True)
async def test_the_tree_is_read_again_after_every_change_of_it_and_only_then(
    db: Database,
) -> None:
    """Each process keeps the tenant's tree (Postgres) under a stamp the database moves
    when a unit or a succession changes: a view after a rename, a closure, a move or a
    succession sees it; a write of people (a figures version moved) keeps the tree."""
    world = await _world(db)
    a, b = world.cells
    seen, _ = await _tree(db, world)
    assert "figures_version" not in seen[a["id"]]
    changes: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
        (
            "renamed",
            lambda: OrgUnit.update({OrgUnit.name: "Chi bộ đổi tên"}).where(OrgUnit.id == a["id"]),
        ),
        ("closed", lambda: OrgUnit.update({OrgUnit.valid_to: DAY}).where(OrgUnit.id == b["id"])),
        (
            "moved",
            lambda: OrgUnit.update({OrgUnit.path: f"{b['path']}x."}).where(OrgUnit.id == b["id"]),
        ),
        (
            "succession",
            lambda: UnitSuccession(
                tenant_id=world.tenant, predecessor=b["id"], successor=a["id"], effective_on=DAY
            ).save(),
        ),
    ]
    for change, write in changes:
        with db.as_owner():
            async with db.owner.transaction():
                await switch_tenant_in_transaction(world.tenant)
                await write()
        units, successions = await _tree(db, world)
        assert units is not seen, change
        seen = units
    assert units[a["id"]]["name"] == "Chi bộ đổi tên"
    assert units[b["id"]]["valid_to"] == DAY
    assert units[b["id"]]["path"].endswith("x.")
    assert [(s["predecessor"], s["successor"]) for s in successions] == [(b["id"], a["id"])]
    before = await _versions(db, world, [a["id"], b["id"]])
    with using_engine(db.app), tenant_context(world.tenant):
        async with atomic():
            await Candidate(
                tenant_id=world.tenant,
                unit=a["id"],
                unit_path=a["path"],
                full_name="Lê Văn C",
                name_search="le van c",
                date_of_birth=dt.date(2000, 1, 1),
                sex="male",
                education="upper_secondary",
            ).save()
    after = await _versions(db, world, [a["id"], b["id"]])
    assert after[a["id"]] > before[a["id"]] and after[b["id"]] == before[b["id"]]
    again, _ = await _tree(db, world)
    assert again == seen
    if db.kind == "postgres":
        assert again is seen  # kept: people's writes do not touch the tree


async def _versions(db: Database, world: World, ids: list[int]) -> dict[int, int]:
    with using_engine(db.app), tenant_context(world.tenant):
        async with atomic():
            return await structure.figures_versions(ids)


@pytest.mark.parametrize("db", ["sqlite", "postgres"], indirect=True)
async def test_a_restructuring_after_the_roll_ups_were_kept_counts_them_again(
    db: Database,
) -> None:
    """A person added in January to a cell that, by a restructuring recorded in March,
    only opened in February as the successor of another: their "added" belongs to the
    predecessor, the unit that held them that day. The roll-up kept before the
    restructuring said otherwise and is not used again."""
    world = await _world(db)
    a, b = world.cells
    opened = dt.date(2026, 2, 1)
    with using_engine(db.app), tenant_context(world.tenant):
        async with atomic():
            person = await _person(world, a, "Đỗ Thị G")
            await Candidate.update(
                {Candidate.created_at: dt.datetime(2026, 1, 15, 3, tzinfo=dt.UTC)}
            ).where(Candidate.id == person)
        units, successions = await structure.load_tree()
        kept = await own_figures(units, "", DAY.year, DAY, successions=successions)
        assert kept[a["id"]].flows["added"] == [1, 0, 0, 0]
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant)
            await OrgUnit.update({OrgUnit.valid_from: opened}).where(OrgUnit.id == a["id"])
            await UnitSuccession(
                tenant_id=world.tenant, predecessor=b["id"], successor=a["id"], effective_on=opened
            ).save()
    with using_engine(db.app), tenant_context(world.tenant):
        units, successions = await structure.load_tree()
        view = Counted()
        own = await own_figures(units, "", DAY.year, DAY, view, successions)
    assert view.counted >= 1
    assert own[b["id"]].flows["added"] == [1, 0, 0, 0]
    assert own[a["id"]].flows["added"] == [0, 0, 0, 0]
    assert own[a["id"]].by_stage["surveyed"] == 1  # on 2 March a holds them
