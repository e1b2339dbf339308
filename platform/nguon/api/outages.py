"""Which dependency an exception says is down: the database or the session store (Redis).

Such a failure is not a bug of the request: it is answered 503 with ``Retry-After``
(``nguon.api.errors``), and the next request tries again. asyncpg's pool replaces closed
connections on acquire, and redis-py reconnects on the next command, so service comes
back by itself once the dependency does.
"""

from __future__ import annotations

import errno
import socket
import sqlite3
from typing import Literal

import asyncpg
import msgspec
import redis.exceptions

Dependency = Literal["database", "session_store"]

RETRY_AFTER_SECONDS = 30
"""What ``Retry-After`` asks of clients while a dependency is down."""

_NETWORK_ERRNOS = frozenset(
    {errno.ECONNREFUSED, errno.ECONNRESET, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EPIPE}
)
_POSTGRES_DOWN = (
    asyncpg.PostgresConnectionError,  # class 08: connection lost or refused
    asyncpg.exceptions.OperatorInterventionError,  # class 57: shut down, terminated
    asyncpg.exceptions.InsufficientResourcesError,  # class 53: too many connections
)
_SQLITE_DOWN = ("database is locked", "unable to open database file", "disk i/o error")


class Outage(msgspec.Struct, frozen=True):
    dependency: Dependency
    reason: str
    """The exception's class name, for the log (never shown to users)."""


def _network_failure(error: BaseException) -> bool:
    if isinstance(error, ConnectionError | TimeoutError | socket.gaierror):
        return True
    return isinstance(error, OSError) and error.errno in _NETWORK_ERRNOS


def _database_down(error: BaseException) -> bool:
    if isinstance(error, _POSTGRES_DOWN):
        return True
    if isinstance(error, asyncpg.ObjectNotInPrerequisiteStateError):
        # ALTER DATABASE … ALLOW_CONNECTIONS false: "not currently accepting connections"
        return "accepting connections" in str(error)
    if isinstance(error, asyncpg.InterfaceError):
        return "connection is closed" in str(error) or "pool is closing" in str(error)
    if isinstance(error, sqlite3.OperationalError):
        return str(error).lower() in _SQLITE_DOWN
    return _network_failure(error)


def outage_of(error: BaseException) -> Outage | None:
    """The dependency ``error`` (or an exception it was raised from) says is down."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
            return Outage(dependency="session_store", reason=type(current).__name__)
        if _database_down(current):
            return Outage(dependency="database", reason=type(current).__name__)
        current = current.__cause__ or current.__context__
    return None


def outage_message(outage: Outage, *, signing_in: bool) -> str:
    """What users read: Vietnamese first, then English for API clients."""
    if outage.dependency == "session_store":
        if signing_in:
            return (
                "Tạm thời chưa đăng nhập được: kho phiên đăng nhập không trả lời. "
                "Vui lòng thử lại sau ít phút. / Signing in is unavailable for now: "
                "the session store does not answer."
            )
        return (
            "Kho phiên đăng nhập tạm thời không trả lời; vui lòng thử lại sau ít phút. / "
            "The session store is temporarily unavailable, please retry later."
        )
    return (
        "Cơ sở dữ liệu tạm thời không truy cập được; dữ liệu của bạn không bị ảnh hưởng. "
        "Vui lòng thử lại sau ít phút. / The database is temporarily unavailable, "
        "please retry later."
    )
