"""Which failures are outages (503 with Retry-After) and which are bugs (500)."""

from __future__ import annotations

import sqlite3

import asyncpg
import pytest
import redis.exceptions

from nguon.api.outages import outage_of


def _raised_from(cause: BaseException) -> Exception:
    try:
        try:
            raise cause
        except BaseException as error:
            raise RuntimeError("wrapped") from error
    except RuntimeError as wrapped:
        return wrapped


@pytest.mark.parametrize(
    ("error", "dependency"),
    [
        (ConnectionRefusedError(111, "Connect call failed"), "database"),
        (TimeoutError(), "database"),
        (asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"), "database"),
        (asyncpg.exceptions.AdminShutdownError("terminating connection"), "database"),
        (
            asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
            "database",
        ),
        (asyncpg.exceptions.TooManyConnectionsError("too many clients"), "database"),
        (
            asyncpg.exceptions.ObjectNotInPrerequisiteStateError(
                'database "nguon" is not currently accepting connections'
            ),
            "database",
        ),
        (asyncpg.InterfaceError("connection is closed"), "database"),
        (sqlite3.OperationalError("database is locked"), "database"),
        (redis.exceptions.ConnectionError("Error 111 connecting"), "session_store"),
        (redis.exceptions.TimeoutError("Timeout reading from socket"), "session_store"),
        (_raised_from(redis.exceptions.ConnectionError("down")), "session_store"),
        (_raised_from(ConnectionResetError(104, "reset")), "database"),
    ],
)
def test_outages_name_the_dependency(error: BaseException, dependency: str) -> None:
    outage = outage_of(error)
    assert outage is not None
    assert outage.dependency == dependency


@pytest.mark.parametrize(
    "error",
    [
        ValueError("a bug"),
        FileNotFoundError(2, "No such file"),
        asyncpg.exceptions.UniqueViolationError("duplicate key"),
        asyncpg.exceptions.ObjectNotInPrerequisiteStateError("cannot refresh"),
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
        sqlite3.OperationalError("no such table: candidate"),
        redis.exceptions.ResponseError("WRONGTYPE"),
    ],
)
def test_bugs_are_not_outages(error: BaseException) -> None:
    assert outage_of(error) is None
