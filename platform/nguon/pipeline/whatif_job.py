"""What-if as a job: the current tenant's real people evaluated, reading only, under the
version in force for the tenant and under a draft version of its package, on a chosen
date; the report is stored in ``rules_whatif`` (any process reads it; it outlives the
progress store's day) and progress goes to the shared progress store.

Nothing else is written: no decision, no list, no candidate.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
from datetime import date

import msgspec
from litestar.stores.base import Store

from nguon.db.transaction import atomic
from nguon.errors import NotFound
from nguon.jobs.enqueue import enqueue
from nguon.jobs.progress import Job, load_job, save_job, use_store
from nguon.pipeline.publication import draft_version, published_versions
from nguon.pipeline.rules_tables import RulesWhatIf
from nguon.rules.package import RulesPackage
from nguon.rules.registry import load_package
from nguon.rules.whatif import Person, UnitChanges, WhatIfReport, compare
from nguon.rules.whatif_tenant import current_tenant_people
from nguon.tenancy.context import require_tenant
from nguon.tenancy.package import tenant_package_id
from nguon.tenancy.scoped import in_tenant

TASK = "rules_whatif"
CHUNK = 200
"""People per step of progress (whole units: one unit is never split)."""

logger = logging.getLogger("nguon.jobs")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def draft_rules_on(package: RulesPackage, version_id: str, on: date) -> date:
    """The day whose rules are the draft's, for people evaluated on ``on``."""
    version = draft_version(package, version_id)
    day = max(on, version.valid_from)
    if version.valid_to is not None and day >= version.valid_to:
        day = version.valid_to - dt.timedelta(days=1)
    return day


async def start_whatif(store: Store, version_id: str, on: date, by: str) -> Job:
    """Queue a what-if of draft ``version_id`` of the tenant's package on ``on``."""
    tenant_id = require_tenant()
    package_id = await tenant_package_id()
    draft_version(load_package(package_id), version_id)
    job = Job(
        id=secrets.token_urlsafe(12),
        tenant_id=tenant_id,
        unit_id=0,
        unit_name=f"{package_id}@{version_id}",
        started_by=by,
        started_at=_now(),
    )
    use_store(store)
    async with atomic():
        await RulesWhatIf(
            tenant_id=tenant_id,
            job_id=job.id,
            package=package_id,
            version=version_id,
            on_date=on,
            started_by=by,
        ).save()
        await save_job(store, job)
        await enqueue(TASK, tenant_id, job_id=job.id)
    return job


def _chunks(people: list[Person]) -> list[list[Person]]:
    by_unit: dict[int, list[Person]] = {}
    for person in people:
        by_unit.setdefault(person.unit_id, []).append(person)
    chunks: list[list[Person]] = [[]]
    for members in by_unit.values():
        if chunks[-1] and len(chunks[-1]) + len(members) > CHUNK:
            chunks.append([])
        chunks[-1].extend(members)
    return [chunk for chunk in chunks if chunk]


async def _set_state(job_id: str, state: str, report: str | None = None) -> None:
    values: dict = {RulesWhatIf.state: state}
    if report is not None:
        values[RulesWhatIf.report] = report
    await RulesWhatIf.update(values).where(in_tenant(RulesWhatIf), RulesWhatIf.job_id == job_id)


async def run_whatif(store: Store, job_id: str) -> None:
    """The job: evaluate, compare, store the report (idempotent: a done job is skipped)."""
    row = await (
        RulesWhatIf.select()
        .where(in_tenant(RulesWhatIf), RulesWhatIf.job_id == job_id)
        .first()
        .run()
    )
    if row is None or row["state"] == "done":
        return
    job = await load_job(store, require_tenant(), job_id)
    try:
        package = load_package(row["package"])
        on = row["on_date"]
        _, current_on = package.in_force_for(on, await published_versions(package.id))
        proposed_on = draft_rules_on(package, row["version"], on)
        people = await current_tenant_people(on)
        if job is not None:
            job.state, job.total = "running", len(people)
            await save_job(store, job)
        await _set_state(job_id, "running")
        units: list[UnitChanges] = []
        report: WhatIfReport | None = None
        for chunk in _chunks(people) or [[]]:
            part = await asyncio.to_thread(
                compare, package, package, chunk, on, current_on, proposed_on
            )
            units.extend(part.units)
            report = part
            if job is not None:
                job.done = min(job.total, job.done + len(chunk))
                await save_job(store, job)
        assert report is not None
        report.people = len(people)
        report.units = sorted(units, key=lambda u: (u.unit_name, u.unit_id))
        await _set_state(job_id, "done", msgspec.json.encode(report).decode())
    except Exception:
        logger.exception("what-if failed", extra={"job": job_id})
        await _set_state(job_id, "failed")
        if job is not None:
            job.state, job.finished_at = "failed", _now()
            await save_job(store, job)
        raise
    if job is not None:
        job.state, job.done, job.finished_at = "done", job.total, _now()
        await save_job(store, job)


class WhatIfRun(msgspec.Struct, kw_only=True):
    job_id: str
    package: str
    version: str
    on: date
    state: str
    started_by: str
    created_at: dt.datetime
    report: WhatIfReport | None = None


async def whatif_run(job_id: str) -> WhatIfRun:
    """A what-if of the current tenant (NotFound for another tenant's or none)."""
    row = await (
        RulesWhatIf.select()
        .where(in_tenant(RulesWhatIf), RulesWhatIf.job_id == job_id)
        .first()
        .run()
    )
    if row is None:
        raise NotFound("what-if job")
    return WhatIfRun(
        job_id=row["job_id"],
        package=row["package"],
        version=row["version"],
        on=row["on_date"],
        state=row["state"],
        started_by=row["started_by"],
        created_at=row["created_at"],
        report=msgspec.json.decode(row["report"], type=WhatIfReport) if row["report"] else None,
    )


async def recent_runs(version_id: str, limit: int = 5) -> list[dict]:
    return await (
        RulesWhatIf.select(
            RulesWhatIf.job_id,
            RulesWhatIf.on_date,
            RulesWhatIf.state,
            RulesWhatIf.started_by,
            RulesWhatIf.created_at,
        )
        .where(in_tenant(RulesWhatIf), RulesWhatIf.version == version_id)
        .order_by(RulesWhatIf.id, ascending=False)
        .limit(limit)
        .run()
    )
