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
    def __init__(self, rows: list[QueueRow]) -> None:
        self.rows = rows

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if not self.rows:
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
        for row in self.rows:
            depth.add_metric([row.queue, row.status], row.jobs)
            age.add_metric([row.queue, row.status], row.oldest_seconds)
        yield depth
        yield age


async def queue_rows() -> list[QueueRow]:
    engine = current_engine()
    if engine is None or not is_postgres(engine):
        return []
    try:
        exists: list[dict[str, Any]] = await engine.run_querystring(
            QueryString("SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS present"),
            in_pool=True,
        )
        if not exists or not exists[0]["present"]:
            return []
        rows: list[dict[str, Any]] = await engine.run_querystring(
            QueryString(QUEUE_SQL), in_pool=True
        )
    except Exception as error:  # a scrape never fails because the queue cannot be read
        logger.warning("job queue not readable for metrics", extra={"error": str(error)})
        return []
    return [msgspec.convert(row, QueueRow, strict=False) for row in rows]


async def job_queue_collector() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(JobQueueCollector(await queue_rows()))
    return registry
