"""Long jobs started from the portal, with progress any server process can report.

A job runs as a task in the process that started it; its state (total, done, state)
lives in the shared store, so the progress page works whichever process answers.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
from typing import Any, Literal

import msgspec
from litestar.stores.base import Store

from nguon.api.transaction import atomic
from nguon.people.tables import Candidate
from nguon.pipeline.decisions import store_evaluations
from nguon.pipeline.evaluation import evaluate_rows
from nguon.tenancy.context import require_tenant
from nguon.tenancy.scoped import in_tenant

JOBS_STORE = "jobs"
JOB_TTL = 24 * 60 * 60
BATCH = 50

logger = logging.getLogger("nguon.portal.jobs")
_running: set[asyncio.Task[None]] = set()


class Job(msgspec.Struct, kw_only=True):
    id: str
    tenant_id: int
    unit_id: int
    unit_name: str
    started_by: str
    candidate_id: int | None = None
    """Set when the job re-evaluates one person of the unit only."""
    total: int = 0
    done: int = 0
    state: Literal["running", "done", "failed"] = "running"
    started_at: dt.datetime
    finished_at: dt.datetime | None = None

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else int(100 * self.done / self.total)


def _key(tenant_id: int, job_id: str) -> str:
    return f"{tenant_id}:{job_id}"


async def _save(store: Store, job: Job) -> None:
    await store.set(_key(job.tenant_id, job.id), msgspec.json.encode(job), expires_in=JOB_TTL)


async def get_job(store: Store, job_id: str) -> Job | None:
    """A job of the current tenant, or None (unknown, expired or another tenant's)."""
    raw = await store.get(_key(require_tenant(), job_id))
    return msgspec.json.decode(raw, type=Job) if raw else None


async def start_reevaluation(
    store: Store,
    unit_path: str,
    unit_id: int,
    unit_name: str,
    by: str,
    candidate_id: int | None = None,
) -> Job:
    """Re-evaluate every candidate in the unit's subtree (or only ``candidate_id``, who is
    in it) and store their decisions."""
    tenant_id = require_tenant()
    total = await Candidate.count().where(*_scope(unit_path, candidate_id))
    job = Job(
        id=secrets.token_urlsafe(12),
        tenant_id=tenant_id,
        unit_id=unit_id,
        unit_name=unit_name,
        started_by=by,
        candidate_id=candidate_id,
        total=total,
        started_at=dt.datetime.now(dt.UTC),
    )
    await _save(store, job)
    # The task inherits this context: the tenant stays set while it runs.
    task = asyncio.create_task(_reevaluate(store, job, unit_path, candidate_id))
    _running.add(task)
    task.add_done_callback(_running.discard)
    return job


def _scope(unit_path: str, candidate_id: int | None) -> list[Any]:
    where: list[Any] = [in_tenant(Candidate), Candidate.unit_path.like(f"{unit_path}%")]
    if candidate_id is not None:
        where.append(Candidate.id == candidate_id)
    return where


async def _reevaluate(
    store: Store, job: Job, unit_path: str, candidate_id: int | None = None
) -> None:
    today = dt.date.today()
    last_id = 0
    try:
        while True:
            rows = await (
                Candidate.select()
                .where(*_scope(unit_path, candidate_id), Candidate.id > last_id)
                .order_by(Candidate.id)
                .limit(BATCH)
                .run()
            )
            if not rows:
                break
            last_id = rows[-1]["id"]
            evaluations = await evaluate_rows(rows, today)
            async with atomic():
                await store_evaluations(list(evaluations.values()), today)
            job.done = min(job.total, job.done + len(rows))
            await _save(store, job)
        job.state = "done"
        job.done = job.total
    except Exception:
        logger.exception("re-evaluation failed", extra={"job": job.id, "unit_id": job.unit_id})
        job.state = "failed"
    job.finished_at = dt.datetime.now(dt.UTC)
    await _save(store, job)


async def wait_for_jobs() -> None:
    """Let the jobs of this process finish (server shutdown, tests)."""
    if _running:
        await asyncio.gather(*_running, return_exceptions=True)
