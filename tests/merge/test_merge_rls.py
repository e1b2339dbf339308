"""Row-Level Security holds during and after a merge: the owner-only ``tenant_merge`` policy
reaches the source's rows inside the merge transaction, and nothing else ever does."""

from __future__ import annotations

import asyncpg
import pytest
from piccolo.table import Table

from nguon.db.binding import using_engine
from nguon.db.engine import postgres_config
from nguon.tenancy import merge as merge_module
from nguon.tenancy.context import tenant_context
from nguon.tenancy.tenant_tables import tenant_tables
from tests.conftest import TEST_DATABASE, TEST_ROLES, Database, role_url
from tests.http.conftest import serving
from tests.merge.conftest import Provinces, fill, merge_as_owner, national_id, onboard_province


async def _provinces(db: Database) -> Provinces:
    async with serving(db) as client:
        made = []
        for prefix in ("tb", "hy", "bg"):
            province = await onboard_province(db, prefix)
            made.append(await fill(client, db, province, (national_id(),)))
    return Provinces(*made)


async def _seen_by_app(tenant_id: int | None) -> dict[str, set[int]]:
    """The tenant ids of every row the app role sees, per table, with no WHERE of ours."""
    seen = {}
    with tenant_context(tenant_id):
        for table in tenant_tables():
            rows = await table.select(table.tenant_id).run()
            seen[table._meta.tablename] = {row["tenant_id"] for row in rows}
    return seen


async def _seen_by_app_naming_the_source(tenant: str, source_id: int) -> int:
    """Rows the app role sees when it sets ``nguon.merge_source`` itself: the policy is
    the owner's only, so the source's rows stay hidden."""
    connection = await asyncpg.connect(**postgres_config(role_url(TEST_ROLES.app, TEST_DATABASE)))
    try:
        async with connection.transaction():
            await connection.execute("SELECT set_config('nguon.tenant_id', $1, true)", tenant)
            await connection.execute(
                "SELECT set_config('nguon.merge_source', $1, true)", str(source_id)
            )
            total = 0
            for table in tenant_tables():
                total += await connection.fetchval(
                    f"SELECT count(*) FROM {table._meta.tablename} WHERE tenant_id = $1",
                    source_id,
                )
            return total
    finally:
        await connection.close()


def _only(seen: dict[str, set[int]], tenant_id: int) -> bool:
    return all(ids <= {tenant_id} for ids in seen.values()) and any(seen.values())


@pytest.mark.postgres
async def test_nothing_of_either_tenant_is_seen_under_a_third_during_and_after(
    postgres_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = await _provinces(postgres_db)
    source, target, third = p.source.tenant_id, p.target.tenant_id, p.third.tenant_id
    assert await _seen_by_app_naming_the_source(str(source), source) > 0
    during: list[tuple[dict[str, set[int]], dict[str, set[int]], int, int]] = []
    real_move = merge_module.move_rows

    async def watched_move(table: type[Table], source_id: int, target_id: int) -> None:
        await real_move(table, source_id, target_id)
        if len(during) == 0 and table._meta.tablename == "candidate":
            # Read as the app role, on its own connections, while the merge is open.
            with using_engine(postgres_db.app):
                during.append(
                    (
                        await _seen_by_app(third),
                        await _seen_by_app(None),
                        await _seen_by_app_naming_the_source(str(third), source),
                        await _seen_by_app_naming_the_source("", source),
                    )
                )

    monkeypatch.setattr(merge_module, "move_rows", watched_move)
    await merge_as_owner(postgres_db, p)

    assert during, "the merge never reached the candidate table"
    under_third, under_none, third_naming_source, none_naming_source = during[0]
    assert _only(under_third, third)
    assert not any(under_none.values())
    assert third_naming_source == 0 and none_naming_source == 0

    assert _only(await _seen_by_app(third), third)
    assert not any((await _seen_by_app(source)).values())
    assert _only(await _seen_by_app(target), target)
    assert await _seen_by_app_naming_the_source(str(third), target) == 0
    assert await _seen_by_app_naming_the_source(str(source), target) == 0


@pytest.mark.postgres
async def test_the_merge_policy_belongs_to_the_owner_alone(postgres_db: Database) -> None:
    admin = await asyncpg.connect(**postgres_config(role_url("postgres", TEST_DATABASE)))
    try:
        rows = await admin.fetch(
            "SELECT tablename, policyname, roles::text[] AS roles, permissive, qual "
            "FROM pg_policies WHERE schemaname = 'public'"
        )
    finally:
        await admin.close()
    merge_policies = {r["tablename"]: r for r in rows if r["policyname"] == "tenant_merge"}
    assert set(merge_policies) == {t._meta.tablename for t in tenant_tables()}
    for policy in merge_policies.values():
        assert policy["roles"] == [TEST_ROLES.owner]
        assert policy["permissive"] == "PERMISSIVE"
        assert "nguon.merge_source" in policy["qual"]
    isolation = {r["tablename"]: r for r in rows if r["policyname"] == "tenant_isolation"}
    assert set(isolation) == set(merge_policies)
    assert all(r["roles"] == ["public"] for r in isolation.values())
