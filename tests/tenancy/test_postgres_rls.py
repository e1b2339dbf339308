"""Row-Level Security on Postgres: the backstop behind the tenant-scoped lookups."""

from __future__ import annotations

import datetime as dt

import asyncpg
import pytest

from nguon.audit.tables import AuditEvent
from nguon.db.engine import postgres_config
from nguon.db.migrate import migrate
from nguon.org.tables import OrgUnit
from nguon.piccolo_app import TABLES
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import switch_tenant_in_transaction
from nguon.tenancy.tables import Tenant
from tests.conftest import TEST_DATABASE, TEST_ROLES, Database, role_url


async def _tenant_with_unit(db: Database, slug: str) -> int:
    with db.as_owner():
        async with db.owner.transaction():
            tenant = Tenant(slug=slug, name=slug, rules_package="hungyen")
            await tenant.save().run()
            await switch_tenant_in_transaction(tenant.id)
            unit = OrgUnit(
                tenant_id=tenant.id,
                code=f"{slug}-root",
                name="Tỉnh ủy",
                kind="province_committee",
                path="",
                valid_from=dt.date(2020, 1, 1),
            )
            await unit.save().run()
            await AuditEvent.insert(
                AuditEvent(tenant_id=tenant.id, actor="test", action="create", entity_type="x")
            ).run()
    return tenant.id


@pytest.mark.postgres
async def test_unfiltered_query_sees_only_the_current_tenant(postgres_db: Database) -> None:
    a = await _tenant_with_unit(postgres_db, "rls-a")
    b = await _tenant_with_unit(postgres_db, "rls-b")
    with tenant_context(a):
        rows = await OrgUnit.select(OrgUnit.tenant_id).run()
    assert rows and {r["tenant_id"] for r in rows} == {a}
    with tenant_context(b):
        rows = await OrgUnit.select(OrgUnit.tenant_id).run()
    assert rows and {r["tenant_id"] for r in rows} == {b}
    with tenant_context(None):
        assert await OrgUnit.select().run() == []
        assert await AuditEvent.select().run() == []


@pytest.mark.postgres
async def test_writing_a_row_for_another_tenant_is_refused(postgres_db: Database) -> None:
    a = await _tenant_with_unit(postgres_db, "rls-w-a")
    b = await _tenant_with_unit(postgres_db, "rls-w-b")
    with tenant_context(a), pytest.raises(asyncpg.InsufficientPrivilegeError):
        await OrgUnit.insert(
            OrgUnit(
                tenant_id=b,
                code="smuggled",
                name="x",
                kind="grassroots_cell",
                path="",
                valid_from=dt.date(2024, 1, 1),
            )
        ).run()


@pytest.mark.postgres
async def test_app_role_cannot_change_or_delete_audit_events(postgres_db: Database) -> None:
    a = await _tenant_with_unit(postgres_db, "rls-audit")
    with tenant_context(a):
        assert await AuditEvent.count().run() >= 1
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await AuditEvent.update({AuditEvent.action: "forged"}, force=True).run()
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await AuditEvent.delete(force=True).run()


@pytest.mark.postgres
async def test_app_role_is_not_owner_superuser_or_bypassrls(postgres_db: Database) -> None:
    connection = await asyncpg.connect(**postgres_config(role_url(TEST_ROLES.app, TEST_DATABASE)))
    try:
        role = await connection.fetchrow(
            "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles "
            "WHERE rolname = current_user"
        )
        assert not any(role.values())
        owned = await connection.fetchval(
            "SELECT count(*) FROM pg_tables WHERE tableowner = current_user"
        )
        assert owned == 0
        unprotected = await connection.fetch(
            "SELECT c.relname FROM pg_class c JOIN information_schema.columns col "
            "ON col.table_name = c.relname AND col.column_name = 'tenant_id' "
            "WHERE c.relkind = 'r' AND NOT (c.relrowsecurity AND c.relforcerowsecurity)"
        )
        assert unprotected == []
    finally:
        await connection.close()
    tenant_tables = {
        t._meta.tablename
        for t in TABLES
        if any(c._meta.name == "tenant_id" for c in t._meta.columns)
    }
    assert tenant_tables >= {"org_unit", "candidate", "audit_event", "app_user", "membership"}


@pytest.mark.postgres
async def test_migrate_grants_the_configured_app_role(
    postgres_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner_url = role_url(TEST_ROLES.owner, TEST_DATABASE)
    admin = await asyncpg.connect(**postgres_config(role_url("postgres", TEST_DATABASE)))
    try:
        await admin.execute(f"REVOKE ALL ON tenant FROM {TEST_ROLES.app}")
        monkeypatch.setenv("NGUON_APP_ROLE", TEST_ROLES.app)
        await migrate(owner_url)
        granted = await admin.fetchval(
            "SELECT has_table_privilege($1, 'tenant', 'SELECT')", TEST_ROLES.app
        )
    finally:
        await admin.close()
    assert granted
