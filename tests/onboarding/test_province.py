"""The full-size province generator (``bench.province``) at a small scale on Postgres: its
counts, the skew between communes, and the dashboard's figures of a commune equal to a
direct count of the generated rows."""

from __future__ import annotations

import datetime as dt
import os

import asyncpg
import pytest

from bench.province import ProvinceReport, grow
from nguon.clock import today_in_vietnam
from nguon.db.binding import using_engine
from nguon.db.engine import postgres_config
from nguon.demo.prepare import prepare_demo
from nguon.portal.progress import current_and_previous
from nguon.reports.figures import subtree_figures
from nguon.tenancy.context import tenant_context
from nguon.tenancy.package import tenant_package_id
from tests.conftest import TEST_DATABASE, TEST_ROLES, Database, role_url

pytestmark = pytest.mark.usefixtures("postgres_db")
SCALE = 0.02


@pytest.fixture(scope="module")
async def province(postgres_database: Database) -> ProvinceReport:
    owner_url = role_url(TEST_ROLES.owner, TEST_DATABASE)
    previous = os.environ.get("NGUON_APP_ROLE")
    os.environ["NGUON_APP_ROLE"] = TEST_ROLES.app  # the demo's migration grants to it
    try:
        await prepare_demo(
            role_url(TEST_ROLES.app, TEST_DATABASE), migrate_url=owner_url, candidates=40
        )
    finally:
        if previous is None:
            del os.environ["NGUON_APP_ROLE"]
        else:
            os.environ["NGUON_APP_ROLE"] = previous
    return await grow(owner_url, "hungyen", SCALE, seed=7)


async def _admin(sql: str, *args: object) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(**postgres_config(role_url(TEST_ROLES.owner, TEST_DATABASE)))
    try:
        async with connection.transaction():
            tenant = await connection.fetchval("SELECT id FROM tenant WHERE slug = 'hungyen'")
            await connection.execute("SELECT set_config('nguon.tenant_id', $1, true)", str(tenant))
            return await connection.fetch(sql, *args)
    finally:
        await connection.close()


async def test_counts_and_skew(province: ProvinceReport) -> None:
    assert province.communes == 104
    assert province.people == 2_000
    assert province.members == 3_600
    assert province.cells >= 70  # the demo's cells and the new ones
    assert province.lists > 0 and province.entries > 0 and province.enrolments > 0
    sizes = await _admin(
        "SELECT p.code, count(c.id) AS cells, "
        "(SELECT count(*) FROM candidate k WHERE k.unit_path LIKE p.path || '%') AS people "
        "FROM org_unit p JOIN org_unit c ON c.parent = p.id "
        "WHERE p.kind = 'commune_committee' AND p.valid_to IS NULL "
        "GROUP BY p.code, p.path"
    )
    people = sorted(row["people"] for row in sizes)
    assert len(sizes) == 104
    assert people[-1] >= 10 * max(1, people[0])  # some communes ten times others
    (row,) = await _admin(
        "SELECT (SELECT count(*) FROM candidate) AS people, "
        "(SELECT count(*) FROM party_member) AS m"
    )
    assert row["people"] >= 2_000 and row["m"] >= 3_600
    rows = await _admin("SELECT count(*) AS n FROM candidate WHERE tenant_id IS NULL")
    assert rows[0]["n"] == 0


async def test_a_communes_dashboard_figures_equal_a_direct_count(
    province: ProvinceReport, postgres_database: Database
) -> None:
    (commune,) = await _admin(
        "SELECT p.id, p.path FROM org_unit p WHERE p.kind = 'commune_committee' "
        "AND p.valid_to IS NULL ORDER BY "
        "(SELECT count(*) FROM candidate k WHERE k.unit_path LIKE p.path || '%') DESC LIMIT 1"
    )
    today = today_in_vietnam()
    with using_engine(postgres_database.app), tenant_context(province.tenant_id):
        package_id = await tenant_package_id()
        current, previous = current_and_previous(package_id, today)
        periods = [p for p in (current, previous) if p is not None]
        figures = await subtree_figures(commune["id"], commune["path"], today.year, today, periods)
    root = figures.root
    stages = await _admin(
        "SELECT stage, count(*) AS n FROM candidate WHERE unit_path LIKE $1 GROUP BY stage",
        commune["path"] + "%",
    )
    expected = {row["stage"]: row["n"] for row in stages}
    assert root.by_stage == {stage: expected.get(stage, 0) for stage in root.by_stage}
    (helped,) = await _admin(
        "SELECT count(DISTINCT h.candidate) AS n FROM helper_assignment h "
        "JOIN candidate c ON c.id = h.candidate WHERE c.unit_path LIKE $1 "
        "AND c.stage = ANY($2::text[]) AND h.assigned_on <= $3 "
        "AND (h.ended_on IS NULL OR h.ended_on > $3)",
        commune["path"] + "%",
        list(root.by_stage),
        today,
    )
    assert root.with_helper == helped["n"] > 0
    (admitted,) = await _admin(
        "SELECT count(DISTINCT s.candidate) AS n FROM stage_change s "
        "JOIN candidate c ON c.id = s.candidate WHERE c.unit_path LIKE $1 "
        "AND s.to_stage = 'admitted' AND s.changed_on BETWEEN $2 AND $3",
        commune["path"] + "%",
        dt.date(today.year, 1, 1),
        today,
    )
    assert root.year("admitted") == admitted["n"]
    if previous is not None:
        (listed,) = await _admin(
            "SELECT count(*) AS n FROM (SELECT DISTINCT ON (e.candidate) e.included "
            "FROM list_entry e JOIN candidate_list l ON l.id = e.candidate_list "
            "WHERE l.period_code = $1 AND l.step = 'survey' AND e.source <> 'aggregated' "
            "AND l.unit_path LIKE $2 ORDER BY e.candidate, e.id DESC) AS x WHERE x.included",
            previous.code,
            commune["path"] + "%",
        )
        assert root.listed(previous.code, "survey") == listed["n"]
