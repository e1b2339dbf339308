"""Database engines: SQLite by default, Postgres with the tenant passed to RLS."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any
from urllib.parse import unquote, urlparse

from asyncpg import Connection
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine

from nguon.tenancy.context import current_tenant_id, tenant_setting

SET_TENANT_SQL = "SELECT set_config('nguon.tenant_id', $1, $2)"

_UNKNOWN = None
"""What a connection's ``nguon_tenant`` holds while its session setting is not known."""

_in_transaction_setup: ContextVar[bool] = ContextVar("nguon_transaction_setup", default=False)


def _tenant_literal() -> str:
    """The current tenant as a SQL string literal: digits only, or empty for none."""
    tenant_id = current_tenant_id.get()
    if tenant_id is None:
        return "''"
    if type(tenant_id) is not int:
        raise TypeError(f"a tenant id is an int, not {type(tenant_id).__name__}")
    return f"'{tenant_id:d}'"


CONNECT_TIMEOUT_SECONDS = 10.0
"""How long opening a pool connection may take: an unreachable server answers 503 after
this, not after asyncpg's default minute."""

SNAPSHOT = " ISOLATION LEVEL REPEATABLE READ READ ONLY"
"""What ``begin_sql`` adds for reads that all see one state of the database."""


def begin_sql(mode: str = "") -> str:
    """BEGIN and the transaction's tenant in one round trip (one simple-query message)."""
    return f"BEGIN{mode}; SELECT set_config('nguon.tenant_id', {_tenant_literal()}, true)"


class TenantConnection(Connection):
    """An asyncpg connection that remembers the tenant its session was last set to."""

    __slots__ = ("nguon_tenant",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.nguon_tenant: str | None = _UNKNOWN

    async def nguon_use_tenant(self, wanted: str) -> None:
        if self.nguon_tenant == wanted:
            return
        # Unknown until Postgres confirms: an interrupted call leaves no stale claim.
        self.nguon_tenant = _UNKNOWN
        await Connection.execute(self, SET_TENANT_SQL, wanted, False)
        self.nguon_tenant = wanted


async def _apply_tenant(connection: Connection) -> None:
    """On every acquire: make the session's tenant the current one (a round trip only
    when it differs). A transaction sets its own tenant with its BEGIN instead."""
    if _in_transaction_setup.get():
        return
    await connection.nguon_use_tenant(tenant_setting())


async def _keep_session(connection: Connection) -> None:
    """Release without ``RESET ALL``: asyncpg has already rolled back an open transaction,
    and the session's only setting, the tenant, is checked on the next acquire."""


class TenantPostgresTransaction(PostgresTransaction):
    """A transaction whose first message also sets the tenant for its duration."""

    __slots__ = ()

    async def get_connection(self) -> Connection:
        token = _in_transaction_setup.set(True)
        try:
            return await super().get_connection()
        finally:
            _in_transaction_setup.reset(token)

    async def begin(self) -> None:
        await self.connection.execute(begin_sql())

    async def commit(self) -> None:
        await self.connection.execute("COMMIT")
        self._committed = True

    async def rollback(self) -> None:
        await self.connection.execute("ROLLBACK")
        self._rolled_back = True

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            # Even when COMMIT fails; an open transaction is rolled back on release.
            if self.engine.pool:
                await self.engine.pool.release(self.connection)
            else:
                await self.connection.close()
            self.engine.current_transaction.reset(self.context)
        return exception is None


class TenantSnapshot(TenantPostgresTransaction):
    """Reads that all see the database as it was at their first statement."""

    __slots__ = ()

    async def begin(self) -> None:
        await self.connection.execute(begin_sql(SNAPSHOT))


class TenantPostgresEngine(PostgresEngine):
    """A Postgres engine whose every query runs with the current tenant, or with none.

    Pooled connections remember their session's tenant and are set again on acquire
    only when the current tenant differs; a transaction sets it (``SET LOCAL``-like) in
    the same message as its BEGIN. Connections made outside the pool (``.batch()``, no
    pool running) get it when opened.
    """

    async def start_connection_pool(self, **kwargs: Any) -> None:
        kwargs.setdefault("setup", _apply_tenant)
        kwargs.setdefault("reset", _keep_session)
        kwargs.setdefault("connection_class", TenantConnection)
        kwargs.setdefault("timeout", CONNECT_TIMEOUT_SECONDS)
        await super().start_connection_pool(**kwargs)

    async def get_new_connection(self) -> Connection:
        connection = await super().get_new_connection()
        await connection.execute(SET_TENANT_SQL, tenant_setting(), False)
        return connection

    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return TenantPostgresTransaction(engine=self, allow_nested=allow_nested)

    def snapshot(self) -> PostgresTransaction:
        """A read-only REPEATABLE READ transaction (inside a transaction: that one)."""
        return TenantSnapshot(engine=self, allow_nested=True)


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
