"""What ``nguon check`` prints and ``nguon serve`` checks before serving: one line each."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import asyncpg
import msgspec
from cryptography.fernet import InvalidToken

from nguon.crypto import decrypt_national_id, key_id, secret_keys
from nguon.db.engine import (
    SET_TENANT_SQL,
    DatabaseUrlError,
    make_engine,
    postgres_config,
    redacted,
    sqlite_path,
)
from nguon.db.problems import MIGRATE_HINT, describe_problem
from nguon.jobs.liveness import ALIVE_WITHIN_SECONDS as ALIVE
from nguon.jobs.liveness import live_workers_on
from nguon.settings import DEFAULT_SQLITE_URL

MIN_SECRET_KEY_LENGTH = 32


class Check(msgspec.Struct, frozen=True):
    name: str
    ok: bool
    detail: str
    retry: bool = False
    """A failure that may go away by itself (the database restarting)."""
    warning: bool = False
    """Works, but not as it should be run (the app connected as the owner role)."""

    def line(self) -> str:
        mark = "✗" if not self.ok else "!" if self.warning else "✓"
        return f"{mark} {self.name}: {self.detail}"


def _env_url(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


def app_url() -> str:
    return _env_url("NGUON_DATABASE_URL", DEFAULT_SQLITE_URL)


def owner_url() -> str:
    return _env_url("NGUON_MIGRATE_DATABASE_URL", app_url())


def check_secret_key() -> Check:
    key = os.environ.get("NGUON_SECRET_KEY", "").strip()
    if not key:
        return Check(
            "secret key",
            False,
            'NGUON_SECRET_KEY is not set (python3 -c "import secrets; '
            'print(secrets.token_urlsafe(48))")',
        )
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return Check(
            "secret key",
            False,
            f"NGUON_SECRET_KEY has {len(key)} characters; use at least {MIN_SECRET_KEY_LENGTH}",
        )
    return Check("secret key", True, f"set ({len(key)} characters)")


def check_url(variable: str, url: str) -> Check:
    try:
        if url.startswith("sqlite:///"):
            sqlite_path(url)
        else:
            make_engine_config_only(url)
    except DatabaseUrlError as error:
        return Check(variable, False, str(error))
    return Check(variable, True, redacted(url))


def make_engine_config_only(url: str) -> None:
    if not url.startswith(("postgres://", "postgresql://")):
        make_engine(url)  # raises for an unsupported scheme
    postgres_config(url)


async def _pending_migrations(connection: asyncpg.Connection) -> list[str]:
    from nguon.db.migrations_list import migration_ids

    table = await connection.fetchval("SELECT to_regclass('migration') IS NOT NULL")
    if not table:
        return migration_ids()
    applied = {
        row["name"]
        for row in await connection.fetch("SELECT name FROM migration WHERE app_name = 'nguon'")
    }
    return [name for name in migration_ids() if name not in applied]


async def _postgres_checks(url: str, owner: str) -> list[Check]:
    try:
        connection = await asyncpg.connect(**postgres_config(url), timeout=5)
    except Exception as error:
        line = describe_problem(error) or f"{type(error).__name__}: {error}"
        retry = isinstance(error, OSError | asyncpg.CannotConnectNowError)
        return [Check("database", False, f"{redacted(url)}: {line}", retry=retry)]
    checks = [Check("database", True, f"{redacted(url)} answers")]
    if owner != url:
        checks.append(await _owner_check(owner))
        if not checks[-1].ok:
            await connection.close()
            return checks
    try:
        checks.append(await _schema_check(connection, owner))
        checks.append(await _app_role_check(connection))
        if all(check.ok for check in checks) and os.environ.get("NGUON_SECRET_KEY", "").strip():
            checks.append(await _stored_key_check(connection))
        if all(check.ok for check in checks):
            checks.append(await _worker_check(connection))
    finally:
        await connection.close()
    return checks


async def _owner_check(owner: str) -> Check:
    """The owner's URL, which operator commands and migrations use, answers too."""
    try:
        connection = await asyncpg.connect(**postgres_config(owner), timeout=5)
    except Exception as error:
        line = describe_problem(error) or f"{type(error).__name__}: {error}"
        retry = isinstance(error, OSError | asyncpg.CannotConnectNowError)
        return Check("owner database", False, f"{redacted(owner)}: {line}", retry=retry)
    await connection.close()
    return Check("owner database", True, f"{redacted(owner)} answers (operator commands)")


async def _worker_check(connection: asyncpg.Connection) -> Check:
    """A warning, not a failure: the servers may start before the workers."""
    workers = await live_workers_on(connection)
    if workers:
        return Check("worker", True, f"{workers} alive (heartbeat in the last {ALIVE:.0f} s)")
    return Check(
        "worker",
        True,
        f"none seen in the last {ALIVE:.0f} s: imports, re-evaluations, webhooks and "
        "reminders wait in the queue until `nguon worker` runs",
        warning=True,
    )


async def _schema_check(connection: asyncpg.Connection, owner: str) -> Check:
    try:
        pending = await _pending_migrations(connection)
    except asyncpg.InsufficientPrivilegeError:
        # The app role may not read Piccolo's table; the owner can.
        try:
            owner_connection = await asyncpg.connect(**postgres_config(owner), timeout=5)
        except Exception as error:
            return Check("schema", False, describe_problem(error) or str(error))
        try:
            pending = await _pending_migrations(owner_connection)
        finally:
            await owner_connection.close()
    if pending:
        return Check(
            "schema",
            False,
            f"{len(pending)} migration(s) not applied ({pending[-1]}…): {MIGRATE_HINT}",
        )
    return Check("schema", True, "every migration applied")


async def _app_role_check(connection: asyncpg.Connection) -> Check:
    from nguon.piccolo_app import TABLES

    names = [table._meta.tablename for table in TABLES]
    role = await connection.fetchrow(
        "SELECT current_user AS name, rolsuper, rolbypassrls FROM pg_roles "
        "WHERE rolname = current_user"
    )
    assert role is not None
    if role["rolsuper"] or role["rolbypassrls"]:
        return Check(
            "app role",
            False,
            f"{role['name']!r} bypasses Row-Level Security (superuser or BYPASSRLS): connect "
            "the app as the role `nguon db setup` made (NOBYPASSRLS)",
        )
    lacking = await connection.fetch(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relname = ANY($1::text[]) "
        "AND NOT has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE')",
        names,
    )
    owns = await connection.fetchval(
        "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
        " AND tablename = ANY($1::text[]) AND tableowner = current_user",
        names,
    )
    if owns:
        return Check(
            "app role",
            True,
            f"{role['name']!r} owns the tables (it may change the schema and read a tenant "
            "being merged): set NGUON_DATABASE_URL to the app role `nguon db setup` made",
            warning=True,
        )
    if lacking:
        shown = ", ".join(sorted(row["relname"] for row in lacking)[:5])
        return Check(
            "app role",
            False,
            f"{role['name']!r} may not read or write {len(lacking)} table(s) ({shown}): run "
            f"`nguon db migrate` with NGUON_APP_ROLE={role['name']}",
        )
    return Check("app role", True, f"{role['name']!r} has its rights, under Row-Level Security")


async def _stored_key_check(connection: asyncpg.Connection) -> Check:
    """Whether the secret key opens what the database holds: national ID numbers encrypted
    with a key that is neither NGUON_SECRET_KEY nor NGUON_SECRET_KEY_PREVIOUS mean the
    wrong key was given (served, they would read as blanks and escape duplicate checks)."""
    known = {key_id(secret) for secret in secret_keys()}
    foreign: dict[str, int] = {}
    try:
        for tenant in await connection.fetch("SELECT id FROM tenant ORDER BY id"):
            await connection.execute(SET_TENANT_SQL, str(tenant["id"]), False)
            for row in await connection.fetch(
                "SELECT national_id_key AS key, count(*) AS people,"
                " min(national_id_encrypted) AS sample FROM candidate"
                " WHERE national_id_encrypted IS NOT NULL GROUP BY national_id_key"
            ):
                if row["key"] in known:
                    continue
                if row["key"] is None:
                    try:
                        decrypt_national_id(row["sample"])
                        continue
                    except InvalidToken:
                        pass
                name = row["key"] or "written before key ids"
                foreign[name] = foreign.get(name, 0) + row["people"]
    finally:
        await connection.execute(SET_TENANT_SQL, "", False)
    if foreign:
        shown = ", ".join(f"{people} under key {name}" for name, people in foreign.items())
        return Check(
            "stored data",
            False,
            f"national ID numbers were encrypted with another key ({shown}; this key is "
            f"{key_id(secret_keys()[0])}): give the key this database was made with, or while "
            "rotating set NGUON_SECRET_KEY_PREVIOUS to the old key",
        )
    return Check("stored data", True, "the secret key opens the national ID numbers stored")


def _sqlite_checks(url: str) -> list[Check]:
    path = sqlite_path(url)
    if not path.exists():
        return [Check("database", False, f"{path} does not exist: {MIGRATE_HINT}")]
    checks = [Check("database", True, f"{path} exists")]
    from nguon.db.migrations_list import migration_ids

    connection = sqlite3.connect(path)
    try:
        try:
            applied = {
                row[0]
                for row in connection.execute("SELECT name FROM migration WHERE app_name = 'nguon'")
            }
        except sqlite3.OperationalError:
            applied = set()
    finally:
        connection.close()
    pending = [name for name in migration_ids() if name not in applied]
    if pending:
        checks.append(
            Check("schema", False, f"{len(pending)} migration(s) not applied: {MIGRATE_HINT}")
        )
    else:
        checks.append(Check("schema", True, "every migration applied"))
    return checks


async def check_redis() -> Check:
    url = os.environ.get("NGUON_REDIS_URL", "").strip()
    if not url:
        return Check("redis", True, "not configured: sessions are kept in the database")
    from redis.asyncio import Redis

    try:
        client = Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    except ValueError as error:
        return Check("redis", False, f"NGUON_REDIS_URL: {error}")
    try:
        await client.ping()
    except Exception as error:
        return Check("redis", False, f"{redacted(url)} does not answer: {error}", retry=True)
    finally:
        await client.aclose()
    return Check("redis", True, f"{redacted(url)} answers")


async def database_checks() -> list[Check]:
    url, owner = app_url(), owner_url()
    checks = [check_url("NGUON_DATABASE_URL", url)]
    if owner != url:
        checks.append(check_url("NGUON_MIGRATE_DATABASE_URL", owner))
    if not all(check.ok for check in checks):
        return checks
    if url.startswith("sqlite:///"):
        return checks + _sqlite_checks(url)
    if owner != url:
        same = _same_database(url, owner)
        if same is not None:
            return [*checks, same]
    return checks + await _postgres_checks(url, owner)


def _same_database(url: str, owner: str) -> Check | None:
    """A failed check when the two URLs reach different databases, else None."""
    if not owner.startswith(("postgres://", "postgresql://")):
        return Check("databases", False, "NGUON_MIGRATE_DATABASE_URL is not a Postgres URL")
    app, own = postgres_config(url), postgres_config(owner)

    def named(config: dict[str, Any], given: str) -> str:
        given_name = urlparse(given).path.strip("/")
        return f"'{config['database']}'" + ("" if given_name else " (none given: the default)")

    if app["database"] == own["database"]:
        return None  # the hosts may differ (a pooler in front of the app, say)
    return Check(
        "databases",
        False,
        f"NGUON_DATABASE_URL names database {named(app, url)} but NGUON_MIGRATE_DATABASE_URL"
        f" names {named(own, owner)}: both must name the installation's database",
    )


async def run_checks() -> list[Check]:
    return [check_secret_key(), *await database_checks(), await check_redis()]


def checks_waiting_for_database(wait_seconds: int, log: Callable[[str], None]) -> list[Check]:
    """``run_checks``, retried while only the database or Redis is not answering, one log
    line per attempt, for at most ``wait_seconds`` (a restarting database is not fatal)."""
    deadline = time.monotonic() + wait_seconds
    attempt = 0
    while True:
        attempt += 1
        checks = asyncio.run(run_checks())
        failed = [check for check in checks if not check.ok]
        if not failed or not all(check.retry for check in failed):
            return checks
        left = deadline - time.monotonic()
        if left <= 0:
            return checks
        delay = min(2.0, left)
        for check in failed:
            log(f"waiting for {check.name} (attempt {attempt}, {int(left)} s left): {check.detail}")
        time.sleep(delay)
