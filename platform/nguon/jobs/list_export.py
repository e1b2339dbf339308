"""Large lists exported by a job: the file is made on a worker, kept for the user who
asked, and downloaded from the job's page (or the API) when it is ready.

A list of up to ``EXPORT_JOB_ABOVE`` people is answered in the request, as before; above
that, building and rendering the form would hold a web process for seconds.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets

from litestar import Response
from litestar.stores.base import Store

from nguon.accounts.permissions import Access, load_access
from nguon.accounts.tables import User
from nguon.audit.service import record_event
from nguon.db.transaction import atomic
from nguon.errors import NotFound
from nguon.jobs.enqueue import enqueue
from nguon.jobs.progress import Job, load_job, save_job, use_store
from nguon.pipeline.document_parts import attachment_disposition
from nguon.pipeline.documents_build import (
    build_list_document,
    download_name,
    export_options,
    list_renderers,
)
from nguon.pipeline.export_tables import ListExport
from nguon.pipeline.list_read import ListRead
from nguon.pipeline.stages import actor_of
from nguon.tenancy.context import require_tenant
from nguon.tenancy.scoped import in_tenant

EXPORT_JOB_ABOVE = int(os.environ.get("NGUON_EXPORT_JOB_ABOVE", "500") or 500)
"""Lists with more people than this are exported by a job, not in the request."""


def exported_by_job(read: ListRead) -> bool:
    return len(read.entries) > EXPORT_JOB_ABOVE


async def request_list_export(
    store: Store, access: Access, read: ListRead, format: str, number: str, signer: str
) -> Job:
    """Queue the export of a list the user may read, audited, in one transaction (the
    job's ``export_id`` is the row its file will be stored in)."""
    tenant_id = require_tenant()
    row = read.row
    job = Job(
        id=secrets.token_urlsafe(12),
        kind="list_export",
        tenant_id=tenant_id,
        unit_id=row["unit"],
        unit_name=row["unit.name"],
        started_by=access.username,
        total=len(read.entries),
        list_id=row["id"],
        started_at=dt.datetime.now(dt.UTC),
    )
    async with atomic():
        [stored] = await ListExport.insert(
            ListExport(
                tenant_id=tenant_id,
                list_id=row["id"],
                user_id=access.user_id,
                format=format,
                number=number,
                signer=signer,
                job_id=job.id,
            )
        ).returning(ListExport.id)
        job.export_id = stored["id"]
        use_store(store)
        await save_job(store, job)
        await enqueue("export_list", tenant_id, job_id=job.id, export_id=stored["id"])
        await record_event(
            actor_of(access),
            "list_export_requested",
            "candidate_list",
            row["id"],
            None,
            {"job": job.id, "format": format, "people": len(read.entries)},
        )
    return job


async def export_list(store: Store, job_id: str, export_id: int) -> None:
    """Make the file of export ``export_id`` (current tenant) as its user may see the
    list, and report in job ``job_id``. Run again after it finished, it does nothing."""
    tenant_id = require_tenant()
    job = await load_job(store, tenant_id, job_id)
    wanted = (
        await ListExport.select().where(in_tenant(ListExport), ListExport.id == export_id).first()
    )
    if job is None or wanted is None:
        return
    if wanted["state"] != "queued":
        # Run again after the file was stored (a worker killed before reporting).
        job.state = "done" if wanted["state"] == "done" else "failed"
        job.finished_at = job.finished_at or dt.datetime.now(dt.UTC)
        job.done = job.total if job.state == "done" else 0
        await save_job(store, job)
        return
    job.state = "running"
    await save_job(store, job)
    user = (
        await User.select(User.username, User.full_name)
        .where(in_tenant(User), User.id == wanted["user_id"])
        .first()
    )
    renderer = list_renderers().get(wanted["format"])
    if user is None or renderer is None:
        await _finish(store, job, export_id, "failed")
        return
    access = await load_access(wanted["user_id"], tenant_id, user["username"], user["full_name"])
    try:
        options = export_options(wanted["number"], wanted["signer"])
        document = await build_list_document(access, wanted["list_id"], options)
    except NotFound:
        # The user lost sight of the list since asking: no file.
        await _finish(store, job, export_id, "failed")
        return
    content = renderer.render(document)
    await ListExport.update(
        {
            ListExport.state: "done",
            ListExport.content: content,
            ListExport.media_type: renderer.media_type,
            ListExport.filename: download_name(document, renderer)[:255],
        }
    ).where(in_tenant(ListExport), ListExport.id == export_id)
    job.state, job.finished_at, job.done = "done", dt.datetime.now(dt.UTC), job.total
    await save_job(store, job)


async def _finish(store: Store, job: Job, export_id: int, state: str) -> None:
    await ListExport.update({ListExport.state: state}).where(
        in_tenant(ListExport), ListExport.id == export_id
    )
    job.state, job.finished_at = "failed", dt.datetime.now(dt.UTC)
    await save_job(store, job)


async def exported_download(access: Access, export_id: int) -> Response[bytes]:
    """The finished file of an export the caller asked for; 404 for anyone else's, another
    tenant's, one not ready or already removed."""
    found = (
        await ListExport.select(ListExport.content, ListExport.media_type, ListExport.filename)
        .where(
            in_tenant(ListExport),
            ListExport.id == export_id,
            ListExport.user_id == access.user_id,
            ListExport.state == "done",
        )
        .first()
    )
    if found is None or found["content"] is None:
        raise NotFound("export")
    return Response(
        content=bytes(found["content"]),
        media_type=found["media_type"],
        headers={"Content-Disposition": attachment_disposition(found["filename"])},
    )
