"""Jobs enqueued with the change that asks for them; retried with backoff; isolated per
tenant; on SQLite run in the server's own process."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from nguon.clock import today_in_vietnam
from nguon.db.transaction import atomic
from nguon.jobs.enqueue import enqueue
from nguon.jobs.runner import drain_queue, wait_for_jobs
from nguon.jobs.stats import queue_stats
from nguon.jobs.tasks import app as jobs_app
from nguon.people.tables import Candidate
from nguon.pipeline.tables import CandidateDecision
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant
from tests.conftest import Database
from tests.http.conftest import build_world
from tests.jobs.world import add_candidates, admin_connection, decisions, queued

pytestmark = pytest.mark.postgres

ADULT = dt.date(1990, 4, 2)


class Rollback(Exception):
    pass


async def _jobs_for(candidate_id: int) -> int:
    connection = await admin_connection()
    try:
        return await connection.fetchval(
            "SELECT count(*) FROM procrastinate_jobs WHERE args->>'candidate_id' = $1",
            str(candidate_id),
        )
    finally:
        await connection.close()


async def test_a_job_enqueued_in_a_rolled_back_transaction_never_exists(
    postgres_db: Database,
) -> None:
    world = await build_world(postgres_db, "jobs-rollback")
    [person] = await add_candidates(world, "cell_x", [ADULT])
    with tenant_context(world.tenant_id):
        with pytest.raises(Rollback):
            async with atomic():
                job = await enqueue("reevaluate_person", world.tenant_id, candidate_id=person)
                assert job is not None
                assert await _jobs_for(person) == 0  # not visible before the commit
                raise Rollback
        assert await _jobs_for(person) == 0
        await drain_queue()
        assert await decisions(world) == {}

        async with atomic():
            job = await enqueue("reevaluate_person", world.tenant_id, candidate_id=person)
        assert await _jobs_for(person) == 1
    await drain_queue()
    assert (await queued(job))["job"]["status"] == "succeeded"
    assert await decisions(world) == {person: today_in_vietnam()}


async def test_a_retryable_failure_is_retried_with_backoff_and_a_bug_is_not(
    postgres_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await build_world(postgres_db, "jobs-retry")
    [person, other] = await add_candidates(world, "cell_x", [ADULT, ADULT])
    policy = jobs_app.tasks["reevaluate_person"].retry_strategy
    monkeypatch.setattr(policy, "base_seconds", 0.4)
    failures = {person: [ConnectionResetError("the database went away")], other: [KeyError("bug")]}
    from nguon.jobs import tasks

    real = tasks.reevaluate_candidates

    async def flaky(ids: list[int], on: dt.date) -> int:
        if failures.get(ids[0]):
            raise failures[ids[0]].pop()
        return await real(ids, on)

    monkeypatch.setattr(tasks, "reevaluate_candidates", flaky)
    with tenant_context(world.tenant_id):
        retried = await enqueue("reevaluate_person", world.tenant_id, candidate_id=person)
        broken = await enqueue("reevaluate_person", world.tenant_id, candidate_id=other)
    assert retried and broken
    await drain_queue()
    first = await queued(retried)
    assert first["job"]["status"] == "todo" and first["job"]["attempts"] == 1
    assert (await queued(broken))["job"]["status"] == "failed"
    await drain_queue()  # too early: the retry waits out its backoff
    assert (await queued(retried))["job"]["status"] == "todo"
    for _ in range(40):
        await drain_queue()
        done = await queued(retried)
        if done["job"]["status"] == "succeeded":
            break
        await asyncio_sleep(0.1)
    assert done["job"]["status"] == "succeeded", done
    steps = [(e["type"], e["at"]) for e in done["at"] if e["type"] != "scheduled"]
    assert [kind for kind, _ in steps] == [
        "deferred",
        "started",
        "deferred_for_retry",
        "started",
        "succeeded",
    ]
    assert steps[3][1] - steps[2][1] >= dt.timedelta(seconds=0.4)  # the backoff was waited
    assert (await decisions(world)).keys() == {person}


async def asyncio_sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


async def test_a_job_of_one_tenant_cannot_touch_another_tenants_rows(
    postgres_db: Database,
) -> None:
    mine = await build_world(postgres_db, "jobs-mine")
    theirs = await build_world(postgres_db, "jobs-theirs")
    [their_person] = await add_candidates(theirs, "cell_x", [ADULT])
    # Their person evaluated long ago; a job of my tenant names that person, and the
    # whole subtree path of their province.
    with tenant_context(theirs.tenant_id):
        await enqueue(
            "reevaluate_person", theirs.tenant_id, candidate_id=their_person, on="2024-01-02"
        )
    await drain_queue()
    before = await decisions(theirs)
    assert before == {their_person: dt.date(2024, 1, 2)}
    with tenant_context(mine.tenant_id):
        attacked = await enqueue("reevaluate_person", mine.tenant_id, candidate_id=their_person)
        await enqueue("reevaluate_due", mine.tenant_id, on="2099-01-01")
    await drain_queue()
    assert (await queued(attacked))["job"]["status"] == "succeeded"  # it found no one
    assert await decisions(theirs) == before
    with tenant_context(mine.tenant_id):
        assert await CandidateDecision.count().where(in_tenant(CandidateDecision)) == 0


async def test_row_level_security_holds_inside_a_task(
    postgres_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even a query with no tenant filter of its own sees only its job's tenant."""
    mine = await build_world(postgres_db, "jobs-rls-mine")
    theirs = await build_world(postgres_db, "jobs-rls-theirs")
    [my_person] = await add_candidates(mine, "cell_x", [ADULT])
    await add_candidates(theirs, "cell_x", [ADULT, ADULT])
    seen: list[set[int]] = []

    async def unfiltered(ids: list[int], on: dt.date) -> int:
        rows = await Candidate.raw("SELECT tenant_id FROM candidate").run()
        seen.append({row["tenant_id"] for row in rows})
        await Candidate.raw("UPDATE candidate SET notes = 'touched'").run()
        return 0

    from nguon.jobs import tasks

    monkeypatch.setattr(tasks, "reevaluate_candidates", unfiltered)
    with tenant_context(mine.tenant_id):
        job = await enqueue("reevaluate_person", mine.tenant_id, candidate_id=my_person)
    await drain_queue()
    assert (await queued(job))["job"]["status"] == "succeeded"
    assert seen == [{mine.tenant_id}]
    for world, touched in ((mine, {"touched"}), (theirs, {""})):
        with tenant_context(world.tenant_id):
            notes = await Candidate.select(Candidate.notes).where(in_tenant(Candidate))
        assert {row["notes"] for row in notes} == touched


async def test_on_sqlite_jobs_run_in_process_after_the_commit_only(sqlite_db: Database) -> None:
    world = await build_world(sqlite_db, "jobs-sqlite")
    [person] = await add_candidates(world, "cell_x", [ADULT])
    with tenant_context(world.tenant_id):
        with pytest.raises(Rollback):
            async with atomic():
                job = await enqueue("reevaluate_person", world.tenant_id, candidate_id=person)
                assert job is None  # no queue row on SQLite: a task after the commit
                raise Rollback
        await wait_for_jobs()
        assert await decisions(world) == {}
        async with atomic():
            await enqueue("reevaluate_person", world.tenant_id, candidate_id=person)
    await wait_for_jobs()
    assert await decisions(world) == {person: today_in_vietnam()}


async def test_an_unknown_task_is_refused(sqlite_db: Database) -> None:
    with pytest.raises(ValueError, match="unknown task 'reevaluate_everyone'"):
        await enqueue("reevaluate_everyone", None)


async def test_queue_stats_count_waiting_jobs_and_their_age(postgres_db: Database) -> None:
    world = await build_world(postgres_db, "jobs-stats")
    [person] = await add_candidates(world, "cell_x", [ADULT])
    await drain_queue()
    # Jobs earlier tests scheduled for later (a webhook's retry) would come due meanwhile
    # and count as waiting: this test measures only its own.
    admin = await admin_connection()
    try:
        await admin.execute("DELETE FROM procrastinate_jobs WHERE status = 'todo'")
    finally:
        await admin.close()
    with tenant_context(world.tenant_id):
        await enqueue("reevaluate_person", world.tenant_id, candidate_id=person)
        await enqueue("reevaluate_person", world.tenant_id, candidate_id=person)
    await asyncio.sleep(0.3)
    stats = await queue_stats()  # as the app role
    waiting = {(c.task, c.status): c.jobs for c in stats.counts}
    assert waiting[("reevaluate_person", "todo")] == 2
    assert stats.oldest_waiting_seconds["nguon"] >= 0.3
    await drain_queue()
    after = await queue_stats()
    assert ("reevaluate_person", "todo") not in {(c.task, c.status) for c in after.counts}
    assert "nguon" not in after.oldest_waiting_seconds
