"""Whether any ``nguon worker`` is alive: the heartbeats procrastinate records (Postgres).

On SQLite the server runs the jobs itself, so there is no worker to wait for.
"""

from __future__ import annotations

import datetime as dt

import asyncpg

from nguon.db.binding import current_engine
from nguon.db.engine import is_postgres
from nguon.tenancy.tables import Tenant

ALIVE_WITHIN_SECONDS = 30.0
"""A worker is alive when it sent a heartbeat within this (``nguon worker``'s default
``--stalled-after``: after it, the others take its jobs back)."""

NO_WORKER_HINT_SECONDS = 30
"""A job page says that no worker runs once its job has waited this long."""

_COUNT = (
    "SELECT count(*) AS workers FROM procrastinate_workers"
    " WHERE last_heartbeat > now() - make_interval(secs => {})"
)


async def live_workers(within_seconds: float = ALIVE_WITHIN_SECONDS) -> int | None:
    """How many workers sent a heartbeat within ``within_seconds``; None on SQLite."""
    if not is_postgres(current_engine()):
        return None
    rows = await Tenant.raw(_COUNT, within_seconds).run()
    return int(rows[0]["workers"])


async def live_workers_on(
    connection: asyncpg.Connection, within_seconds: float = ALIVE_WITHIN_SECONDS
) -> int:
    """``live_workers`` on a plain connection (``nguon check``)."""
    return int(await connection.fetchval(_COUNT.replace("{}", "$1"), within_seconds))


def waited_seconds(started_at: dt.datetime, now: dt.datetime | None = None) -> int:
    return int(((now or dt.datetime.now(dt.UTC)) - started_at).total_seconds())
