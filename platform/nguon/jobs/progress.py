"""A long job's progress in the shared store, so any server process can show it."""

from __future__ import annotations

import datetime as dt
import os
from typing import Literal

import msgspec
from litestar.stores.base import Store

from nguon.db.kv_store import shared_store
from nguon.tenancy.context import require_tenant

JOBS_STORE = "jobs"
"""The name of the app's store for job progress (``app.stores.get(JOBS_STORE)``)."""
STORE_NAMESPACE = "nguon_jobs"
JOB_TTL = 24 * 60 * 60

JobKind = Literal["reevaluation", "member_import", "candidate_import", "list_export"]

_store: Store | None = None


class JobProblem(msgspec.Struct, frozen=True):
    """A located problem an import job found: sheet row (0: the file), column, message."""

    row: int
    column: str
    message: str


class Job(msgspec.Struct, kw_only=True):
    id: str
    kind: JobKind = "reevaluation"
    tenant_id: int
    unit_id: int
    unit_name: str
    started_by: str
    candidate_id: int | None = None
    """Set when the job re-evaluates one person of the unit only."""
    total: int = 0
    done: int = 0
    state: Literal["queued", "running", "done", "failed"] = "queued"
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    last_candidate_id: int = 0
    """The last candidate whose decisions are stored: a job run again resumes after it."""
    filename: str = ""
    """A member import: the file's name."""
    created: int | None = None
    """A member import: how many members it wrote (0 when the file was imported before)."""
    problems: list[JobProblem] = []
    """A member import refused: every bad row, located; nothing was written."""
    note: str = ""
    """A member import: why nothing was written although the file is good (imported before)."""
    export_id: int | None = None
    """A list export: the row its file is stored in, for the user who asked."""
    list_id: int | None = None
    """A list export: the list."""

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else int(100 * self.done / self.total)


def use_store(store: Store) -> None:
    """The store this process keeps progress in (a worker sets it at start)."""
    global _store
    _store = store


def progress_store() -> Store:
    """The store set by ``use_store``, else the one every process derives from the
    environment (Redis at ``NGUON_REDIS_URL``, else the database)."""
    return _store or shared_store(os.environ.get("NGUON_REDIS_URL") or None, STORE_NAMESPACE)


def _key(tenant_id: int, job_id: str) -> str:
    return f"{tenant_id}:{job_id}"


async def save_job(store: Store, job: Job) -> None:
    await store.set(_key(job.tenant_id, job.id), msgspec.json.encode(job), expires_in=JOB_TTL)


async def load_job(store: Store, tenant_id: int, job_id: str) -> Job | None:
    raw = await store.get(_key(tenant_id, job_id))
    return msgspec.json.decode(raw, type=Job) if raw else None


async def get_job(store: Store, job_id: str) -> Job | None:
    """A job of the current tenant, or None (unknown, expired or another tenant's)."""
    return await load_job(store, require_tenant(), job_id)
