"""Enqueue a job in the caller's transaction: it exists only if the change commits.

On Postgres the job row goes into procrastinate's table through the Piccolo connection
of the current transaction (no second connection, so a rollback takes the job with it).
On SQLite the job runs in this process once the transaction has committed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from nguon.db.binding import current_engine
from nguon.db.engine import is_postgres
from nguon.db.transaction import on_commit
from nguon.jobs.queue import QUEUE
from nguon.tenancy.tables import Tenant

_INSERT = (
    "INSERT INTO procrastinate_jobs"
    " (queue_name, task_name, priority, lock, queueing_lock, args, scheduled_at)"
    " VALUES ({}, {}, 0, {}, {}, {}::jsonb, {})"
    " ON CONFLICT (queueing_lock) WHERE status = 'todo' DO NOTHING RETURNING id"
)


async def enqueue(
    task: str,
    tenant_id: int | None,
    *,
    lock: str | None = None,
    queueing_lock: str | None = None,
    at: dt.datetime | None = None,
    **args: Any,
) -> int | None:
    """Ask for ``task(**args)`` to run for ``tenant_id`` (None: a job of no tenant).

    ``lock``: jobs sharing it never run at the same time. ``queueing_lock``: at most one
    job waiting with it (another enqueue is dropped). ``at``: not before then. Returns
    the job id on Postgres (None when dropped), None on SQLite."""
    from nguon.jobs.tasks import TASKS

    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}")
    payload = {"tenant_id": tenant_id, **args}
    if not is_postgres(current_engine()):
        from nguon.jobs.runner import run_soon

        on_commit(lambda: run_soon(task, payload, at))
        return None
    rows = await Tenant.raw(
        _INSERT,
        QUEUE,
        task,
        lock,
        queueing_lock,
        msgspec.json.encode(payload).decode(),
        at,
    ).run()
    return rows[0]["id"] if rows else None
