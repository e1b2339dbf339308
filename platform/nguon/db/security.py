"""Postgres roles, grants and Row-Level Security policies.

The owner role runs migrations and owns every table; the app role owns nothing, has
NOBYPASSRLS, and sees only the rows of the tenant named by ``nguon.tenant_id``.
Audit events are append-only for the app role. The owner, NOBYPASSRLS too, has one more
permissive policy, ``tenant_merge``: inside a tenant merge it also reaches the source
tenant's rows (named by ``nguon.merge_source``).
"""

from __future__ import annotations

import os
import re

import asyncpg
import msgspec

from nguon.db.engine import postgres_config

APPEND_ONLY_TABLES = ("audit_event", "sign_in")
READ_ONLY_TABLES = ("tenant", "migration")
TENANT_MATCH = "tenant_id = NULLIF(current_setting('nguon.tenant_id', true), '')::integer"
MERGE_SOURCE_MATCH = "tenant_id = NULLIF(current_setting('nguon.merge_source', true), '')::integer"
"""What the owner-only ``tenant_merge`` policy lets through: the rows of the tenant being
merged, named for one transaction by ``nguon.tenancy.merge`` (the app role never sees them)."""
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


APP_ROLE_SETTING = "nguon.app_role"
"""The database-level setting where ``nguon db setup`` records the app role's name."""


async def resolve_app_role(owner_url: str) -> str:
    """``NGUON_APP_ROLE`` when set, else the role ``nguon db setup`` recorded in the
    database, else ``nguon_app``."""
    configured = os.environ.get("NGUON_APP_ROLE", "").strip()
    if configured:
        return configured
    connection = await asyncpg.connect(**postgres_config(owner_url))
    try:
        recorded = await connection.fetchval("SELECT current_setting($1, true)", APP_ROLE_SETTING)
    finally:
        await connection.close()
    return recorded or "nguon_app"


class MissingAppRole(RuntimeError):
    """The role named for the web processes does not exist: nothing could be granted."""


async def require_app_role(owner_url: str, app_role: str) -> None:
    """Refuse to go on when ``app_role`` is not a role of this Postgres server."""
    connection = await asyncpg.connect(**postgres_config(owner_url))
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", app_role)
    finally:
        await connection.close()
    if not exists:
        raise MissingAppRole(
            f"the app role {app_role!r} (NGUON_APP_ROLE) does not exist on this server: "
            f"create it with `nguon db setup --app-role {app_role}` or name the right role"
        )


class RoleNames(msgspec.Struct, frozen=True):
    owner: str = "nguon_owner"
    app: str = "nguon_app"


def _ident(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a safe SQL identifier: {name!r}")
    return name


async def setup_database(
    admin_url: str,
    database: str,
    roles: RoleNames,
    app_password: str | None = None,
    owner_password: str | None = None,
) -> None:
    """Create the two roles and the database owned by the owner role (idempotent)."""
    owner, app, db = _ident(roles.owner), _ident(roles.app), _ident(database)
    admin = await asyncpg.connect(**postgres_config(admin_url))
    try:
        existing = {r["rolname"] for r in await admin.fetch("SELECT rolname FROM pg_roles")}
        if owner not in existing:
            await admin.execute(f"CREATE ROLE {owner} LOGIN NOSUPERUSER NOBYPASSRLS")
        if app not in existing:
            await admin.execute(
                f"CREATE ROLE {app} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
            )
        await admin.execute(f"ALTER ROLE {app} NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE")
        if app_password is not None:
            await admin.execute(f"ALTER ROLE {app} PASSWORD {_literal(app_password)}")
        if owner_password is not None:
            await admin.execute(f"ALTER ROLE {owner} PASSWORD {_literal(owner_password)}")
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", db):
            await admin.execute(f"CREATE DATABASE {db} OWNER {owner}")
        # Remembered by the database: `nguon db migrate` grants this role without being told.
        await admin.execute(f"ALTER DATABASE {db} SET {APP_ROLE_SETTING} = {_literal(app)}")
    finally:
        await admin.close()

    admin_config = postgres_config(admin_url)
    admin_config["database"] = db
    in_db = await asyncpg.connect(**admin_config)
    try:
        await in_db.execute(f"ALTER SCHEMA public OWNER TO {owner}")
        await in_db.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        await in_db.execute(f"GRANT USAGE ON SCHEMA public TO {app}")
    finally:
        await in_db.close()


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


async def apply_security(owner_url: str, roles: RoleNames) -> list[str]:
    """Grant the app role what it needs and put every tenant table under RLS.

    Run by the owner after each migration; returns the tenant tables it covered. The
    ``tenant_merge`` policy is granted to the role this runs as (``current_user``: the
    owner that also runs operator commands such as ``nguon tenant merge``).
    """
    app = _ident(roles.app)
    connection = await asyncpg.connect(**postgres_config(owner_url))
    try:
        owner = _ident(await connection.fetchval("SELECT current_user"))
        if owner == app:
            raise ValueError(f"apply_security must run as the owner, not the app role {app!r}")
        tables = [
            r["table_name"]
            for r in await connection.fetch(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
            )
        ]
        tenant_tables = [
            r["table_name"]
            for r in await connection.fetch(
                "SELECT table_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND column_name = 'tenant_id' ORDER BY table_name"
            )
        ]
        async with connection.transaction():
            for table in tenant_tables:
                t = _ident(table)
                await connection.execute(f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY")
                await connection.execute(f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY")
                await connection.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {t}")
                await connection.execute(
                    f"CREATE POLICY tenant_isolation ON {t} "
                    f"USING ({TENANT_MATCH}) WITH CHECK ({TENANT_MATCH})"
                )
                await connection.execute(f"DROP POLICY IF EXISTS tenant_merge ON {t}")
                await connection.execute(
                    f"CREATE POLICY tenant_merge ON {t} FOR ALL TO {owner} "
                    f"USING ({MERGE_SOURCE_MATCH})"
                )
            for table in tables:
                t = _ident(table)
                await connection.execute(f"REVOKE ALL ON {t} FROM {app}")
                if table in READ_ONLY_TABLES:
                    privileges = "SELECT"
                elif table in APPEND_ONLY_TABLES:
                    privileges = "SELECT, INSERT"
                else:
                    privileges = "SELECT, INSERT, UPDATE, DELETE"
                await connection.execute(f"GRANT {privileges} ON {t} TO {app}")
            await connection.execute(
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}"
            )
        return tenant_tables
    finally:
        await connection.close()
