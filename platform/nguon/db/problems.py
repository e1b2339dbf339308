"""One line for an operator instead of a traceback, for the errors a wrong, unreachable,
unmigrated or under-privileged database raises (and an unreachable Redis)."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Iterator

import asyncpg

from nguon.db.engine import DatabaseUrlError

MIGRATE_HINT = "run `nguon db migrate` (as NGUON_MIGRATE_DATABASE_URL) first"


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                pending.append(linked)


def _unreachable(error: BaseException) -> bool:
    if isinstance(error, BrokenPipeError):
        return False  # our own output closed (`| head`), not the database
    if isinstance(error, ConnectionError | socket.gaierror | TimeoutError):
        return True
    return isinstance(error, OSError) and "connect call failed" in str(error).lower()


def describe_problem(error: BaseException) -> str | None:
    """The line to print for ``error``, or None when it is not a known configuration or
    connection problem (then it is a bug and keeps its traceback)."""
    for cause in _chain(error):
        line = _describe_one(cause)
        if line is not None:
            return line
    return None


def _describe_one(error: BaseException) -> str | None:
    if isinstance(error, DatabaseUrlError):
        return str(error)
    if isinstance(error, asyncpg.InvalidPasswordError):
        return f"the database refused the password: {error}"
    if isinstance(error, asyncpg.InvalidAuthorizationSpecificationError):
        return f"the database refused the connection: {error}"
    if isinstance(error, asyncpg.InvalidCatalogNameError):
        return f"{error}: create it with `nguon db setup` or fix the database URL"
    if isinstance(error, asyncpg.UndefinedTableError):
        return f"the database is not migrated ({error}): {MIGRATE_HINT}"
    if isinstance(error, asyncpg.InsufficientPrivilegeError):
        return (
            f"the database role lacks a right ({error}): run `nguon db migrate`, which grants "
            "the app role (NGUON_APP_ROLE) its rights"
        )
    if isinstance(error, asyncpg.CannotConnectNowError):
        return f"the database is starting or shutting down: {error}"
    if isinstance(error, sqlite3.OperationalError):
        message = str(error)
        if message.startswith("no such table"):
            return f"the SQLite database is not migrated ({message}): {MIGRATE_HINT}"
        if "unable to open database file" in message:
            return f"cannot open the SQLite database file: {message}"
        return None
    if _is_redis_down(error):
        return f"Redis does not answer (NGUON_REDIS_URL): {error}"
    if _unreachable(error):
        return f"cannot reach the database: {error or type(error).__name__}"
    return None


def _is_redis_down(error: BaseException) -> bool:
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - redis is a dependency
        return False
    return isinstance(error, RedisConnectionError | RedisTimeoutError)
