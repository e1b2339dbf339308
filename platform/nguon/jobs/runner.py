"""Jobs run inside this process: every job on SQLite (the demo has no worker), and, for
tests and one-off commands on Postgres, draining the queue without a worker process."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Any

from nguon.db.binding import current_engine
from nguon.db.engine import is_postgres
from nguon.jobs.queue import RETRYABLE, retry_policy

logger = logging.getLogger("nguon.jobs")
_running: set[asyncio.Task[None]] = set()


def run_soon(task: str, payload: dict[str, Any], at: dt.datetime | None = None) -> None:
    """Start ``task`` in this process's event loop (after ``at``), retried with the
    same backoff as on a worker while it fails for a retryable reason."""
    running = asyncio.get_running_loop().create_task(_run(task, payload, at), name=task)
    _running.add(running)
    running.add_done_callback(_running.discard)


async def _run(task: str, payload: dict[str, Any], at: dt.datetime | None) -> None:
    from nguon.jobs.tasks import TASKS

    if at is not None:
        await asyncio.sleep(max((at - dt.datetime.now(dt.UTC)).total_seconds(), 0))
    policy = retry_policy()
    attempts = 0
    while True:
        try:
            await TASKS[task](**payload)
            return
        except RETRYABLE:
            attempts += 1
            if attempts >= policy.max_attempts:
                logger.exception("job %s gave up after %s attempts", task, attempts)
                return
            await asyncio.sleep(policy.delay(attempts - 1))
        except Exception:
            logger.exception("job %s failed", task)
            return


async def drain_queue() -> None:
    """Run every job waiting in the Postgres queue now, in this process, then return."""
    from nguon.jobs.queue import make_connector
    from nguon.jobs.tasks import app

    with app.replace_connector(make_connector(current_engine())):
        async with app.open_async():
            await app.run_worker_async(
                wait=False,
                install_signal_handlers=False,
                listen_notify=False,
                update_heartbeat_interval=1,
            )


async def wait_for_jobs() -> None:
    """Let the jobs asked for by this process finish (tests, short commands): the
    in-process ones, and on Postgres whatever waits in the queue."""
    while _running:
        await asyncio.gather(*list(_running), return_exceptions=True)
    if is_postgres(current_engine()):
        with contextlib.suppress(asyncio.CancelledError):
            await drain_queue()
