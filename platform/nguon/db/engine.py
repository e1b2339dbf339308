"""Database engines: SQLite by default, Postgres with the tenant passed to RLS."""

from __future__ import annotations

import ssl
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from asyncpg import Connection
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType

from nguon.tenancy.context import current_tenant_id, tenant_setting
from nguon.text import ascii_digits

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

    async def check_version(self) -> None:
        """Nothing at construction: Piccolo would connect here and, with the server down,
        print a warning and "version 0.0"; connections are checked where they are used."""

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


class WritingSQLiteEngine(SQLiteEngine):
    """SQLite whose transactions take the write lock at BEGIN (``BEGIN IMMEDIATE``).

    A deferred transaction that read first and then writes while another connection holds
    the write lock gets "database is locked" at once: SQLite does not wait there, since
    waiting could deadlock. Taking the lock at BEGIN makes every writer wait its turn
    (up to the connection's timeout) instead of failing; the background loops of the same
    process (job runner, event relay, webhook deliveries) write beside the requests.
    """

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.immediate,
        allow_nested: bool = True,
    ) -> SQLiteTransaction:
        return super().transaction(transaction_type=transaction_type, allow_nested=allow_nested)


class DatabaseUrlError(ValueError):
    """A database URL that cannot be used as written; the message names the problem."""


SSL_MODES = frozenset({"disable", "allow", "prefer", "require", "verify-ca", "verify-full"})
URL_OPTIONS = ("sslmode", "sslrootcert", "application_name", "connect_timeout")
"""The query options a Postgres URL may carry; any other is refused by name."""


def redacted(url: str) -> str:
    """The URL without its password, fit for messages and logs."""
    parsed = urlparse(url)
    if parsed.password is None:
        return url
    netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@", 1)
    return parsed._replace(netloc=netloc).geturl()


def _url_options(url: str, query: str) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for name, values in parse_qs(query, keep_blank_values=True).items():
        value = values[-1]
        if name not in URL_OPTIONS:
            raise DatabaseUrlError(
                f"database URL {redacted(url)}: option {name!r} is not supported "
                f"(supported: {', '.join(URL_OPTIONS)})"
            )
        if name == "sslmode":
            if value not in SSL_MODES:
                raise DatabaseUrlError(
                    f"database URL {redacted(url)}: sslmode={value!r} is not one of "
                    f"{', '.join(sorted(SSL_MODES))}"
                )
            options["ssl"] = value
        elif name == "sslrootcert":
            if not Path(value).is_file():
                raise DatabaseUrlError(
                    f"database URL {redacted(url)}: sslrootcert {value!r} is not a file"
                )
            context = ssl.create_default_context(cafile=value)
            options["ssl"] = context
        elif name == "application_name":
            options["server_settings"] = {"application_name": value}
        elif name == "connect_timeout":
            if not ascii_digits(value) or int(value) == 0:
                raise DatabaseUrlError(
                    f"database URL {redacted(url)}: connect_timeout must be whole seconds"
                )
            options["timeout"] = float(value)
    return options


def postgres_config(url: str) -> dict[str, Any]:
    parsed = urlparse(url)
    try:
        port = parsed.port or 5432
    except ValueError:
        raise DatabaseUrlError(f"database URL {redacted(url)}: the port is not a number") from None
    config: dict[str, Any] = {
        "host": parsed.hostname or "127.0.0.1",
        "port": port,
        "database": unquote((parsed.path or "/").lstrip("/")) or "postgres",
    }
    if parsed.username:
        config["user"] = unquote(parsed.username)
    if parsed.password:
        config["password"] = unquote(parsed.password)
    config.update(_url_options(url, parsed.query))
    return config


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///FILE`` URL, refused when its folder does not exist."""
    path = Path(url.removeprefix("sqlite:///").split("?", 1)[0])
    if "?" in url:
        raise DatabaseUrlError(f"database URL {url}: SQLite URLs take no options")
    if not path.name:
        raise DatabaseUrlError(f"database URL {url}: name a file (sqlite:///FILE)")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise DatabaseUrlError(f"database URL {url}: the folder {str(folder)!r} does not exist")
    return path


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        return WritingSQLiteEngine(path=str(sqlite_path(url)))
    if url.startswith(("postgres://", "postgresql://")):
        return TenantPostgresEngine(config=postgres_config(url))
    raise DatabaseUrlError(
        f"unsupported database URL {redacted(url)!r}: use sqlite:///FILE or postgresql://…"
    )


def is_postgres(engine: Engine) -> bool:
    return engine.engine_type == "postgres"
