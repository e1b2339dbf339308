"""``nguon worker`` processes: a job killed mid-way finishes once on another worker;
periodic jobs are deferred and run; SIGTERM lets the running job finish."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import signal
import time
from pathlib import Path

import pytest

from nguon.clock import today_in_vietnam
from nguon.db.kv_store import DatabaseStore
from nguon.jobs.enqueue import enqueue
from nguon.jobs.progress import STORE_NAMESPACE, Job, load_job, save_job
from nguon.jobs.tasks import FIGURES_CRON, NIGHTLY_CRON, RELAY_SECONDS, REMINDERS_CRON
from nguon.jobs.tasks import app as jobs_app
from nguon.tenancy.context import tenant_context
from tests.conftest import Database
from tests.http.conftest import World, build_world
from tests.jobs.workers import start_worker, stop
from tests.jobs.world import add_candidates, admin_connection, decisions, queued

pytestmark = pytest.mark.postgres

ADULT = dt.date(1990, 4, 2)
STORE = DatabaseStore(STORE_NAMESPACE)
"""Where a worker with no Redis keeps progress: the store every process shares."""


async def _queue_unit(world: World, batch: int) -> tuple[str, int]:
    job = Job(
        id=secrets.token_urlsafe(8),
        tenant_id=world.tenant_id,
        unit_id=world.units["commune_1"],
        unit_name="Đảng ủy xã Lạc Hồng",
        started_by="test",
        total=12,
        started_at=dt.datetime.now(dt.UTC),
    )
    await save_job(STORE, job)
    with tenant_context(world.tenant_id):
        unit_path = await _path(world, "commune_1")
        queued_id = await enqueue(
            "reevaluate_unit", world.tenant_id, job_id=job.id, unit_path=unit_path, batch=batch
        )
    assert queued_id is not None
    return job.id, queued_id


async def _path(world: World, key: str) -> str:
    from nguon.org.tables import OrgUnit
    from nguon.tenancy.scoped import in_tenant

    row = (
        await OrgUnit.select(OrgUnit.path)
        .where(in_tenant(OrgUnit), OrgUnit.id == world.units[key])
        .first()
    )
    return row["path"]


async def _progress(world: World, job_id: str) -> Job:
    job = await load_job(STORE, world.tenant_id, job_id)
    assert job is not None
    return job


async def _until(predicate, seconds: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not await predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_a_worker_killed_mid_job_leaves_it_to_another_that_finishes_it_once(
    postgres_db: Database, tmp_path: Path
) -> None:
    world = await build_world(postgres_db, "jobs-kill")
    people = await add_candidates(world, "cell_x", [ADULT] * 12)
    with tenant_context(world.tenant_id):
        await enqueue("reevaluate_due", world.tenant_id, on="2000-01-01")  # a no-op warm-up
    # The second batch's decision rows are held by another transaction: the first
    # worker stores batch one, then waits there until it is killed.
    with tenant_context(world.tenant_id):
        from nguon.jobs.reevaluation import reevaluate_candidates

        await reevaluate_candidates(people, dt.date(2024, 1, 2))
    holder = await admin_connection()
    held = holder.transaction()
    await held.start()
    await holder.execute(
        "SELECT 1 FROM candidate_decision WHERE candidate = ANY($1::int[]) FOR UPDATE",
        people[4:8],
    )
    log = tmp_path / "workers.log"
    job_id, queued_id = await _queue_unit(world, batch=4)
    first = start_worker(log=log)
    started = time.monotonic()
    try:
        await _until(lambda: _done_is(world, job_id, 4))
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed_at = time.monotonic()
        await held.rollback()
        await holder.close()
        second = start_worker(log=log)
        try:
            await _until(lambda: _state_is(world, job_id, "done"))
            finished_at = time.monotonic()
        finally:
            assert stop(second) == 0
    finally:
        if first.poll() is None:
            first.kill()
    job = await _progress(world, job_id)
    assert (job.state, job.done, job.total, job.last_candidate_id) == ("done", 12, 12, people[-1])
    record = await queued(queued_id)
    assert record["job"]["status"] == "succeeded"
    assert record["events"].count("started") == 2  # the killed run and the one that finished
    assert record["events"].count("succeeded") == 1
    assert set((await decisions(world)).values()) == {today_in_vietnam()}
    print(
        f"\n[jobs] killed after {killed_at - started:.1f} s; the second worker finished "
        f"{finished_at - killed_at:.1f} s later, its own start-up included (stalled after 1.5 s)"
    )


async def _done_is(world: World, job_id: str, done: int) -> bool:
    return (await _progress(world, job_id)).done >= done


async def _state_is(world: World, job_id: str, state: str) -> bool:
    return (await _progress(world, job_id)).state == state


async def test_sigterm_lets_the_running_job_finish_before_the_worker_exits(
    postgres_db: Database, tmp_path: Path
) -> None:
    world = await build_world(postgres_db, "jobs-term")
    people = await add_candidates(world, "cell_x", [ADULT] * 12)
    holder = await admin_connection()
    with tenant_context(world.tenant_id):
        from nguon.jobs.reevaluation import reevaluate_candidates

        await reevaluate_candidates(people, dt.date(2024, 1, 2))
    held = holder.transaction()
    await held.start()
    await holder.execute(
        "SELECT 1 FROM candidate_decision WHERE candidate = ANY($1::int[]) FOR UPDATE",
        people[4:8],
    )
    job_id, queued_id = await _queue_unit(world, batch=4)
    process = start_worker(log=tmp_path / "worker.log")
    try:
        await _until(lambda: _done_is(world, job_id, 4))
        process.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.5)
        assert process.poll() is None  # still finishing its job
        await held.rollback()
        await holder.close()
        assert await asyncio.to_thread(process.wait, 20) == 0
    finally:
        if process.poll() is None:
            process.kill()
    assert (await _progress(world, job_id)).state == "done"
    assert (await queued(queued_id))["events"].count("started") == 1


async def test_periodic_jobs_are_registered_and_a_worker_runs_them(
    postgres_db: Database, tmp_path: Path
) -> None:
    crons = {
        task.task.name: task.cron for task in jobs_app.periodic_registry.periodic_tasks.values()
    }
    assert crons["nightly_reevaluation"] == NIGHTLY_CRON
    assert crons["daily_reminders"] == REMINDERS_CRON
    assert crons["nightly_figures"] == FIGURES_CRON == "35 17 * * *"  # after the re-evaluation
    assert crons["remove_finished_jobs"] == "17 * * * *"
    assert crons["relay_leftovers"] == f"* * * * * */{RELAY_SECONDS}"

    connection = await admin_connection()
    try:
        since = await connection.fetchval("SELECT coalesce(max(id), 0) FROM procrastinate_jobs")
        process = start_worker(log=tmp_path / "worker.log")
        try:
            # A worker process starts in ~2 s on a quiet machine, several times that on a
            # busy one: wait up to a minute for its first periodic run.
            for _ in range(600):
                ran = await connection.fetchval(
                    "SELECT count(*) FROM procrastinate_jobs j JOIN procrastinate_periodic_defers d"
                    " ON d.job_id = j.id WHERE j.id > $1 AND j.task_name = 'relay_leftovers'"
                    " AND j.status = 'succeeded'",
                    since,
                )
                if ran:
                    break
                await asyncio.sleep(0.1)
        finally:
            assert stop(process) == 0
    finally:
        await connection.close()
    assert ran >= 1  # the worker ran with NGUON_EVENT_RELAY_SECONDS=1: deferred and run
