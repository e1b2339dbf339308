"""Every write leaves an audit event, generated from the route table.

Every request the test makes (the seeding included) is watched: when an API route that
writes (POST, PUT, PATCH, DELETE) answers 2xx, the tenant must hold more audit events
than before it. Every write route of the API must have answered 2xx at least once here,
so a route added tomorrow fails this test until it is exercised (and audited).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from litestar.routes import HTTPRoute

from nguon.audit.tables import AuditEvent
from nguon.clock import today_in_vietnam
from nguon.tenancy.context import tenant_context
from tests.conftest import Database
from tests.courses.test_helpers_admission import _admission_source
from tests.http.conftest import (
    AppClient,
    World,
    build_world,
    candidate_body,
    member_body,
    token_for,
)
from tests.security.test_isolation import (
    _LIST_BODIES,
    _body,
    _fill,
    _seed_people,
    _seed_pipeline,
    _tenant_routes_with_ids,
    send,
)

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
API = "/t/{tenant:str}/api/v1"
# Writes that change no record of the tenant's work, with the reason.
_PART = {"int}": r"\d+", "str}": r"[^/]+"}
NOT_RECORDS = {
    f"POST {API}/auth/token": "a sign-in issues a token; sign-ins are logged by accounts",
}


def _write_routes(client: AppClient) -> dict[str, re.Pattern[str]]:
    """Each API write route ("METHOD template") and a pattern matching its URLs."""
    found = {}
    for route in client.app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(API):
            continue
        pattern = "".join(
            _PART.get(part.split(":")[-1], part) if part.startswith("{") else re.escape(part)
            for part in re.split(r"(\{\w+:\w+\})", route.path)
        )
        for method in route.methods & WRITES:
            found[f"{method} {route.path}"] = re.compile(f"{method} {pattern}$")
    return found


class Watch:
    """Counts the tenant's audit events around every write request of the client."""

    def __init__(self, db: Database, client: AppClient, world: World) -> None:
        self.db, self.world = db, world
        self.routes = _write_routes(client)
        self.before: int | None = None
        self.succeeded: set[str] = set()
        self.silent: list[str] = []
        client.event_hooks = {"request": [self.on_request], "response": [self.on_response]}

    def route_of(self, request: httpx.Request) -> str | None:
        if f"/t/{self.world.slug}/" not in request.url.path:
            return None
        seen = f"{request.method} {request.url.path}"
        return next((name for name, rx in self.routes.items() if rx.match(seen)), None)

    async def count(self) -> int:
        with self.db.as_owner(), tenant_context(self.world.tenant_id):
            return (
                await AuditEvent.count().where(AuditEvent.tenant_id == self.world.tenant_id).run()
            )

    async def on_request(self, request: httpx.Request) -> None:
        self.before = await self.count() if self.route_of(request) else None

    async def on_response(self, response: httpx.Response) -> None:
        route = self.route_of(response.request)
        if route is None or self.before is None or not response.is_success:
            return
        self.succeeded.add(route)
        if route not in NOT_RECORDS and await self.count() <= self.before:
            self.silent.append(f"{route} answered {response.status_code} and left no audit event")


async def _each_id_route(client: AppClient, world: World, ids: dict[str, Any]) -> None:
    headers = await token_for(client, world.slug, "admin")
    for method, path, _ in _tenant_routes_with_ids(client):
        if method not in WRITES or not path.startswith(API):
            continue
        body = _body(method, path, ids)
        if "/lists/" in path:
            body = _LIST_BODIES.get(path.rsplit("/", 1)[-1], body)
        await send(client, method, _fill(path, world.slug, ids), body, headers)


async def _list_lifecycle(client: AppClient, world: World, headers: dict[str, str]) -> None:
    base = f"/t/{world.slug}/api/v1"
    person = await client.post(
        f"{base}/candidates",
        json=candidate_body(
            world.units["cell_y"], full_name="Lò Văn Pao", political_standard="passed"
        ),
        headers=headers,
    )
    made = await client.post(
        f"{base}/lists",
        json={"unit_id": world.units["cell_y"], "step": "survey", "period": "2024-Q2"},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    url = f"{base}/lists/{made.json()['list']['id']}"
    remove = {"remove": [{"candidate_id": person.json()["id"], "reason": "Chuyển đi"}]}
    for suffix, body in (
        ("", remove),
        ("/refresh", {}),
        ("/adopt", {"resolution": _LIST_BODIES["adopt"]["resolution"]}),
        ("/submit", {}),
        ("/return", {"comment": "Bổ sung biên bản"}),
        ("/adopt", {"resolution": _LIST_BODIES["adopt"]["resolution"]}),
        ("/submit", {}),
        ("/accept", {}),
    ):
        version = (await client.get(url, headers=headers)).json()["list"]["version"]
        method = "PATCH" if suffix == "" else "POST"
        done = await client.request(
            method, f"{url}{suffix}", json={**body, "version": version}, headers=headers
        )
        assert done.status_code == 200, f"{suffix}: {done.text}"


async def _member_moves(client: AppClient, world: World, headers: dict[str, str]) -> None:
    base = f"/t/{world.slug}/api/v1/members"
    made = await client.post(
        base, json=member_body(world.units["cell_y"], full_name="Hà Văn Chuyển"), headers=headers
    )
    assert made.status_code == 201, made.text
    url = f"{base}/{made.json()['id']}"
    moved = await client.post(
        f"{url}/transfer",
        json={
            "version": made.json()["version"],
            "to_unit_id": world.units["cell_x"],
            "on": "2026-11-02",
            "reason": "Chuyển sinh hoạt",
        },
        headers=headers,
    )
    assert moved.is_success, moved.text
    ended = await client.post(
        f"{url}/end",
        json={
            "version": moved.json()["version"],
            "on": "2026-11-20",
            "reason": "other",
            "note": "Chuyển ra ngoài tỉnh",
        },
        headers=headers,
    )
    assert ended.is_success, ended.text


async def _users(client: AppClient, world: World, headers: dict[str, str]) -> None:
    base = f"/t/{world.slug}/api/v1"
    made = await client.post(
        f"{base}/admin/users",
        json={
            "username": "bithu.thon9",
            "full_name": "Đinh Thị Thu",
            "unit_id": world.units["cell_x"],
            "role": "editor",
        },
        headers=headers,
    )
    assert made.status_code == 201, made.text
    once = made.json()["one_time_password"]
    token = await client.post(
        f"{base}/auth/token", json={"username": "bithu.thon9", "password": once}
    )
    assert token.is_success, token.text
    changed = await client.post(
        f"{base}/account/password",
        json={"current_password": once, "new_password": "mật-khẩu-mới-của-thu-2026"},
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
    )
    assert changed.is_success, changed.text
    user = made.json()["user"]["id"]
    granted = await client.post(
        f"{base}/admin/users/{user}/memberships",
        json={"unit_id": world.units["cell_y"], "role": "viewer"},
        headers=headers,
    )
    assert granted.status_code == 201, granted.text
    for action in ("deactivate", "reactivate"):
        done = await client.post(f"{base}/admin/users/{user}/{action}", headers=headers)
        assert done.is_success, f"{action}: {done.text}"


async def _webhooks(client: AppClient, world: World, headers: dict[str, str]) -> None:
    base = f"/t/{world.slug}/api/v1/admin"
    endpoint = {
        "url": "https://tiep-nhan.example.invalid/nguon",
        "secret": "một-bí-mật-dài-hơn-mười-sáu-ký-tự",
        "events": ["list.submitted"],
    }
    on = await client.put(
        f"{base}/plugins/webhooks",
        json={"enabled": True, "config": {"endpoints": [endpoint]}},
        headers=headers,
    )
    assert on.is_success, on.text
    sent = await client.post(f"{base}/webhooks/test", json={}, headers=headers)
    assert sent.is_success, sent.text
    delivery = sent.json()[0]["id"]
    again = await client.post(f"{base}/webhooks/deliveries/{delivery}/redeliver", headers=headers)
    assert again.is_success, again.text


async def test_every_api_write_leaves_an_audit_event(db: Database, client: AppClient) -> None:
    world = await build_world(db, "audit-trail")
    watch = Watch(db, client, world)
    ids = await _seed_pipeline(db, client, world, await _seed_people(client, world, "Vũ Thị Mai"))
    await _each_id_route(client, world, ids)
    headers = await token_for(client, world.slug, "admin")
    plugins = await client.get(f"/t/{world.slug}/api/v1/admin/plugins", headers=headers)
    for plugin in plugins.json():
        if not plugin["config"]:
            await client.put(
                f"/t/{world.slug}/api/v1/admin/plugins/{plugin['name']}",
                json={"enabled": not plugin["enabled"]},
                headers=headers,
            )

    await _list_lifecycle(client, world, headers)
    candidate, introducers = await _admission_source(client, db, world, headers)
    proposed = await client.post(
        f"/t/{world.slug}/api/v1/candidates/{candidate['id']}/propose-admission",
        json={"version": candidate["version"], "introducer_member_ids": introducers},
        headers=headers,
    )
    assert proposed.status_code == 200, proposed.text
    await _member_moves(client, world, headers)
    road = await client.post(
        f"/t/{world.slug}/api/v1/candidates/{candidate['id']}/admission-road",
        json={
            "version": proposed.json()["version"],
            "step": "grassroots_resolution",
            "taken_on": today_in_vietnam().isoformat(),
            "document_number": "45-NQ/ĐU",
        },
        headers=headers,
    )
    assert road.is_success, road.text
    await _users(client, world, headers)
    await _webhooks(client, world, headers)

    assert watch.silent == []
    never = sorted(set(watch.routes) - watch.succeeded)
    assert never == [], "exercise these write routes here so their audit is checked"
