"""Job queue depth and age, read from procrastinate's ``procrastinate_jobs`` table at
scrape time. Where the table does not exist (SQLite, or before the jobs migration) the
collector reports nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import msgspec
from piccolo.querystring import QueryString
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from nguon.db.binding import current_engine
from nguon.db.engine import is_postgres
from nguon.jobs.queue import QUEUES

QUEUE_SQL = """
SELECT j.queue_name AS queue,
       j.status::text AS status,
       count(*) AS jobs,
       coalesce(max(extract(epoch FROM now() - coalesce(d.at, j.scheduled_at))), 0)
           AS oldest_seconds
FROM procrastinate_jobs j
LEFT JOIN LATERAL (
    SELECT min(e.at) AS at FROM procrastinate_events e
    WHERE e.job_id = j.id AND e.type = 'deferred'
) d ON true
WHERE j.status IN ('todo', 'doing')
  AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())
GROUP BY 1, 2
"""

logger = logging.getLogger("nguon.metrics")


class QueueRow(msgspec.Struct, frozen=True):
    queue: str
    status: str
    jobs: int
    oldest_seconds: float


class JobQueueCollector(Collector):
    def __init__(self, rows: list[QueueRow] | None) -> None:
        self.rows = rows
        """None: there is no queue (SQLite, or not migrated yet)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if self.rows is None:
            return
        depth = GaugeMetricFamily(
            "nguon_jobs",
            "Jobs waiting (todo) or running (doing), by queue.",
            labels=["queue", "status"],
        )
        age = GaugeMetricFamily(
            "nguon_jobs_oldest_age_seconds",
            "Age of the oldest job waiting or running, by queue and status.",
            labels=["queue", "status"],
        )
        # An idle queue reads 0, not "no data": alerts on depth and age keep working.
        seen = {(row.queue, row.status) for row in self.rows}
        idle = [
            QueueRow(queue=queue, status=status, jobs=0, oldest_seconds=0.0)
            for queue in QUEUES
            for status in ("todo", "doing")
            if (queue, status) not in seen
        ]
        for row in [*self.rows, *idle]:
            depth.add_metric([row.queue, row.status], row.jobs)
            age.add_metric([row.queue, row.status], row.oldest_seconds)
        yield depth
        yield age


async def queue_rows() -> list[QueueRow] | None:
    """The queue's jobs waiting or running; None when there is no queue to read."""
    engine = current_engine()
    if engine is None or not is_postgres(engine):
        return None
    try:
        exists: list[dict[str, Any]] = await engine.run_querystring(
            QueryString("SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS present"),
            in_pool=True,
        )
        if not exists or not exists[0]["present"]:
            return None
        rows: list[dict[str, Any]] = await engine.run_querystring(
            QueryString(QUEUE_SQL), in_pool=True
        )
    except Exception as error:  # a scrape never fails because the queue cannot be read
        logger.warning("job queue not readable for metrics", extra={"error": str(error)})
        return None
    return [msgspec.convert(row, QueueRow, strict=False) for row in rows]


def job_queue_registry(rows: list[QueueRow] | None) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(JobQueueCollector(rows))
    return registry


async def job_queue_collector() -> CollectorRegistry:
    return job_queue_registry(await queue_rows())
