"""The procrastinate app: its connection, its queues and the retry policy of tasks."""

from __future__ import annotations

import datetime as dt
import os
import random
from typing import Any

import asyncpg
import procrastinate
import psycopg
from piccolo.engine.base import Engine
from procrastinate.retry import BaseRetryStrategy, RetryDecision

QUEUE = "nguon"
"""The platform's tasks run on this queue; finished jobs are kept ``KEPT_HOURS``."""
RELAY_QUEUE = "nguon_relay"
"""The frequent sweep for leftovers: its finished jobs are kept one hour only."""
QUEUES = (QUEUE, RELAY_QUEUE)
KEPT_HOURS = 7 * 24


class Retryable(Exception):
    """A failure worth trying again later (a receiver or a service down for a while)."""


RETRYABLE: tuple[type[BaseException], ...] = (
    Retryable,
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.SerializationError,
    psycopg.OperationalError,
)


class Backoff(BaseRetryStrategy):
    """Exponential backoff with up to 25 % jitter for retryable failures only.

    The n-th retry waits ``base * 2**(n-1)`` seconds, capped; other exceptions fail
    the job at once (a bug does not get better by waiting)."""

    def __init__(self, base_seconds: float, max_attempts: int, cap_seconds: float) -> None:
        self.base_seconds = base_seconds
        self.max_attempts = max_attempts
        self.cap_seconds = cap_seconds

    def delay(self, attempts: int) -> float:
        seconds = self.base_seconds * (2**attempts)
        return min(seconds * (1 + random.uniform(0, 0.25)), self.cap_seconds)

    def get_retry_decision(
        self, *, exception: BaseException, job: procrastinate.jobs.Job
    ) -> RetryDecision | None:
        if job.attempts + 1 >= self.max_attempts or not isinstance(exception, RETRYABLE):
            return None
        return RetryDecision(
            retry_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.delay(job.attempts))
        )


def retry_policy() -> Backoff:
    """``NGUON_JOBS_RETRY_SECONDS`` (first wait, 10) and ``NGUON_JOBS_MAX_ATTEMPTS`` (8)."""
    return Backoff(
        base_seconds=float(os.environ.get("NGUON_JOBS_RETRY_SECONDS", "10")),
        max_attempts=int(os.environ.get("NGUON_JOBS_MAX_ATTEMPTS", "8")),
        cap_seconds=6 * 60 * 60,
    )


def conninfo(engine: Engine) -> str:
    """A libpq connection string for the database the Piccolo engine talks to, as the
    same role: jobs live in that database, next to the rows they are about."""
    config: dict[str, Any] = dict(getattr(engine, "config", {}))
    parts = {
        "host": config.get("host", "127.0.0.1"),
        "port": config.get("port", 5432),
        "user": config.get("user"),
        "password": config.get("password"),
        "dbname": config.get("database"),
    }
    return psycopg.conninfo.make_conninfo(**{k: v for k, v in parts.items() if v is not None})


def make_connector(engine: Engine, **pool: Any) -> procrastinate.PsycopgConnector:
    """A procrastinate connector on the engine's database (``pool``: psycopg pool options)."""
    return procrastinate.PsycopgConnector(conninfo=conninfo(engine), **pool)
