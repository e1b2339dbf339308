"""The import jobs (Party members, surveyed candidates): the sheet an upload stored,
checked row by row, then written all or nothing; its result (created, or every bad row
located) in the job's progress.

Run twice (a worker killed after committing), it writes nothing the second time: the
upload row records the result in the same transaction as the people. The same file
(digest) imported again for the same unit and kind creates nothing and says so.
"""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar.stores.base import Store

from nguon.accounts.permissions import load_access
from nguon.accounts.tables import User
from nguon.db.transaction import atomic
from nguon.jobs.progress import JobProblem, load_job, save_job
from nguon.org.tables import OrgUnit
from nguon.people.upload_tables import MemberUpload
from nguon.tenancy.context import require_tenant
from nguon.tenancy.scoped import in_tenant


def _problems(raw: str) -> list[JobProblem]:
    return msgspec.json.decode(raw.encode(), type=list[JobProblem])


PEOPLE_WORDS = {"members": "đảng viên", "candidates": "quần chúng"}
"""What an upload's kind imports, as the job's messages name them."""


def _imported_before(day: dt.datetime | None, kind: str) -> str:
    when = f" ngày {day:%d/%m/%Y}" if day else ""
    return f"Tệp này đã được nhập cho đơn vị{when}: không ghi thêm {PEOPLE_WORDS[kind]} nào."


async def import_upload(store: Store, job_id: str, upload_id: int) -> None:
    """Import the people of upload ``upload_id`` (current tenant) and report in job ``job_id``."""
    from nguon.people.candidate_import import import_candidates
    from nguon.people.member_import import import_members
    from nguon.people.sheet_files import ImportRefused

    tenant_id = require_tenant()
    job = await load_job(store, tenant_id, job_id)
    upload = (
        await MemberUpload.select()
        .where(in_tenant(MemberUpload), MemberUpload.id == upload_id)
        .first()
    )
    if job is None or upload is None:
        return
    now = dt.datetime.now(dt.UTC)
    if upload["state"] != "queued":
        # Run again after it finished: report what the first run recorded.
        job.state, job.finished_at = "done", job.finished_at or now
        job.created = upload["created"] if upload["state"] == "imported" else None
        job.problems = _problems(upload["problems"])
        await save_job(store, job)
        return
    job.state = "running"
    await save_job(store, job)
    earlier = (
        await MemberUpload.select(MemberUpload.uploaded_at)
        .where(
            in_tenant(MemberUpload),
            MemberUpload.unit_id == upload["unit_id"],
            MemberUpload.digest == upload["digest"],
            MemberUpload.kind == upload["kind"],
            MemberUpload.state == "imported",
            MemberUpload.id != upload_id,
        )
        .first()
    )
    if earlier is not None:
        await MemberUpload.update({MemberUpload.state: "imported", MemberUpload.created: 0}).where(
            in_tenant(MemberUpload), MemberUpload.id == upload_id
        )
        job.state, job.finished_at, job.created = "done", now, 0
        job.note = _imported_before(earlier["uploaded_at"], upload["kind"])
        await save_job(store, job)
        return
    user = (
        await User.select(User.username, User.full_name)
        .where(in_tenant(User), User.id == upload["user_id"])
        .first()
    )
    unit = (
        await OrgUnit.select(OrgUnit.id, OrgUnit.path, OrgUnit.name)
        .where(in_tenant(OrgUnit), OrgUnit.id == upload["unit_id"])
        .first()
    )
    if user is None or unit is None:
        job.state, job.finished_at = "failed", now
        await save_job(store, job)
        return
    access = await load_access(upload["user_id"], tenant_id, user["username"], user["full_name"])
    try:
        async with atomic():
            content = bytes(upload["content"])
            importer = import_candidates if upload["kind"] == "candidates" else import_members
            result = await importer(access, unit, content, upload["filename"])
            await MemberUpload.update(
                {MemberUpload.state: "imported", MemberUpload.created: result.created}
            ).where(in_tenant(MemberUpload), MemberUpload.id == upload_id)
    except ImportRefused as error:
        problems = [JobProblem(p.row, p.column, p.message) for p in error.problems]
        await MemberUpload.update(
            {
                MemberUpload.state: "refused",
                MemberUpload.problems: msgspec.json.encode(problems).decode(),
            }
        ).where(in_tenant(MemberUpload), MemberUpload.id == upload_id)
        job.state, job.finished_at, job.problems = "done", now, problems
        await save_job(store, job)
        return
    job.state, job.finished_at = "done", dt.datetime.now(dt.UTC)
    job.created = job.total = job.done = result.created
    await save_job(store, job)
