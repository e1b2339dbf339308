"""A database made by the previous release migrates to this one and keeps working.

The fixture (``fixtures/release-85257f0.sql``, see ``fixtures/README.md``) is restored into a
fresh database made by this tree's ``nguon db setup``; this tree's ``nguon db migrate`` then
brings it up to date. What an operator relies on after an upgrade: every row is still
there, the users sign in with their passwords, lists keep their states, encrypted national
ID numbers still open with the same key, and the app reads and writes it as its app role.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from infra.upgrade.make_dump import APP, OWNER, SECRET_KEY
from infra.upgrade.populate import PASSWORD, SLUG
from nguon.app import create_app
from nguon.db.engine import TenantPostgresEngine, postgres_config
from nguon.settings import Settings
from tests.conftest import ADMIN_URL, TEST_DATABASE, _unavailable, role_url
from tests.http.conftest import AppClient, started

pytestmark = pytest.mark.postgres

FIXTURE = Path(__file__).parent / "fixtures" / "release-85257f0.sql"
DATABASE = f"{TEST_DATABASE}_upgrade"
NGUON = Path(sys.executable).parent / "nguon"
COUNTED = (
    "tenant",
    "org_unit",
    "app_user",
    "membership",
    "candidate",
    "party_member",
    "candidate_list",
    "list_entry",
    "list_transition",
    "resolution",
    "audit_event",
)
LIST_STATES = {
    "nc.vl.lh.nd": "returned",
    "nc.vl.lh.dd": "accepted",
    "nc.vl.thpt": "submitted",
    "nc.vl.lh": "adopted",
    "nc.vl": "draft",
}


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NGUON_")}
    return {
        **env,
        "NGUON_ADMIN_URL": ADMIN_URL,
        "NGUON_MIGRATE_DATABASE_URL": role_url(OWNER, DATABASE),
        "NGUON_DATABASE_URL": role_url(APP, DATABASE),
        "NGUON_APP_ROLE": APP,
        "NGUON_SECRET_KEY": SECRET_KEY,
    }


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=_environment(), capture_output=True, text=True, timeout=300)


async def _superuser() -> asyncpg.Connection:
    """The restored database as the superuser: it reads past Row-Level Security."""
    return await asyncpg.connect(**{**postgres_config(ADMIN_URL), "database": DATABASE})


async def _facts() -> dict[str, object]:
    connection = await _superuser()
    try:
        counts = {t: await connection.fetchval(f"SELECT count(*) FROM {t}") for t in COUNTED}
        states = {
            row["code"]: row["state"]
            for row in await connection.fetch(
                "SELECT u.code, l.state FROM candidate_list l JOIN org_unit u ON u.id = l.unit"
            )
        }
        people = sorted(
            tuple(row)
            for row in await connection.fetch(
                "SELECT full_name, date_of_birth, national_id_encrypted, version FROM candidate"
            )
        )
    finally:
        await connection.close()
    return {"counts": counts, "states": states, "people": people}


@pytest.fixture(scope="module")
async def restored() -> AsyncIterator[dict[str, object]]:
    """The fixture restored and migrated; the facts read before migrating."""
    try:
        admin = await asyncpg.connect(**postgres_config(ADMIN_URL), timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        _unavailable(str(error))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    finally:
        await admin.close()
    setup = _run(
        str(NGUON), "db", "setup", "--admin-url", ADMIN_URL,
        "--database", DATABASE, "--owner-role", OWNER, "--app-role", APP,
    )  # fmt: skip
    assert setup.returncode == 0, setup.stderr
    database_url = f"{ADMIN_URL.rsplit('/', 1)[0]}/{DATABASE}"
    restore = _run(
        "psql", "--quiet", "-v", "ON_ERROR_STOP=1", "--single-transaction",
        "--dbname", database_url, "--file", str(FIXTURE),
    )  # fmt: skip
    assert restore.returncode == 0, restore.stderr
    before = await _facts()
    migrated = _run(str(NGUON), "db", "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "up to date" in migrated.stdout, migrated.stdout
    yield before
    admin = await asyncpg.connect(**postgres_config(ADMIN_URL), timeout=5)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    finally:
        await admin.close()


async def test_the_previous_release_made_what_the_fixture_says(
    restored: dict[str, object],
) -> None:
    assert restored["states"] == LIST_STATES
    counts = restored["counts"]
    assert isinstance(counts, dict)
    assert counts["tenant"] == 1 and counts["candidate"] == 6 and counts["party_member"] == 1
    assert counts["app_user"] == 6


async def test_migrating_keeps_every_row_and_list_state(restored: dict[str, object]) -> None:
    after = await _facts()
    assert after == restored


async def test_every_migration_of_this_tree_is_recorded_and_none_is_left() -> None:
    migrations = Path(__file__).parents[2] / "platform/nguon/db/migrations"
    names = {p.stem for p in migrations.glob("m[0-9]*.py")}
    connection = await _superuser()
    try:
        recorded = {row["name"] for row in await connection.fetch("SELECT name FROM migration")}
        row_security = await connection.fetch(
            "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' AND NOT c.relforcerowsecurity "
            "AND EXISTS (SELECT 1 FROM information_schema.columns i "
            "WHERE i.table_name = c.relname AND i.column_name = 'tenant_id')"
        )
    finally:
        await connection.close()
    assert len(recorded) >= len(names)
    assert [row["relname"] for row in row_security] == []  # every tenant table forces RLS
    again = _run(str(NGUON), "db", "migrate")
    assert again.returncode == 0, again.stderr
    assert "up to date" in again.stdout, again.stdout


@pytest.fixture
async def client(
    restored: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[AppClient]:
    """This tree's app on the migrated database, as the app role (NOBYPASSRLS), with the
    key the release was run with (national ID numbers are opened with the environment's)."""
    monkeypatch.setenv("NGUON_SECRET_KEY", SECRET_KEY)
    engine = TenantPostgresEngine(config=postgres_config(role_url(APP, DATABASE)))
    settings = Settings(
        database_url=role_url(APP, DATABASE),
        migrate_database_url=role_url(OWNER, DATABASE),
        secret_key=SECRET_KEY,
        redis_url=None,
        debug=False,
        app_role=APP,
    )
    app = create_app(settings, engine=engine)
    await engine.start_connection_pool(min_size=1, max_size=4)
    try:
        async with started(app) as http:
            yield http
    finally:
        await engine.close_connection_pool()


async def _token(client: AppClient, username: str) -> dict[str, str]:
    issued = await client.post(
        f"/t/{SLUG}/api/v1/auth/token", json={"username": username, "password": PASSWORD}
    )
    assert issued.status_code == 200, issued.text
    return {"Authorization": f"Bearer {issued.json()['access_token']}"}


async def test_the_upgraded_app_signs_in_the_old_users_and_reads_their_lists(
    client: AppClient,
) -> None:
    approver = await _token(client, "duyet.lachong")
    lists = await client.get(f"/t/{SLUG}/api/v1/lists", headers=approver)
    assert lists.status_code == 200, lists.text
    seen = {item["unit_name"]: item["state"] for item in lists.json()["items"]}
    assert seen == {
        "Chi bộ thôn Ngọc Đà": "returned",
        "Chi bộ thôn Đình Dù": "accepted",
        "Đảng ủy xã Lạc Hồng": "adopted",
    }

    editor = await _token(client, "bientap.ngocda")
    found = await client.get(f"/t/{SLUG}/api/v1/candidates", headers=editor)
    assert found.status_code == 200, found.text
    people = {c["full_name"]: c for c in found.json()["items"]}
    assert sorted(people) == ["Hoàng Văn Minh", "Nguyễn Văn An", "Vũ Thị Hoa"]
    one = await client.get(
        f"/t/{SLUG}/api/v1/candidates/{people['Nguyễn Văn An']['id']}", headers=editor
    )
    assert one.json()["national_id_masked"].endswith("0111")  # still opens with the same key


async def test_the_upgraded_app_writes_as_before(client: AppClient) -> None:
    editor = await _token(client, "bientap.dinhdu")
    units = await client.get(f"/t/{SLUG}/api/v1/units", headers=editor)
    cell = next(u["id"] for u in units.json()["items"] if u["code"] == "nc.vl.lh.dd")
    added = await client.post(
        f"/t/{SLUG}/api/v1/candidates",
        headers=editor,
        json={
            "unit_id": cell,
            "full_name": "Mai Văn Sau Nâng Cấp",
            "date_of_birth": "2004-01-02",
            "sex": "male",
            "education": "upper_secondary",
        },
    )
    assert added.status_code == 201, added.text
    viewer = await _token(client, "xem.ngocda")
    hidden = await client.get(f"/t/{SLUG}/api/v1/candidates/{added.json()['id']}", headers=viewer)
    assert hidden.status_code == 404  # another cell's person: still out of the viewer's sight
