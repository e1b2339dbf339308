"""A subtree's figures are kept per process (Postgres) under the versions of the units
whose people and lists count there: a view of unchanged figures is served as kept, and
every write a dashboard shows — a person's record, a list made, submitted or removed, a
step of a person's admission road — moves a version, so the next view makes them again.
Plans' targets are read per view."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from nguon.db.binding import using_engine
from nguon.db.transaction import atomic
from nguon.org.tables import OrgUnit, UnitSuccession
from nguon.people.moves import CandidateMove
from nguon.people.tables import Candidate
from nguon.pipeline.road_tables import AdmissionStep
from nguon.pipeline.tables import AdmissionPlan, CandidateList
from nguon.reports import records, structure
from nguon.reports.figures import Figures, subtree_figures
from nguon.rules.review_calendar import Period
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import switch_tenant_in_transaction
from tests.conftest import Database
from tests.reports.test_rollup_versions import DAY, World, _person, _unit, _world

QUARTER = Period(
    code="2026-Q1",
    opens=dt.date(2026, 1, 1),
    deadline=dt.date(2026, 3, 31),
    kind="supplement",
    for_year=2026,
)


async def _root(world: World) -> dict[str, Any]:
    cell = await OrgUnit.select(OrgUnit.parent).where(OrgUnit.id == world.cells[0]["id"]).first()
    assert cell is not None
    row = await OrgUnit.select(OrgUnit.id, OrgUnit.path).where(OrgUnit.id == cell["parent"]).first()
    assert row is not None
    return row


@pytest.fixture(params=["by ids", "by path"])
def stamp_read(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways the versions of a subtree are read: by its units' ids (small subtrees)
    and by its path with the units outside it (large ones)."""
    if request.param == "by path":
        monkeypatch.setattr(structure, "NAMED_AT_MOST", 0)
    return str(request.param)


@pytest.fixture(params=["naming the subtree", "naming the rest"])
def moves_read(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways the units people moved out to are read: naming the subtree's units, or
    (a subtree of most units) the units outside it."""
    rest = request.param == "naming the rest"
    monkeypatch.setattr(records, "names_the_rest", lambda subtree, others: rest)
    return str(request.param)


async def _figures(root: dict[str, Any]) -> Figures:
    return await subtree_figures(root["id"], root["path"], DAY.year, DAY, [QUARTER])


@pytest.mark.parametrize("db", ["sqlite", "postgres"], indirect=True)
async def test_each_write_of_a_list_or_a_road_step_moves_the_units_version(
    db: Database,
) -> None:
    """A list made, changed (its state) and removed, a step of a person's admission road
    recorded, changed and removed: the unit's figures version moves in the same
    transaction, on both engines."""
    world = await _world(db)
    cell = world.cells[1]["id"]

    async def version() -> int:
        row = await OrgUnit.select(OrgUnit.figures_version).where(OrgUnit.id == cell).first()
        assert row is not None
        return int(row["figures_version"])

    async def moves(what: str, write: Callable[[], Awaitable[Any]]) -> None:
        before = await version()
        async with atomic():
            await write()
        assert await version() > before, what

    with using_engine(db.app), tenant_context(world.tenant):
        made = CandidateList(
            tenant_id=world.tenant,
            unit=cell,
            unit_path=world.cells[1]["path"],
            step="survey",
            period_code=QUARTER.code,
            period_opens=QUARTER.opens,
            period_deadline=QUARTER.deadline,
            package="hungyen",
            package_version="test",
        )
        await moves("list made", made.save)
        await moves(
            "list submitted",
            lambda: CandidateList.update({CandidateList.state: "submitted"}).where(
                CandidateList.id == made.id
            ),
        )
        await moves(
            "list removed", lambda: CandidateList.delete().where(CandidateList.id == made.id)
        )
        async with atomic():
            person = await _person(world, world.cells[1], "Đỗ Văn H")
        step = AdmissionStep(
            tenant_id=world.tenant, candidate=person, step="cell_resolution", taken_on=DAY
        )
        await moves("road step recorded", step.save)
        await moves(
            "road step changed",
            lambda: AdmissionStep.update({AdmissionStep.taken_on: DAY - dt.timedelta(1)}).where(
                AdmissionStep.id == step.id
            ),
        )
        await moves(
            "road step removed", lambda: AdmissionStep.delete().where(AdmissionStep.id == step.id)
        )


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
async def test_the_figures_are_kept_until_a_write_they_show(db: Database, stamp_read: str) -> None:
    world = await _world(db)
    with using_engine(db.app), tenant_context(world.tenant):
        root = await _root(world)
        first = await _figures(root)
        assert first.key, "on Postgres the figures are kept"
        assert first.statuses[0].submitted == 0 and first.root.by_stage["surveyed"] == 0

        again = await _figures(root)
        assert again.key == first.key and again.totals is first.totals  # served as kept
        # Asked for other review periods, the same subtree is not served these figures.
        no_period = await subtree_figures(root["id"], root["path"], DAY.year, DAY, [])
        assert no_period.key != first.key and no_period.statuses == []

        async with atomic():
            await CandidateList.update({CandidateList.state: "submitted"}).where(
                CandidateList.id == world.list_id
            )
        submitted = await _figures(root)
        assert submitted.key != first.key
        assert submitted.statuses[0].submitted == 1
        assert [u.unit_id for u in submitted.statuses[0].missing] == [world.cells[1]["id"]]

        async with atomic():
            await _person(world, world.cells[1], "Vũ Thị G")
        counted = await _figures(root)
        assert counted.key != submitted.key and counted.root.by_stage["surveyed"] == 1

        # Targets are not part of the versions: a plan added shows on the next view.
        assert counted.targets is None
        async with atomic():
            await AdmissionPlan(
                tenant_id=world.tenant,
                unit=root["id"],
                unit_path=root["path"],
                year=DAY.year,
                target_year=10,
                target_q1=1,
                target_q2=2,
                target_q3=3,
                target_q4=4,
            ).save()
        planned = await _figures(root)
        assert planned.key == counted.key and planned.targets == [1, 2, 3, 4]
        assert counted.targets is None  # the kept figures were not changed under others

        async with atomic():
            await Candidate.update({Candidate.notes: "x"}).where(
                Candidate.unit == world.cells[1]["id"]
            )
        assert (await _figures(root)).key != counted.key


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
async def test_sqlite_keeps_no_figures(db: Database) -> None:
    world = await _world(db)
    with using_engine(db.app), tenant_context(world.tenant):
        root = await _root(world)
        first, again = await _figures(root), await _figures(root)
        assert first.key == again.key == "" and first.totals is not again.totals


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
async def test_writes_outside_the_subtree_that_count_in_it_are_seen(
    db: Database, stamp_read: str, moves_read: str
) -> None:
    """A commune's figures count the people of a unit elsewhere that took over the work of
    one of its cells, and of the unit a person moved out of it is in now: a write there
    makes the kept figures again, a write anywhere else does not."""
    world = await _world(db)
    a, b = world.cells
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant)
            root = await OrgUnit.select().where(OrgUnit.id == a["id"]).first()
            assert root is not None
            commune = await OrgUnit.select().where(OrgUnit.id == root["parent"]).first()
            province = await OrgUnit.select().where(OrgUnit.id == commune["parent"]).first()
            elsewhere = await _unit(world.tenant, province, "commune_committee")
            follower = await _unit(world.tenant, elsewhere, "subordinate_cell")
            moved_to = await _unit(world.tenant, elsewhere, "subordinate_cell")
            unrelated = await _unit(world.tenant, elsewhere, "subordinate_cell")
            await UnitSuccession(
                tenant_id=world.tenant,
                predecessor=b["id"],
                successor=follower["id"],
                effective_on=DAY,
                change="merge",
            ).save()
    with using_engine(db.app), tenant_context(world.tenant):
        async with atomic():
            mover = await _person(world, a, "Ngô Văn K")
            await CandidateMove(
                tenant_id=world.tenant,
                candidate=mover,
                from_unit=a["id"],
                to_unit=moved_to["id"],
                moved_on=DAY - dt.timedelta(days=3),
                cause="transfer",
            ).save()
            await Candidate.update(
                {Candidate.unit: moved_to["id"], Candidate.unit_path: moved_to["path"]}
            ).where(Candidate.id == mover)
        home = {"id": commune["id"], "path": commune["path"]}
        seen = await _figures(home)
        for where, counts in ((unrelated, False), (follower, True), (moved_to, True)):
            async with atomic():
                await _person(world, where, "Trịnh Thị L")
            now = await _figures(home)
            assert (now.key != seen.key) is counts, where
            seen = now
