"""Plain statements on hot paths (``nguon.db.plain``) read what Piccolo's ``raw`` reads, as
the current tenant, on the connection of the transaction they run in."""

from __future__ import annotations

import datetime as dt

import pytest

from nguon.db import plain
from nguon.db.engine import TenantPostgresEngine
from nguon.org.tables import OrgUnit
from nguon.pipeline.list_read import entries_statement
from nguon.tenancy.context import tenant_context
from tests.conftest import Database
from tests.http.conftest import build_world


def test_placeholders_are_numbered_in_order() -> None:
    assert plain.numbered("a = {} AND b = ANY({}) OR c = {}") == "a = $1 AND b = ANY($2) OR c = $3"
    assert plain.numbered("SELECT 1") == "SELECT 1"


async def test_rows_are_those_piccolo_reads(db: Database) -> None:
    world = await build_world(db, "plain-same")
    sql = "SELECT id, code, path FROM org_unit WHERE tenant_id = {} AND path LIKE {} ORDER BY id"
    with tenant_context(world.tenant_id):
        expected = await OrgUnit.raw(sql, world.tenant_id, "%").run()
        found = await plain.fetch(sql, world.tenant_id, "%")
    assert found == expected
    assert len(found) >= 2 and all(isinstance(row, dict) for row in found)


async def _tenants_seen() -> set[int]:
    # No tenant filter on purpose: only Row-Level Security restricts what comes back.
    return {row["tenant_id"] for row in await plain.fetch("SELECT tenant_id FROM org_unit")}


@pytest.mark.postgres
async def test_a_reused_connection_reads_as_the_current_tenant_only(
    postgres_db: Database, one_connection: TenantPostgresEngine
) -> None:
    a = await build_world(postgres_db, "plain-a")
    b = await build_world(postgres_db, "plain-b")
    with tenant_context(a.tenant_id):
        assert await _tenants_seen() == {a.tenant_id}
    with tenant_context(b.tenant_id):
        assert await _tenants_seen() == {b.tenant_id}
        async with one_connection.transaction():
            assert await _tenants_seen() == {b.tenant_id}
    with tenant_context(None):
        assert await _tenants_seen() == set()
    with tenant_context(a.tenant_id):
        assert await _tenants_seen() == {a.tenant_id}


@pytest.mark.postgres
async def test_a_statement_in_a_transaction_sees_what_it_wrote_and_nothing_after_rollback(
    postgres_db: Database,
) -> None:
    world = await build_world(postgres_db, "plain-tx")
    sql = "SELECT name FROM org_unit WHERE tenant_id = {} AND id = {}"
    engine = postgres_db.app
    with tenant_context(world.tenant_id):
        before = (await plain.fetch(sql, world.tenant_id, world.units["cell_x"]))[0]["name"]
        with pytest.raises(RuntimeError):
            async with engine.transaction():
                await OrgUnit.update({OrgUnit.name: "Chi bộ tạm"}).where(
                    OrgUnit.id == world.units["cell_x"]
                )
                seen = await plain.fetch(sql, world.tenant_id, world.units["cell_x"])
                assert seen == [{"name": "Chi bộ tạm"}]
                raise RuntimeError("roll back")
        assert await plain.fetch(sql, world.tenant_id, world.units["cell_x"]) == [{"name": before}]


@pytest.mark.postgres
async def test_a_list_s_entries_reach_their_units_by_the_primary_key_under_rls(
    postgres_db: Database,
) -> None:
    """Postgres counts COALESCE as leaky under Row-Level Security and cannot use it as an
    index condition: joined by it, every view of a list read every unit of the tenant."""
    world = await build_world(postgres_db, "plain-plan")
    province = world.units["province"]
    with postgres_db.as_owner(), tenant_context(world.tenant_id):
        # A tenant of a province's size, its statistics known, as on a live system.
        await OrgUnit.raw(
            "INSERT INTO org_unit (tenant_id, code, name, kind, parent, path, depth, valid_from)"
            " SELECT {}, 'u' || n, 'Chi bộ ' || n, 'subordinate_cell', {},"
            " (SELECT path FROM org_unit WHERE id = {}) || (900000 + n) || '.', 1, {}"
            " FROM generate_series(1, 3000) AS n",
            world.tenant_id,
            province,
            province,
            dt.date(2020, 1, 1),
        ).run()
        await OrgUnit.raw("ANALYZE org_unit").run()
    statement = entries_statement(1)
    with tenant_context(world.tenant_id):
        async with postgres_db.app.transaction():
            await plain.fetch("SET LOCAL enable_seqscan = off")
            plan = await plain.fetch(f"EXPLAIN {statement.sql}", *statement.args)
    text = "\n".join(row["QUERY PLAN"] for row in plan)
    assert "org_unit_pkey on org_unit cu" in text, text
