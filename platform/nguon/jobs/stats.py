"""What the queue holds now, for metrics and operators (Postgres; SQLite has no queue)."""

from __future__ import annotations

import msgspec

from nguon.db.binding import current_engine
from nguon.db.engine import is_postgres
from nguon.tenancy.tables import Tenant

_COUNTS = (
    "SELECT queue_name, task_name, status::text AS status, count(*) AS jobs"
    " FROM procrastinate_jobs WHERE status IN ('todo', 'doing', 'failed')"
    " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
)
_OLDEST = (
    "SELECT j.queue_name, EXTRACT(EPOCH FROM now() - min(e.at))::float AS seconds"
    " FROM procrastinate_jobs j JOIN procrastinate_events e"
    " ON e.job_id = j.id AND e.type = 'deferred'"
    " WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())"
    " GROUP BY 1"
)


class QueueCount(msgspec.Struct, frozen=True):
    queue: str
    task: str
    status: str
    jobs: int


class QueueStats(msgspec.Struct, frozen=True):
    counts: list[QueueCount]
    """Jobs waiting (``todo``), running (``doing``) and left failed, per queue and task."""
    oldest_waiting_seconds: dict[str, float]
    """Per queue, how long its oldest job due now has waited (absent: none waiting)."""


async def queue_stats() -> QueueStats:
    if not is_postgres(current_engine()):
        return QueueStats(counts=[], oldest_waiting_seconds={})
    counts = await Tenant.raw(_COUNTS).run()
    oldest = await Tenant.raw(_OLDEST).run()
    return QueueStats(
        counts=[
            QueueCount(
                queue=r["queue_name"], task=r["task_name"], status=r["status"], jobs=r["jobs"]
            )
            for r in counts
        ],
        oldest_waiting_seconds={row["queue_name"]: row["seconds"] for row in oldest},
    )
