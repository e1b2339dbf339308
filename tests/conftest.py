"""Shared fixtures: a migrated SQLite database, and the real Postgres server.

Postgres tests use the server on 127.0.0.1:5432 for real. Where it cannot be reached
they are skipped on a developer's machine and FAIL when CI=true, so a missing service
can never pass unnoticed.
"""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import asyncpg
import msgspec
import pytest
from hypothesis import Phase, settings
from piccolo.engine.base import Engine

from nguon.db.binding import bind_engine, using_engine
from nguon.db.engine import TenantPostgresEngine, make_engine, postgres_config
from nguon.db.migrate import migrate
from nguon.db.security import RoleNames, setup_database

ADMIN_URL = os.environ.get("NGUON_TEST_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_DATABASE = os.environ.get("NGUON_TEST_DATABASE", "nguon_test")
TEST_ROLES = RoleNames(owner="nguon_test_owner", app="nguon_test_app")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
REDIS_URL = os.environ.get("NGUON_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# Every process and command needs the key (only ``nguon demo`` makes its own).
os.environ.setdefault("NGUON_SECRET_KEY", "test-secret-key-for-the-whole-test-suite")  # 32+
if os.environ.get("NGUON_MUTATION"):
    # Under bench.mutation only whether a mutant fails counts: a failing example is not
    # shrunk (shrinking a property test's history took longer than the mutant's timeout).
    settings.register_profile(
        "mutation", phases=[phase for phase in Phase if phase is not Phase.shrink]
    )
    settings.load_profile("mutation")

    @pytest.fixture(scope="session", autouse=True)
    def _rules_packages_loaded_under_the_mutant() -> None:
        """A mutant's tests are collected in a process forked after a first collection, which
        loaded the bundled rules packages (parametrised tests read their cases) with the
        code unmutated, and the registry keeps them: load them again under the mutant."""
        from nguon.rules.registry import clear_cache

        clear_cache()


class Database(msgspec.Struct):
    """One database as the tests see it: the app's engine and the owner's."""

    kind: str
    app: Engine
    owner: Engine

    def as_owner(self) -> AbstractContextManager[Engine]:
        return using_engine(self.owner)


def _unavailable(reason: str, service: str = "PostgreSQL") -> None:
    if IN_CI:
        pytest.fail(f"{service} is required in CI and is unavailable: {reason}")
    pytest.skip(f"{service} unavailable: {reason}")


def role_url(role: str, database: str) -> str:
    config = postgres_config(ADMIN_URL)
    return f"postgresql://{role}@{config['host']}:{config['port']}/{database}"


@pytest.fixture(scope="session")
async def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Database]:
    path = Path(tmp_path_factory.mktemp("sqlite")) / "nguon.sqlite"
    url = f"sqlite:///{path}"
    await migrate(url)
    engine = make_engine(url)
    yield Database(kind="sqlite", app=engine, owner=engine)


@pytest.fixture(scope="session")
async def postgres_database() -> AsyncIterator[Database]:
    try:
        admin = await asyncpg.connect(**postgres_config(ADMIN_URL), timeout=5)
    except (TimeoutError, OSError, asyncpg.PostgresError) as error:
        _unavailable(str(error))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {TEST_DATABASE} WITH (FORCE)")
    finally:
        await admin.close()
    await setup_database(ADMIN_URL, TEST_DATABASE, TEST_ROLES)
    owner_url = role_url(TEST_ROLES.owner, TEST_DATABASE)
    await migrate(owner_url, TEST_ROLES)
    app = TenantPostgresEngine(config=postgres_config(role_url(TEST_ROLES.app, TEST_DATABASE)))
    owner = TenantPostgresEngine(config=postgres_config(owner_url))
    await app.start_connection_pool(min_size=1, max_size=8)
    yield Database(kind="postgres", app=app, owner=owner)
    await app.close_connection_pool()


@pytest.fixture
def sqlite_db(sqlite_database: Database) -> Iterator[Database]:
    """The app bound to the SQLite database."""
    bind_engine(sqlite_database.app)
    yield sqlite_database


@pytest.fixture
def postgres_db(postgres_database: Database) -> Iterator[Database]:
    """The app bound to Postgres as the NOBYPASSRLS app role."""
    bind_engine(postgres_database.app)
    yield postgres_database


@pytest.fixture
async def one_connection(postgres_db: Database) -> AsyncIterator[TenantPostgresEngine]:
    """The app role with a pool of exactly one connection: every query reuses it."""
    engine = TenantPostgresEngine(config=postgres_config(role_url(TEST_ROLES.app, TEST_DATABASE)))
    await engine.start_connection_pool(min_size=1, max_size=1)
    try:
        with using_engine(engine):
            yield engine
    finally:
        await engine.close_connection_pool()


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest) -> Iterator[Database]:
    """Run the test once on SQLite and once on Postgres."""
    database: Database = request.getfixturevalue(f"{request.param}_database")
    bind_engine(database.app)
    yield database


@pytest.fixture
async def redis_url() -> str:
    """The Redis server for tests (database 15), checked reachable: skipped without it on a
    developer's machine, a failure when CI=true."""
    import redis.asyncio as redis

    client = redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (OSError, redis.RedisError) as error:
        _unavailable(str(error), "Redis")
    finally:
        await client.aclose()
    return REDIS_URL


BACKGROUND_LOOPS = frozenset({"nguon-webhooks", "nguon-events", "stalled"})
"""The names of the tasks a started app or worker runs until it is stopped."""


@pytest.fixture(autouse=True)
async def no_background_loop_outlives_its_test() -> AsyncIterator[None]:
    """A test that starts an app stops it: its loops would otherwise read and write every
    tenant's rows beside the tests that follow (claimed deliveries, locked SQLite)."""
    before = {t for t in asyncio.all_tasks() if t.get_name() in BACKGROUND_LOOPS}
    yield
    left = [
        t.get_name()
        for t in asyncio.all_tasks()
        if t.get_name() in BACKGROUND_LOOPS and not t.done() and t not in before
    ]
    assert not left, f"background loops still running after the test: {left}"


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """What the session made is left to the process's exit: the interpreter's last full
    garbage collection walked the whole suite's heap (gigabytes) for minutes after the
    summary was printed."""
    gc.freeze()
