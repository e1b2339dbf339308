"""The tenant reaches every pooled Postgres query, including on a connection reused
across tenants, inside transactions whose BEGIN sets it, and after them."""

from __future__ import annotations

import asyncio

import pytest

from nguon.db.engine import TenantPostgresEngine, begin_sql
from nguon.org.tables import OrgUnit
from nguon.tenancy.context import current_tenant_id, tenant_context
from nguon.tenancy.tables import Tenant
from tests.conftest import Database
from tests.http.conftest import World, build_world


async def _setting() -> str:
    rows = await Tenant.raw("SELECT current_setting('nguon.tenant_id', true) AS t").run()
    return rows[0]["t"]


async def _backend() -> int:
    rows = await Tenant.raw("SELECT pg_backend_pid() AS pid").run()
    return rows[0]["pid"]


async def _tenants_seen() -> set[int]:
    # No tenant filter on purpose: only Row-Level Security restricts what comes back.
    return {row["tenant_id"] for row in await OrgUnit.select(OrgUnit.tenant_id).run()}


async def _worlds(db: Database) -> tuple[World, World]:
    return await build_world(db, "pool-a"), await build_world(db, "pool-b")


@pytest.mark.postgres
async def test_a_reused_connection_follows_the_current_tenant(
    postgres_db: Database, one_connection: TenantPostgresEngine
) -> None:
    a, b = await _worlds(postgres_db)
    with tenant_context(a.tenant_id):
        pid = await _backend()
        assert await _tenants_seen() == {a.tenant_id}
    with tenant_context(b.tenant_id):
        assert await _backend() == pid
        assert await _tenants_seen() == {b.tenant_id}
    with tenant_context(None):
        assert await _backend() == pid
        assert await _setting() == ""
        assert await _tenants_seen() == set()
    with tenant_context(a.tenant_id):
        assert await _tenants_seen() == {a.tenant_id}


@pytest.mark.postgres
async def test_a_transaction_sees_its_tenant_and_leaves_none_behind(
    postgres_db: Database, one_connection: TenantPostgresEngine
) -> None:
    a, b = await _worlds(postgres_db)
    with tenant_context(a.tenant_id):
        assert await _tenants_seen() == {a.tenant_id}  # the session now holds tenant a
    with tenant_context(b.tenant_id):
        async with one_connection.transaction():
            assert await _setting() == str(b.tenant_id)
            assert await _tenants_seen() == {b.tenant_id}
    with tenant_context(None):
        assert await _tenants_seen() == set()
        async with one_connection.transaction():
            assert await _tenants_seen() == set()
    with tenant_context(a.tenant_id):
        assert await _tenants_seen() == {a.tenant_id}


@pytest.mark.postgres
async def test_a_failed_transaction_is_rolled_back_and_the_connection_stays_correct(
    postgres_db: Database, one_connection: TenantPostgresEngine
) -> None:
    a, b = await _worlds(postgres_db)
    with tenant_context(a.tenant_id), pytest.raises(RuntimeError):
        async with one_connection.transaction():
            await (
                OrgUnit.update({OrgUnit.name: "đổi tên"})
                .where(OrgUnit.tenant_id == a.tenant_id)
                .run()
            )
            raise RuntimeError("the request failed")
    with tenant_context(a.tenant_id):
        names = {row["name"] for row in await OrgUnit.select(OrgUnit.name).run()}
    assert "đổi tên" not in names
    with tenant_context(b.tenant_id):
        assert await _tenants_seen() == {b.tenant_id}
    async with one_connection.transaction():  # the pool's only connection was released
        pass


@pytest.mark.postgres
async def test_concurrent_tasks_of_two_tenants_each_see_their_own(
    postgres_db: Database,
) -> None:
    a, b = await _worlds(postgres_db)

    async def look(tenant_id: int) -> list[set[int]]:
        with tenant_context(tenant_id):
            seen = []
            for _ in range(20):
                seen.append(await _tenants_seen())
                async with postgres_db.app.transaction():
                    seen.append(await _tenants_seen())
            return seen

    for tenant_id, seen in zip(
        (a.tenant_id, b.tenant_id, a.tenant_id),
        await asyncio.gather(look(a.tenant_id), look(b.tenant_id), look(a.tenant_id)),
        strict=True,
    ):
        assert all(s == {tenant_id} for s in seen)


def test_begin_carries_only_an_integer_tenant() -> None:
    with tenant_context(42):
        assert begin_sql() == "BEGIN; SELECT set_config('nguon.tenant_id', '42', true)"
    with tenant_context(None):
        assert begin_sql() == "BEGIN; SELECT set_config('nguon.tenant_id', '', true)"
    token = current_tenant_id.set("1'; DROP TABLE candidate; --")  # type: ignore[arg-type]
    try:
        with pytest.raises(TypeError):
            begin_sql()
    finally:
        current_tenant_id.reset(token)
