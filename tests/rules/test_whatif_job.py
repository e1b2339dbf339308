"""What-if as a job: a draft version of the tenant's package that shortens the
certificate's validity from 60 to 36 months, run on the tenant's generated people; the
stored report names exactly the people whose certificates are 36 to 60 months old, per
unit, and the job writes nothing to candidates, decisions or lists."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from litestar.stores.memory import MemoryStore

from nguon.jobs.progress import load_job
from nguon.jobs.reevaluation import reevaluate_candidates
from nguon.jobs.runner import wait_for_jobs
from nguon.people.tables import Candidate
from nguon.pipeline.tables import CandidateDecision, CandidateList, ListEntry
from nguon.pipeline.whatif_job import start_whatif, whatif_run
from nguon.rules.facts import add_months
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import switch_tenant_in_transaction
from tests.conftest import Database
from tests.http.conftest import World, build_today_world
from tests.rules.test_publication import TODAY, draft_package, use_package  # noqa: F401

# Months since the certificate, per person, in each cell: 36–59 change, the rest do not.
CERTIFICATE_AGES = {"cell_x": [None, 0, 12, 35, 36, 40, 59, 60, 75], "cell_y": [20, 47, 58, 61]}


async def generated_people(
    db: Database, world: World, ages: dict[str, list[int | None]]
) -> dict[int, tuple[str, int | None]]:
    made: dict[int, tuple[str, int | None]] = {}
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            for unit_key, months in ages.items():
                for index, age in enumerate(months):
                    name = f"Người {unit_key} {index}"
                    row = Candidate(
                        tenant_id=world.tenant_id,
                        unit=world.units[unit_key],
                        unit_path="",
                        full_name=name,
                        name_search=name.lower(),
                        date_of_birth=dt.date(1995, 3, 10),
                        sex="male",
                        education="upper_secondary",
                        political_standard="passed",
                        certificate_date=None if age is None else add_months(TODAY, -age),
                        stage="surveyed" if age is None else "certified",
                    )
                    await row.save()
                    made[row.id] = (unit_key, age)
    return made


async def written(db: Database, world: World) -> list:
    """Everything of the tenant a what-if must not touch, versions included."""
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            return [
                await table.select().where(table.tenant_id == world.tenant_id).order_by(table.id)
                for table in (Candidate, CandidateDecision, CandidateList, ListEntry)
            ]


def expected_changes(world: World, made: dict[int, tuple[str, int | None]]) -> dict[int, set[str]]:
    expected: dict[int, set[str]] = {}
    for candidate_id, (unit_key, age) in made.items():
        if age is not None and 36 <= age < 60:
            expected.setdefault(world.units[unit_key], set()).add(str(candidate_id))
    return expected


async def test_the_whatif_job_reports_exactly_the_36_to_60_month_olds_and_writes_nothing(
    db: Database,
    draft_package: Path,  # noqa: F811
) -> None:
    world = await build_today_world(db, "whatif-job")
    other = await build_today_world(db, "whatif-job-other")
    await use_package(db, world)
    made = await generated_people(db, world, CERTIFICATE_AGES)
    await generated_people(db, other, {"cell_x": [40, 41]})
    with tenant_context(world.tenant_id):
        async with db.app.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            await reevaluate_candidates(sorted(made), TODAY)  # decisions exist to be kept
    before = await written(db, world)
    assert before[1], "decisions are stored before the what-if"

    store = MemoryStore()
    with tenant_context(world.tenant_id):
        job = await start_whatif(store, "2027.1", TODAY, "bch.tinh")  # its own transaction
        await wait_for_jobs()
        progress = await load_job(store, world.tenant_id, job.id)
        async with db.app.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            run = await whatif_run(job.id)

    assert progress is not None and progress.state == "done"
    assert (progress.done, progress.total) == (len(made), len(made))
    assert run.state == "done" and run.report is not None
    report = run.report
    assert report.people == len(made)
    assert (report.before.version, report.after.version) == ("2025.2", "2027.1")
    assert {unit.unit_id: unit.people for unit in report.units} == expected_changes(world, made)
    unit = next(u for u in report.units if u.unit_id == world.units["cell_x"])
    source = next(s for s in unit.steps if s.decision == "admission_source_list").changes[0]
    assert (source.before, source.after) == ("eligible", "not_eligible")
    assert [(b.code, b.clause) for b in source.only_after] == [
        ("certificate_expired", "06-HD/TW, Mục 5.4")
    ]
    assert await written(db, world) == before
