"""The job queue gauges read procrastinate's tables when they exist, and report nothing
otherwise (SQLite, or a database without the jobs migration)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from prometheus_client import generate_latest

from nguon.db.binding import bind_engine, current_engine
from nguon.db.engine import TenantPostgresEngine, postgres_config
from nguon.observability.jobs import (
    QueueRow,
    job_queue_collector,
    job_queue_registry,
    queue_rows,
)
from tests.conftest import ADMIN_URL, Database, _unavailable

pytestmark = pytest.mark.postgres

PROCRASTINATE_LIKE = """
CREATE TYPE procrastinate_job_status AS ENUM ('todo', 'doing', 'succeeded', 'failed');
CREATE TABLE procrastinate_jobs (
    id bigserial PRIMARY KEY,
    queue_name text NOT NULL,
    task_name text NOT NULL,
    status procrastinate_job_status NOT NULL DEFAULT 'todo',
    scheduled_at timestamptz
);
CREATE TABLE procrastinate_events (
    id bigserial PRIMARY KEY,
    job_id bigint NOT NULL REFERENCES procrastinate_jobs,
    type text NOT NULL,
    at timestamptz DEFAULT now()
);
"""


@pytest.fixture
async def queue_database() -> AsyncIterator[str]:
    name = f"nguon_jobs_metrics_{uuid.uuid4().hex[:10]}"
    try:
        admin = await asyncpg.connect(**postgres_config(ADMIN_URL), timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        _unavailable(str(error))
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        admin = await asyncpg.connect(**postgres_config(ADMIN_URL), timeout=5)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await admin.close()


async def _rows_on(url: str) -> list[QueueRow] | None:
    engine = TenantPostgresEngine(config=postgres_config(url))
    previous = current_engine()
    bind_engine(engine)
    try:
        return await queue_rows()
    finally:
        bind_engine(previous)


async def test_no_queue_table_reports_nothing(queue_database: str, sqlite_db: Database) -> None:
    assert await _rows_on(queue_database) is None
    assert await queue_rows() is None  # SQLite
    assert b"nguon_jobs" not in generate_latest(await job_queue_collector())


async def test_queue_depth_and_age_by_queue_and_status(queue_database: str) -> None:
    connection = await asyncpg.connect(**postgres_config(queue_database))
    try:
        await connection.execute(PROCRASTINATE_LIKE)
        await connection.execute(
            """
            INSERT INTO procrastinate_jobs (queue_name, task_name, status, scheduled_at) VALUES
                ('evaluations', 'reevaluate_unit', 'todo', NULL),
                ('evaluations', 'reevaluate_unit', 'todo', NULL),
                ('evaluations', 'reevaluate_unit', 'doing', NULL),
                ('evaluations', 'reevaluate_unit', 'todo', now() + interval '1 hour'),
                ('webhooks', 'deliver', 'succeeded', NULL);
            INSERT INTO procrastinate_events (job_id, type, at)
                SELECT id, 'deferred', now() - interval '120 seconds' * id
                FROM procrastinate_jobs;
            """
        )
    finally:
        await connection.close()
    found = await _rows_on(queue_database)
    assert found is not None
    rows = {(row.queue, row.status): row for row in found}
    assert set(rows) == {("evaluations", "todo"), ("evaluations", "doing")}
    assert rows["evaluations", "todo"].jobs == 2  # the one scheduled later is not due
    assert rows["evaluations", "doing"].jobs == 1
    assert 230 <= rows["evaluations", "todo"].oldest_seconds < 300  # job 2, deferred 240 s ago


def test_an_idle_queue_reads_zero_rather_than_nothing() -> None:
    shown = generate_latest(job_queue_registry([])).decode()
    assert 'nguon_jobs{queue="nguon",status="todo"} 0.0' in shown
    assert 'nguon_jobs_oldest_age_seconds{queue="nguon",status="doing"} 0.0' in shown
