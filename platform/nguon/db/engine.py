"""Database engines: SQLite by default, Postgres with the tenant passed to RLS."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlparse

from asyncpg import Connection
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from nguon.tenancy.context import tenant_setting

SET_TENANT_SQL = "SELECT set_config('nguon.tenant_id', $1, $2)"


async def _apply_tenant(connection: Connection) -> None:
    await connection.execute(SET_TENANT_SQL, tenant_setting(), False)


class TenantPostgresEngine(PostgresEngine):
    """A Postgres engine whose every connection carries the current tenant.

    Pooled connections get it when acquired (asyncpg's ``setup``); connections made
    outside the pool (``.batch()``, no pool running) get it when opened.
    """

    async def start_connection_pool(self, **kwargs: Any) -> None:
        kwargs.setdefault("setup", _apply_tenant)
        await super().start_connection_pool(**kwargs)

    async def get_new_connection(self) -> Connection:
        connection = await super().get_new_connection()
        await _apply_tenant(connection)
        return connection


def postgres_config(url: str) -> dict[str, Any]:
    parsed = urlparse(url)
    config: dict[str, Any] = {
        "host": parsed.hostname or "127.0.0.1",
        "port": parsed.port or 5432,
        "database": (parsed.path or "/").lstrip("/") or "postgres",
    }
    if parsed.username:
        config["user"] = unquote(parsed.username)
    if parsed.password:
        config["password"] = unquote(parsed.password)
    return config


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        return SQLiteEngine(path=url.removeprefix("sqlite:///"))
    if url.startswith(("postgres://", "postgresql://")):
        return TenantPostgresEngine(config=postgres_config(url))
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql://…")


def is_postgres(engine: Engine) -> bool:
    return engine.engine_type == "postgres"
