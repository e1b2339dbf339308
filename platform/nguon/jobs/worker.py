"""``nguon worker``: run the queued jobs until SIGTERM/SIGINT, then stop gracefully."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import asyncpg
import msgspec
import procrastinate

from nguon.db.binding import bind_engine
from nguon.db.engine import is_postgres, make_engine
from nguon.db.kv_store import shared_store
from nguon.jobs.progress import STORE_NAMESPACE, use_store
from nguon.jobs.queue import QUEUES, make_connector
from nguon.settings import Settings

logger = logging.getLogger("nguon.jobs")


class WorkerOptions(msgspec.Struct, frozen=True, kw_only=True):
    concurrency: int = 4
    """Jobs run at once by this process."""
    heartbeat_seconds: float = 10.0
    """How often the worker tells the database it is alive."""
    stalled_after_seconds: float = 30.0
    """A worker silent this long is dead: its running jobs are queued again."""
    poll_seconds: float = 5.0
    """Longest wait for a job when no notification arrives."""
    shutdown_seconds: float = 60.0
    """On SIGTERM, how long running jobs may take to finish before they are aborted."""
    name: str | None = None
    wait_for_database: float = 60.0
    """At start, how long a database that does not answer yet is waited for."""


class CannotStart(RuntimeError):
    """The worker cannot run: SQLite (jobs run inside the server process there), or a
    database it cannot reach. The message is the one line an operator needs."""


async def requeue_stalled(app: procrastinate.App, stalled_after: float) -> int:
    """Queue again the jobs of workers whose heartbeat stopped (a kill -9, a lost
    machine); how many. Racing workers may both see a job: one of them requeues it."""
    count = 0
    for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
        try:
            await app.job_manager.retry_job(job)
        except Exception as error:  # taken back already by another worker
            logger.info("stalled job %s not requeued here: %s", job.id, error)
            continue
        logger.warning("job %s (%s) of a stalled worker queued again", job.id, job.task_name)
        count += 1
    return count


async def _watch_stalled(app: procrastinate.App, options: WorkerOptions) -> None:
    while True:
        try:
            await requeue_stalled(app, options.stalled_after_seconds)
        except Exception:
            logger.exception("looking for stalled jobs failed")
        await asyncio.sleep(max(options.stalled_after_seconds / 2, 0.5))


async def run_worker(settings: Settings, options: WorkerOptions) -> None:
    from nguon.jobs.tasks import app

    engine = make_engine(settings.database_url)
    if not is_postgres(engine):
        raise CannotStart(
            "NGUON_DATABASE_URL is SQLite: jobs run inside the server process, "
            "no worker is needed (a worker needs Postgres)"
        )
    bind_engine(engine)
    # Like `nguon serve`: a database restarting (or starting next to the worker) is waited
    # for, one log line per attempt, up to NGUON_WAIT_FOR_DATABASE seconds.
    deadline = time.monotonic() + options.wait_for_database
    attempt = 0
    while True:
        attempt += 1
        try:
            await engine.start_connection_pool(min_size=1, max_size=options.concurrency + 2)
            break
        except (OSError, asyncpg.PostgresError) as error:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CannotStart(
                    f"the database of NGUON_DATABASE_URL cannot be reached: {error}"
                ) from None
            logger.warning(
                "waiting for the database",
                extra={"attempt": attempt, "seconds_left": round(left), "error": str(error)},
            )
            await asyncio.sleep(min(2.0, left))
    use_store(shared_store(settings.redis_url, STORE_NAMESPACE))
    connector = make_connector(engine, min_size=2, max_size=options.concurrency + 4)
    try:
        with app.replace_connector(connector):
            async with app.open_async():
                watcher = asyncio.create_task(_watch_stalled(app, options), name="stalled")
                try:
                    await app.run_worker_async(
                        queues=list(QUEUES),
                        concurrency=options.concurrency,
                        name=options.name,
                        update_heartbeat_interval=options.heartbeat_seconds,
                        stalled_worker_timeout=options.stalled_after_seconds,
                        fetch_job_polling_interval=options.poll_seconds,
                        abort_job_polling_interval=options.poll_seconds,
                        shutdown_graceful_timeout=options.shutdown_seconds,
                    )
                finally:
                    watcher.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await watcher
    finally:
        await engine.close_connection_pool()
