"""The tenant resolved from the URL reaches the database session on Postgres: in the
handler, inside a request transaction, and in dependencies that Litestar resolves
concurrently in a task group."""

from __future__ import annotations

import pytest
from litestar import Router, get
from litestar.di import NamedDependency, Provide

from nguon.api.tenant import TenantMiddleware
from nguon.app import create_app
from nguon.db.transaction import atomic
from nguon.org.tables import OrgUnit
from nguon.tenancy.tables import Tenant
from tests.conftest import Database
from tests.http.conftest import AppClient, app_settings, build_world


async def _setting() -> str:
    rows = await Tenant.raw("SELECT current_setting('nguon.tenant_id', true) AS t").run()
    return rows[0]["t"]


async def _units_seen() -> int:
    # No tenant filter on purpose: only Row-Level Security restricts this count.
    return await OrgUnit.count().run()


@get("/probe")
async def probe(first: NamedDependency[str], second: NamedDependency[int]) -> dict[str, object]:
    async with atomic():
        in_transaction = await _setting()
        units_in_transaction = await _units_seen()
    return {
        "handler": await _setting(),
        "transaction": in_transaction,
        "units_in_transaction": units_in_transaction,
        "dependency": first,
        "dependency_units": second,
    }


@pytest.mark.postgres
async def test_the_url_tenant_is_the_database_tenant(postgres_db: Database) -> None:
    a = await build_world(postgres_db, "probe-a")
    await build_world(postgres_db, "probe-b")
    app = create_app(app_settings(), engine=postgres_db.app)
    app.register(
        Router(
            path="/t/{tenant:str}",
            route_handlers=[probe],
            middleware=[TenantMiddleware],
            dependencies={"first": Provide(_setting), "second": Provide(_units_seen)},
        )
    )
    async with AppClient(app) as client:
        seen = (await client.get(f"/t/{a.slug}/probe")).json()
    assert seen == {
        "handler": str(a.tenant_id),
        "transaction": str(a.tenant_id),
        "units_in_transaction": len(a.units),
        "dependency": str(a.tenant_id),
        "dependency_units": len(a.units),
    }
