"""Tenant isolation over HTTP, on both engines: another tenant's ids are plain 404s on
every route that takes an id, lists never show another tenant's rows, and a token or
session of one tenant is worthless under another."""

from __future__ import annotations

import re

from litestar.routes import HTTPRoute

from tests.conftest import Database
from tests.http.conftest import (
    AppClient,
    World,
    build_world,
    candidate_body,
    member_body,
    portal_login,
    token_for,
)

_PARAM = re.compile(r"\{(\w+):\w+\}")


async def _seed_people(client: AppClient, world: World, name: str) -> dict[str, int]:
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
    candidate_list = await client.post(
        f"{base}/lists",
        json={"unit_id": world.units["cell_x"], "step": "survey", "period": "2024-Q2"},
        headers=headers,
    )
    assert candidate_list.status_code == 201, candidate_list.text
    return {
        "unit_id": world.units["cell_x"],
        "candidate_id": candidate.json()["id"],
        "member_id": member.json()["id"],
        "list_id": candidate_list.json()["list"]["id"],
    }


# Routes that change a list's state: with A's own ids a step may be refused (wrong state
# or version after an earlier step, no renderer), but only B's ids may give 404.
_STATE_DEPENDENT = re.compile(
    r"/lists/\{list_id:int\}(/(adopt|submit|return|accept|export|refresh))?$"
)
_LIST_BODIES = {
    "adopt": {
        "version": 1,
        "resolution": {
            "number": "01-NQ/CB",
            "adopted_on": "2024-06-20",
            "members_total": 3,
            "members_present": 3,
            "members_agreeing": 3,
        },
    },
    "submit": {"version": 1},
    "refresh": {"version": 1},
    "return": {"version": 1, "comment": "Trả lại"},
    "accept": {"version": 1},
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


def _fill(path: str, slug: str, ids: dict[str, int]) -> str:
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

    routes = _tenant_routes_with_ids(client)
    assert {path for _, path, _ in routes} >= {
        "/t/{tenant:str}/api/v1/candidates/{candidate_id:int}",
        "/t/{tenant:str}/api/v1/members/{member_id:int}",
        "/t/{tenant:str}/api/v1/units/{unit_id:int}",
        "/t/{tenant:str}/api/v1/lists/{list_id:int}",
        "/t/{tenant:str}/api/v1/lists/{list_id:int}/accept",
        "/t/{tenant:str}/units/{unit_id:int}",
    }
    for method, path, params in routes:
        unknown = set(params) - foreign_ids.keys()
        assert not unknown, f"{path}: add B's id for {unknown} to this test"
        body = {"version": 1, "full_name": "Bị sửa trộm"} if method in {"PATCH", "PUT"} else None
        body = _LIST_BODIES.get(path.rsplit("/", 1)[-1], body)
        own = await client.request(method, _fill(path, a.slug, own_ids), json=body, headers=headers)
        if (method != "GET" and _STATE_DEPENDENT.search(path)) or path.endswith("/export"):
            assert own.status_code != 404 and own.status_code < 500, f"{path}: {own.text}"
        else:
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
