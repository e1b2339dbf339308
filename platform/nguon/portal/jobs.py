"""Long jobs started from the portal: queued as durable jobs, progress in the shared store.

The job runs on a worker (Postgres) or in this process (SQLite); its progress lives in
the shared store, so the progress page works whichever process answers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any, Literal

from litestar.stores.base import Store

from nguon.accounts.permissions import Access
from nguon.audit.service import record_event
from nguon.db.transaction import atomic
from nguon.jobs.enqueue import enqueue
from nguon.jobs.progress import JOBS_STORE, Job, get_job, save_job, use_store
from nguon.jobs.reevaluation import reevaluation_scope
from nguon.jobs.runner import wait_for_jobs
from nguon.people.tables import Candidate
from nguon.people.upload_tables import MemberUpload
from nguon.pipeline.stages import actor_of
from nguon.tenancy.context import require_tenant

__all__ = [
    "JOBS_STORE",
    "Job",
    "get_job",
    "request_import",
    "request_reevaluation",
    "start_person_reevaluation",
    "start_reevaluation",
    "wait_for_jobs",
]


async def start_reevaluation(
    store: Store,
    unit_path: str,
    unit_id: int,
    unit_name: str,
    by: str,
    candidate_id: int | None = None,
) -> Job:
    """Queue the re-evaluation of every candidate in the unit's subtree (or only
    ``candidate_id``, who is in it), with progress."""
    tenant_id = require_tenant()
    total = await Candidate.count().where(*reevaluation_scope(unit_path, candidate_id))
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
    use_store(store)
    await save_job(store, job)
    await enqueue(
        "reevaluate_unit", tenant_id, job_id=job.id, unit_path=unit_path, candidate_id=candidate_id
    )
    return job


async def request_reevaluation(
    store: Store,
    access: Access,
    unit_path: str,
    unit_id: int,
    unit_name: str,
    candidate_id: int | None = None,
) -> Job:
    """A user asks for a re-evaluation: the job is queued and the request audited, in one
    transaction."""
    async with atomic():
        job = await start_reevaluation(
            store, unit_path, unit_id, unit_name, access.username, candidate_id
        )
        entity = ("candidate", candidate_id) if candidate_id is not None else ("org_unit", unit_id)
        await record_event(
            actor_of(access), "reevaluation_requested", *entity, None, {"job": job.id}
        )
    return job


async def start_person_reevaluation(candidate_id: int) -> int | None:
    """Queue the re-evaluation of one candidate of the current tenant (decisions stored
    on the day it runs); the queue's job id on Postgres, None on SQLite."""
    return await enqueue("reevaluate_person", require_tenant(), candidate_id=candidate_id)


IMPORTS = {
    "members": ("member_import", "import_members"),
    "candidates": ("candidate_import", "import_candidates"),
}
"""An upload's kind → the job's kind and the task that imports it."""


async def request_import(
    store: Store,
    access: Access,
    unit: Any,
    filename: str,
    content: bytes,
    kind: Literal["members", "candidates"] = "members",
) -> Job:
    """Keep the uploaded sheet and queue its import into ``unit`` (one the user may
    manage), audited, in one transaction; the job reports created or every bad row."""
    tenant_id = require_tenant()
    job_kind, task = IMPORTS[kind]
    job = Job(
        id=secrets.token_urlsafe(12),
        kind=job_kind,
        tenant_id=tenant_id,
        unit_id=unit.id,
        unit_name=unit.name,
        started_by=access.username,
        filename=filename,
        started_at=dt.datetime.now(dt.UTC),
    )
    digest = hashlib.sha256(content).hexdigest()
    async with atomic():
        [row] = await MemberUpload.insert(
            MemberUpload(
                tenant_id=tenant_id,
                unit_id=unit.id,
                user_id=access.user_id,
                filename=filename[:255],
                digest=digest,
                content=content,
                job_id=job.id,
                kind=kind,
            )
        ).returning(MemberUpload.id)
        use_store(store)
        await save_job(store, job)
        await enqueue(
            task,
            tenant_id,
            job_id=job.id,
            upload_id=row["id"],
            lock=f"{job_kind}:{tenant_id}:{unit.id}",
        )
        await record_event(
            actor_of(access),
            f"{job_kind}_requested",
            "org_unit",
            unit.id,
            None,
            {"job": job.id, "file": filename, "sha256": digest},
        )
    return job
