"""`nguon db setup` and the grants after each migration, checked in Postgres's catalogue:
two login roles that cannot bypass Row-Level Security, a database the owner owns and no one
else may create objects in, the app role remembered by the database, each table granted to
the app role by what it is for (read-only, append-only, read-write)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from nguon.db.engine import postgres_config
from nguon.db.migrate import migrate
from nguon.db.security import (
    APPEND_ONLY_TABLES,
    READ_ONLY_TABLES,
    MissingAppRole,
    RoleNames,
    apply_security,
    require_app_role,
    resolve_app_role,
    setup_database,
)
from tests.conftest import ADMIN_URL, TEST_DATABASE, TEST_ROLES, Database, role_url

pytestmark = pytest.mark.postgres

APP_PASSWORD = "mật'khẩu ứng dụng"
OWNER_PASSWORD = "chủ 'sở' hữu"


def scram_matches(stored: str, password: str) -> bool:
    """Whether Postgres's SCRAM-SHA-256 verifier ``stored`` is that of ``password`` (RFC 7677)."""
    method, rest = stored.split("$", 1)
    iterations_salt, keys = rest.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key, _ = keys.split(":")
    assert method == "SCRAM-SHA-256"
    salted = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), base64.b64decode(salt), int(iterations)
    )
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key


@pytest.fixture
async def made() -> AsyncIterator[tuple[str, RoleNames]]:
    """A database and two roles of their own, dropped after the test."""
    suffix = uuid.uuid4().hex[:8]
    database, roles = f"nguon_setup_{suffix}", RoleNames(f"setup_{suffix}_o", f"setup_{suffix}_a")
    yield database, roles
    admin = await asyncpg.connect(**postgres_config(ADMIN_URL))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        for role in (roles.app, roles.owner):
            await admin.execute(f"DROP ROLE IF EXISTS {role}")
    finally:
        await admin.close()


async def test_setup_makes_two_roles_bound_by_rls_and_a_database_of_the_owner(
    made: tuple[str, RoleNames],
) -> None:
    database, roles = made
    await setup_database(
        ADMIN_URL, database, roles, app_password=APP_PASSWORD, owner_password=OWNER_PASSWORD
    )
    admin = await asyncpg.connect(**postgres_config(ADMIN_URL))
    try:
        # Someone loosened the app role by hand: setting up again tightens it.
        await admin.execute(f"ALTER ROLE {roles.app} CREATEDB")
        await setup_database(ADMIN_URL, database, roles)
        found = {
            r["rolname"]: r
            for r in await admin.fetch(
                "SELECT rolname, rolcanlogin, rolsuper, rolbypassrls, rolcreatedb, "
                "rolcreaterole, rolpassword FROM pg_authid WHERE rolname = ANY($1)",
                [roles.owner, roles.app],
            )
        }
        assert set(found) == {roles.owner, roles.app}
        for role in found.values():
            assert role["rolcanlogin"] and not role["rolsuper"] and not role["rolbypassrls"]
        app = found[roles.app]
        assert not app["rolcreatedb"] and not app["rolcreaterole"]
        assert scram_matches(app["rolpassword"], APP_PASSWORD)
        assert scram_matches(found[roles.owner]["rolpassword"], OWNER_PASSWORD)
        owner = await admin.fetchval(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1", database
        )
        assert owner == roles.owner
    finally:
        await admin.close()

    in_db = await asyncpg.connect(**postgres_config(role_url("postgres", database)))
    try:
        schema = await in_db.fetchrow(
            "SELECT pg_get_userbyid(nspowner) AS owner,"
            " has_schema_privilege('public', 'public', 'CREATE') AS anyone_creates,"
            " has_schema_privilege($1, 'public', 'USAGE') AS app_uses"
            " FROM pg_namespace WHERE nspname = 'public'",
            roles.app,
        )
        assert schema["owner"] == roles.owner
        assert not schema["anyone_creates"] and schema["app_uses"]
    finally:
        await in_db.close()
    # The database remembers its app role: migrations grant it without being told.
    assert await resolve_app_role(role_url(roles.owner, database)) == roles.app


async def test_the_app_role_is_named_by_the_environment_or_the_database(
    made: tuple[str, RoleNames], monkeypatch: pytest.MonkeyPatch
) -> None:
    database, roles = made
    await setup_database(ADMIN_URL, database, roles)
    owner_url = role_url(roles.owner, database)
    monkeypatch.setenv("NGUON_APP_ROLE", f"  {roles.owner}  ")
    assert await resolve_app_role(owner_url) == roles.owner
    monkeypatch.setenv("NGUON_APP_ROLE", "  ")
    assert await resolve_app_role(owner_url) == roles.app
    monkeypatch.delenv("NGUON_APP_ROLE")
    assert await resolve_app_role(owner_url) == roles.app
    # A database set up by hand, without the setting: the documented default.
    assert await resolve_app_role(ADMIN_URL) == "nguon_app"

    await require_app_role(owner_url, roles.app)
    with pytest.raises(MissingAppRole) as missing:
        await require_app_role(owner_url, "nguon_no_such_role")
    assert str(missing.value) == (
        "the app role 'nguon_no_such_role' (NGUON_APP_ROLE) does not exist on this server: "
        "create it with `nguon db setup --app-role nguon_no_such_role` or name the right role"
    )


async def test_names_that_are_not_plain_identifiers_are_refused_before_any_sql() -> None:
    with pytest.raises(ValueError) as refused:
        await setup_database(ADMIN_URL, "nguon; DROP DATABASE x", TEST_ROLES)
    assert str(refused.value) == "not a safe SQL identifier: 'nguon; DROP DATABASE x'"


async def test_each_table_is_granted_to_the_app_role_by_what_it_is_for(
    postgres_database: Database,
) -> None:
    owner_url = role_url(TEST_ROLES.owner, TEST_DATABASE)
    await migrate(owner_url, TEST_ROLES)
    admin = await asyncpg.connect(**postgres_config(role_url("postgres", TEST_DATABASE)))
    try:
        rows = await admin.fetch(
            "SELECT table_name,"
            " has_table_privilege($1, table_name, 'SELECT') AS s,"
            " has_table_privilege($1, table_name, 'INSERT') AS i,"
            " has_table_privilege($1, table_name, 'UPDATE') AS u,"
            " has_table_privilege($1, table_name, 'DELETE') AS d"
            " FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
            TEST_ROLES.app,
        )
    finally:
        await admin.close()
    granted = {r["table_name"]: (r["s"], r["i"], r["u"], r["d"]) for r in rows}
    assert {"tenant", "migration", "audit_event", "sign_in", "candidate"} <= set(granted)
    for table, privileges in granted.items():
        if table in READ_ONLY_TABLES:
            assert privileges == (True, False, False, False), table
        elif table in APPEND_ONLY_TABLES:
            assert privileges == (True, True, False, False), table
        else:
            assert privileges == (True, True, True, True), table


async def test_security_is_applied_by_the_owner_never_by_the_app_role(
    postgres_database: Database,
) -> None:
    with pytest.raises(ValueError) as refused:
        await apply_security(role_url(TEST_ROLES.app, TEST_DATABASE), TEST_ROLES)
    assert str(refused.value) == (
        f"apply_security must run as the owner, not the app role {TEST_ROLES.app!r}"
    )
