"""Tenant isolation over HTTP, on both engines: another tenant's ids are plain 404s on
every route that takes an id, lists never show another tenant's rows, and a token or
session of one tenant is worthless under another."""

from __future__ import annotations

import re

from litestar.routes import HTTPRoute

from nguon.portal.jobs import JOBS_STORE, start_reevaluation, wait_for_jobs
from nguon.tenancy.context import tenant_context
from tests.conftest import Database
from tests.http.conftest import (
    AppClient,
    World,
    build_world,
    candidate_body,
    csrf_token_in,
    member_body,
    portal_login,
    token_for,
)

_PARAM = re.compile(r"\{(\w+):\w+\}")


async def _seed_people(client: AppClient, world: World, name: str) -> dict[str, int | str]:
    headers = await token_for(client, world.slug, "admin")
    base = f"/t/{world.slug}/api/v1"
    candidate = await client.post(
        f"{base}/candidates",
        json=candidate_body(world.units["cell_x"], full_name=name),
        headers=headers,
    )
    member = await client.post(
        f"{base}/members", json=member_body(world.units["cell_x"], full_name=name), headers=headers
    )
    assert candidate.status_code == 201, candidate.text
    assert member.status_code == 201, member.text
    with tenant_context(world.tenant_id):
        job = await start_reevaluation(
            client.app.stores.get(JOBS_STORE), "", world.units["cell_x"], "", "admin"
        )
    await wait_for_jobs()
    return {
        "unit_id": world.units["cell_x"],
        "candidate_id": candidate.json()["id"],
        "member_id": member.json()["id"],
        "job_id": job.id,
    }


def _tenant_routes_with_ids(client: AppClient) -> list[tuple[str, str, list[str]]]:
    found = []
    for route in client.app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/t/{tenant:str}"):
            continue
        params = [p for p in _PARAM.findall(route.path) if p != "tenant"]
        if not params:
            continue
        for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
            found.append((method, route.path, params))
    return found


def _fill(path: str, slug: str, ids: dict[str, int | str]) -> str:
    path = path.replace("{tenant:str}", slug)
    return _PARAM.sub(lambda m: str(ids[m.group(1)]), path)


async def test_every_route_taking_an_id_answers_404_for_another_tenants_objects(
    db: Database, client: AppClient
) -> None:
    a = await build_world(db, "iso-a")
    b = await build_world(db, "iso-b")
    own_ids = await _seed_people(client, a, "Lê Văn Minh")
    foreign_ids = await _seed_people(client, b, "Phạm Thị Hoa")
    headers = await token_for(client, a.slug, "admin")
    await portal_login(client, a.slug, "admin")
    # Portal forms need their CSRF token (the header form of it); the API needs none.
    page = await client.get(f"/t/{a.slug}/units/{a.units['cell_x']}")
    headers["x-csrftoken"] = csrf_token_in(page.text)

    routes = _tenant_routes_with_ids(client)
    assert {path for _, path, _ in routes} >= {
        "/t/{tenant:str}/api/v1/candidates/{candidate_id:int}",
        "/t/{tenant:str}/api/v1/members/{member_id:int}",
        "/t/{tenant:str}/api/v1/units/{unit_id:int}",
        "/t/{tenant:str}/units/{unit_id:int}",
    }
    for method, path, params in routes:
        unknown = set(params) - foreign_ids.keys()
        assert not unknown, f"{path}: add B's id for {unknown} to this test"
        body = {"version": 1, "full_name": "Bị sửa trộm"} if method in {"PATCH", "PUT"} else None
        own = await client.request(method, _fill(path, a.slug, own_ids), json=body, headers=headers)
        # A portal form posted without its fields is refused as invalid; only the API
        # must succeed for A's own ids (tests/portal covers the forms).
        if "/api/" in path or method == "GET":
            assert own.status_code < 400, f"{method} {path} fails for A's own ids: {own.text}"
        foreign = await client.request(
            method, _fill(path, a.slug, foreign_ids), json=body, headers=headers
        )
        assert foreign.status_code == 404, f"{method} {path} with B's ids: {foreign.status_code}"

    b_headers = await token_for(client, b.slug, "admin")
    untouched = await client.get(
        f"/t/{b.slug}/api/v1/candidates/{foreign_ids['candidate_id']}", headers=b_headers
    )
    assert untouched.json()["full_name"] == "Phạm Thị Hoa"
    assert untouched.json()["version"] == 1


async def test_lists_show_only_the_callers_tenant(db: Database, client: AppClient) -> None:
    a = await build_world(db, "list-a")
    b = await build_world(db, "list-b")
    own = await _seed_people(client, a, "Nguyễn Thị Lan")
    foreign = await _seed_people(client, b, "Nguyễn Thị Lan")
    headers = await token_for(client, a.slug, "admin")
    base = f"/t/{a.slug}/api/v1"

    units = (await client.get(f"{base}/units", headers=headers)).json()["items"]
    # Non-empty on Postgres proves the tenant reached the connection: under RLS a
    # query without nguon.tenant_id returns no rows at all.
    assert {u["id"] for u in units} == set(a.units.values())
    for kind, key in (("candidates", "candidate_id"), ("members", "member_id")):
        page = (await client.get(f"{base}/{kind}?q=nguyen thi lan", headers=headers)).json()
        assert [item["id"] for item in page["items"]] == [own[key]]
        assert page["total"] == 1
        assert foreign[key] not in [item["id"] for item in page["items"]]

    filtered = await client.get(f"{base}/candidates?unit_id={b.units['cell_x']}", headers=headers)
    assert filtered.status_code == 404


async def test_a_token_of_one_tenant_is_refused_under_another(
    db: Database, client: AppClient
) -> None:
    a = await build_world(db, "tok-a")
    b = await build_world(db, "tok-b")
    headers = await token_for(client, a.slug, "admin")
    assert (await client.get(f"/t/{a.slug}/api/v1/units", headers=headers)).status_code == 200
    for path in ("units", "candidates", f"units/{b.units['province']}"):
        response = await client.get(f"/t/{b.slug}/api/v1/{path}", headers=headers)
        assert response.status_code == 401


async def test_a_portal_session_of_one_tenant_is_refused_under_another(
    db: Database, client: AppClient
) -> None:
    a = await build_world(db, "ses-a")
    b = await build_world(db, "ses-b")
    await portal_login(client, a.slug, "admin")
    assert (await client.get(f"/t/{a.slug}/")).status_code == 200
    for path in ("/", f"/units/{b.units['province']}"):
        response = await client.get(f"/t/{b.slug}{path}")
        assert response.status_code in {302, 303}
        assert response.headers["location"].startswith(f"/t/{b.slug}/login")


async def test_an_unknown_tenant_is_404(db: Database, client: AppClient) -> None:
    assert (await client.get("/t/khong-ton-tai/login")).status_code == 404
    response = await client.post(
        "/t/khong-ton-tai/api/v1/auth/token", json={"username": "a", "password": "b"}
    )
    assert response.status_code == 404
