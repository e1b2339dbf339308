"""Plain statements on hot paths: straight to asyncpg on Postgres, through Piccolo on SQLite.

A statement written out (``{}`` for each argument, as Piccolo's ``Table.raw`` takes it) goes
to the connection Piccolo would have used — the current transaction's, or one from the pool,
whose acquiring sets the tenant — without Piccolo's query object around it, which costs the
web process as much again as asyncpg's own work (108 against 49 µs per statement, measured on
this machine). Rows are plain dicts, as ``Table.raw(...).run()`` gives them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from nguon.db.binding import current_engine
from nguon.db.engine import TenantPostgresEngine
from nguon.org.tables import OrgUnit


@lru_cache(maxsize=512)
def numbered(sql: str) -> str:
    """``sql`` with its ``{}`` placeholders numbered as Postgres's ``$1``, ``$2``…"""
    first, *rest = sql.split("{}")
    return first + "".join(f"${number}{part}" for number, part in enumerate(rest, 1))


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """The rows of the statement ``sql`` given ``args`` (``{}`` for each, never in a
    literal), as the current tenant."""
    engine = current_engine()
    if isinstance(engine, TenantPostgresEngine):
        transaction = engine.current_transaction.get()
        if transaction is not None:
            records = await transaction.connection.fetch(numbered(sql), *args)
            return [dict(record) for record in records]
        if engine.pool is not None:
            async with engine.pool.acquire() as connection:
                records = await connection.fetch(numbered(sql), *args)
            return [dict(record) for record in records]
    return await OrgUnit.raw(sql, *args).run()
