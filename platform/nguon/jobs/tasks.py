"""The platform's tasks: each runs for one tenant, set before any query (RLS holds).

``TASKS`` maps a task name to its function, for the in-process runner (SQLite) and for
``enqueue``; ``app`` is the procrastinate app whose worker runs them on Postgres.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

import procrastinate

from nguon.clock import today_in_vietnam
from nguon.jobs.enqueue import enqueue
from nguon.jobs.progress import progress_store
from nguon.jobs.queue import KEPT_HOURS, QUEUE, RELAY_QUEUE, retry_policy
from nguon.jobs.reevaluation import reevaluate_candidates, reevaluate_due, reevaluate_unit
from nguon.outbound import guarded_client
from nguon.tenancy.context import tenant_context
from nguon.tenancy.tables import Tenant

TaskFunction = Callable[..., Awaitable[Any]]

TASKS: dict[str, TaskFunction] = {}

app = procrastinate.App(connector=procrastinate.PsycopgConnector())
"""Connected by ``nguon worker`` (``replace_connector``) to the app's database."""

logger = logging.getLogger("nguon.jobs")


def task(name: str) -> Callable[[TaskFunction], TaskFunction]:
    """Register ``function(**args)`` as task ``name``, run in its job's tenant."""

    def register(function: TaskFunction) -> TaskFunction:
        async def in_tenant(tenant_id: int | None = None, **args: Any) -> Any:
            with tenant_context(tenant_id):
                return await function(**args)

        TASKS[name] = in_tenant
        app.task(name=name, queue=QUEUE, retry=retry_policy())(in_tenant)
        return function

    return register


@task("reevaluate_unit")
async def reevaluate_unit_task(
    job_id: str, unit_path: str, batch: int = 50, candidate_id: int | None = None
) -> None:
    await reevaluate_unit(progress_store(), job_id, unit_path, batch, candidate_id)


@task("import_members")
async def import_members_task(job_id: str, upload_id: int) -> None:
    from nguon.jobs.sheet_import import import_upload

    await import_upload(progress_store(), job_id, upload_id)


@task("import_candidates")
async def import_candidates_task(job_id: str, upload_id: int) -> None:
    from nguon.jobs.sheet_import import import_upload

    await import_upload(progress_store(), job_id, upload_id)


@task("export_list")
async def export_list_task(job_id: str, export_id: int) -> None:
    from nguon.jobs.list_export import export_list

    await export_list(progress_store(), job_id, export_id)


@task("reevaluate_person")
async def reevaluate_person_task(candidate_id: int, on: str | None = None) -> int:
    day = dt.date.fromisoformat(on) if on else today_in_vietnam()
    return await reevaluate_candidates([candidate_id], day)


@task("reevaluate_due")
async def reevaluate_due_task(on: str) -> int:
    return await reevaluate_due(dt.date.fromisoformat(on))


@task("count_figures")
async def count_figures_task(on: str) -> int:
    """The day's figure roll-ups counted ahead of its first views; how many units."""
    from nguon.reports.rollups import count_ahead

    counted = await count_ahead(dt.date.fromisoformat(on))
    logger.info("figures of %s: %d units counted, %d kept", on, counted.counted, counted.kept)
    return counted.counted


@task("rules_whatif")
async def rules_whatif_task(job_id: str) -> None:
    from nguon.pipeline.whatif_job import run_whatif

    await run_whatif(progress_store(), job_id)


@task("deliver_webhook")
async def deliver_webhook_task(delivery: int) -> None:
    from nguon.plugins_builtin.webhooks.outbox import DELIVER_TASK, deliver_one

    async with guarded_client() as client:
        next_attempt = await deliver_one(client, delivery)
    if next_attempt is not None:
        # The delivery's own backoff (per tenant settings) says when to try again.
        from nguon.tenancy.context import require_tenant

        await enqueue(
            DELIVER_TASK,
            require_tenant(),
            delivery=delivery,
            lock=f"webhook:{delivery}",
            queueing_lock=f"webhook:{delivery}",
            at=next_attempt,
        )


@task("send_reminders")
async def send_reminders_task(on: str) -> int:
    from nguon.plugins_builtin.reminders.service import send_reminders
    from nguon.tenancy.context import require_tenant

    return len(await send_reminders(require_tenant(), dt.date.fromisoformat(on)))


@task("relay_events")
async def relay_events_task() -> None:
    """What a crash left over: pipeline events not dispatched, deliveries with no job."""
    from nguon.pipeline.outbox import relay_pending
    from nguon.plugins_builtin.webhooks.outbox import deliver_due

    with tenant_context(None):
        await relay_pending()
        async with guarded_client() as client:
            await deliver_due(client)


async def for_every_tenant(name: str, day: dt.date) -> int:
    """One job of task ``name`` per tenant for ``day`` (twice asked, once queued)."""
    with tenant_context(None):
        tenants = await Tenant.select(Tenant.id).order_by(Tenant.id)
    for row in tenants:
        await enqueue(
            name, row["id"], queueing_lock=f"{name}:{row['id']}:{day}", on=day.isoformat()
        )
    return len(tenants)


VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
"""Periodic jobs act for the day in Việt Nam; their cron lines are in UTC."""
NIGHTLY_CRON = "5 17 * * *"
"""00:05 in Việt Nam (UTC+7): the day whose thresholds (birthdays, expiries) fall has begun."""
FIGURES_CRON = "35 17 * * *"
"""00:35 in Việt Nam, after the nightly re-evaluation: the new day's figures counted."""
REMINDERS_CRON = "0 1 * * *"
"""08:00 in Việt Nam: reminders arrive at the start of the working day."""
RELAY_SECONDS = min(max(int(os.environ.get("NGUON_EVENT_RELAY_SECONDS", "15") or 15), 1), 59)
RELAY_CRON = f"* * * * * */{RELAY_SECONDS}"
"""Every ``NGUON_EVENT_RELAY_SECONDS``: what a crash left undispatched or undelivered."""


@app.periodic(cron=NIGHTLY_CRON)
@app.task(name="nightly_reevaluation", queue=QUEUE, queueing_lock="nightly_reevaluation")
async def nightly_reevaluation(timestamp: int) -> int:
    return await for_every_tenant("reevaluate_due", _day_of(timestamp))


@app.periodic(cron=FIGURES_CRON)
@app.task(name="nightly_figures", queue=QUEUE, queueing_lock="nightly_figures")
async def nightly_figures(timestamp: int) -> int:
    return await for_every_tenant("count_figures", _day_of(timestamp))


@app.periodic(cron=REMINDERS_CRON)
@app.task(name="daily_reminders", queue=QUEUE, queueing_lock="daily_reminders")
async def daily_reminders(timestamp: int) -> int:
    return await for_every_tenant("send_reminders", _day_of(timestamp))


@app.periodic(cron=RELAY_CRON)
@app.task(name="relay_leftovers", queue=RELAY_QUEUE, queueing_lock="relay_leftovers")
async def relay_leftovers(timestamp: int) -> None:
    await relay_events_task()


CLEANUP_CRON = "17 * * * *"


@app.periodic(cron=CLEANUP_CRON)
@app.task(
    name="remove_finished_jobs",
    queue=QUEUE,
    queueing_lock="remove_finished_jobs",
    pass_context=True,
)
async def remove_finished_jobs(context: procrastinate.JobContext, timestamp: int) -> None:
    """Succeeded jobs leave the queue after ``KEPT_HOURS`` (the sweep's after an hour);
    failed ones stay for an operator to read. So do the files jobs kept (``cleanup``)."""
    from nguon.jobs.cleanup import remove_old_files

    manager = context.app.job_manager
    await manager.delete_old_jobs(nb_hours=1, queue=RELAY_QUEUE)
    await manager.delete_old_jobs(nb_hours=KEPT_HOURS, queue=QUEUE)
    removed = await remove_old_files()
    logger.info(
        "removed %d list exports and the bytes of %d member sheets older than %d hours,"
        " %d figure roll-ups of past days",
        removed.exports,
        removed.uploads_emptied,
        KEPT_HOURS,
        removed.rollups,
    )


def _day_of(timestamp: int) -> dt.date:
    """The day in Việt Nam at a periodic job's scheduled time."""
    return dt.datetime.fromtimestamp(timestamp, VIETNAM).date()
