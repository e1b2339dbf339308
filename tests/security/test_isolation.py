"""Tenant isolation over HTTP, on both engines: another tenant's ids are plain 404s on
every route that takes an id, lists never show another tenant's rows, and a token or
session of one tenant is worthless under another."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from litestar.routes import HTTPRoute

from nguon.clock import today_in_vietnam
from nguon.org.tables import Membership, OrgUnit
from nguon.pipeline.rules_tables import RulesWhatIf
from nguon.pipeline.tables import CourseEnrolment, HelperAssignment
from nguon.plugins_builtin.webhooks.tables import WebhookDelivery
from nguon.portal.jobs import JOBS_STORE, start_reevaluation, wait_for_jobs
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant, switch_tenant_in_transaction
from tests.conftest import Database
from tests.http.conftest import (
    AppClient,
    World,
    build_world,
    candidate_body,
    csrf_token_in,
    member_body,
    portal_login,
    send,
    token_for,
)
from tests.problems import assert_problem, problem_faults

_PARAM = re.compile(r"\{(\w+):\w+\}")
# Both API versions (v2, and the deprecated v1 with the old names) serve the same routes.
_API_PREFIX = re.compile(r"^/t/\{tenant:str\}/api/v\d+")


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
    candidate_list = await client.post(
        f"{base}/lists",
        json={"unit_id": world.units["cell_x"], "step": "survey", "period": "2024-Q2"},
        headers=headers,
    )
    assert candidate_list.status_code == 201, candidate_list.text
    list_id = candidate_list.json()["list"]["id"]
    export = await client.post(f"{base}/lists/{list_id}/exports", json={}, headers=headers)
    assert export.status_code == 202, export.text
    with tenant_context(world.tenant_id):
        job = await start_reevaluation(
            client.app.stores.get(JOBS_STORE), "", world.units["cell_x"], "", "admin"
        )
    await wait_for_jobs()
    exported = await client.get(export.headers["location"], headers=headers)
    managed = world.users["cell_y_editor"]
    with tenant_context(world.tenant_id):
        role = await (
            Membership.select(Membership.id)
            .where(in_tenant(Membership), Membership.user == managed)
            .first()
        )
        # The job's what-if row, so /admin/rules/whatif/{job_id} finds A's own job (a
        # finished run without changes) and must not find B's.
        await RulesWhatIf.insert(
            RulesWhatIf(
                tenant_id=world.tenant_id,
                job_id=job.id,
                package="seeded",
                version="seeded",
                on_date=dt.date(2026, 1, 1),
                state="done",
                started_by="admin",
            )
        )
    return {
        "user_id": managed,
        "membership_id": role["id"],
        "unit_id": world.units["cell_x"],
        "candidate_id": candidate.json()["id"],
        "member_id": member.json()["id"],
        "list_id": list_id,
        "job_id": job.id,
        "export_id": int(exported.json()["file_url"].rsplit("/", 1)[1]),
    }


async def _seed_pipeline(
    db: Database, client: AppClient, world: World, ids: dict[str, int]
) -> dict[str, int]:
    """A course with an enrolment, a helper assignment and a plan (rows made directly)."""
    headers = await token_for(client, world.slug, "admin")
    base = f"/t/{world.slug}/api/v1"
    course = await client.post(
        f"{base}/courses",
        json={
            "organiser_unit_id": world.units["district_1"],
            "title": "Lớp bồi dưỡng",
            "opens_on": "2025-01-05",
            "closes_on": "2025-01-30",
        },
        headers=headers,
    )
    assert course.status_code == 201, course.text
    plan = {"target_year": 4, "target_q1": 1, "target_q2": 1, "target_q3": 1, "target_q4": 1}
    made = await client.put(f"{base}/plans/{ids['unit_id']}/2026", json=plan, headers=headers)
    assert made.status_code == 200, made.text
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            enrolment = CourseEnrolment(
                tenant_id=world.tenant_id, course=course.json()["id"], candidate=ids["candidate_id"]
            )
            await enrolment.save().run()
            helper = HelperAssignment(
                tenant_id=world.tenant_id,
                candidate=ids["candidate_id"],
                member=ids["member_id"],
                assigned_on=dt.date(2026, 1, 1),
            )
            await helper.save().run()
            delivery = WebhookDelivery(
                tenant_id=world.tenant_id,
                delivery_id=str(uuid.uuid4()),
                event_type="list.submitted",
                endpoint_url="https://example.org/hook",
                body="{}",
                status="failed",
            )
            await delivery.save().run()
    return {
        **ids,
        "course_id": course.json()["id"],
        "enrolment_id": enrolment.id,
        "assignment_id": helper.id,
        "delivery_id": delivery.id,
        "year": 2026,
    }


# Bodies that pass validation, built from the caller's own ids. Routes in _STATEFUL may
# refuse A's own objects for a domain reason (not on an accepted list, not completed, not
# an admission source, a stage the stage machine does not allow the event from); there
# A's ids must still be found (no 404) and B's must 404.
_BODIES: dict[str, Any] = {
    "/courses/{course_id:int}": lambda ids: {"version": 1, "title": "Bị sửa trộm"},
    "/courses/{course_id:int}/enrolments": lambda ids: {"candidate_id": ids["candidate_id"]},
    "/courses/{course_id:int}/enrolments/{enrolment_id:int}": lambda ids: {
        "version": 1,
        "attended_sessions": 1,
    },
    "/courses/{course_id:int}/enrolments/{enrolment_id:int}/certificate": lambda ids: {
        "version": 1,
        "number": "GCN-trộm",
        "date": "2025-01-30",
    },
    "/helpers/{assignment_id:int}/end": lambda ids: {
        "ended_on": today_in_vietnam().isoformat(),
        "reason": "Bị sửa trộm",
    },
    "/candidates/{candidate_id:int}/propose-admission": lambda ids: {
        "version": 1,
        "introducer_member_ids": [ids["member_id"]],
    },
    "/candidates/{candidate_id:int}/admission-road": lambda ids: {
        "version": 1,
        "step": "grassroots_resolution",
        "taken_on": today_in_vietnam().isoformat(),
        "document_number": "NQ-trộm",
    },
    "/candidates/{candidate_id:int}/stage": lambda ids: {
        "version": 2,
        "to_stage": "removed",
        "reason": "Bị sửa trộm",
    },
    # A stale version: A's own member is found (409) but not moved or ended, which would
    # end the helper assignment the routes after it use.
    "/members/{member_id:int}/transfer": lambda ids: {
        "version": 0,
        "to_unit_id": ids["unit_id"],
        "on": today_in_vietnam().isoformat(),
        "reason": "Bị sửa trộm",
    },
    "/members/{member_id:int}/end": lambda ids: {
        "version": 0,
        "on": today_in_vietnam().isoformat(),
        "reason": "other",
        "note": "Bị sửa trộm",
    },
    "/admin/users/{user_id:int}/memberships": lambda ids: {
        "unit_id": ids["unit_id"],
        "role": "viewer",
    },
    "/lists/{list_id:int}": lambda ids: {"version": 1, "remove": []},
    "/plans/{unit_id:int}/{year:int}": lambda ids: {
        "version": 1,
        "targets": {"year": 0, "q1": 0, "q2": 0, "q3": 0, "q4": 0},
    },
}
_STATEFUL = {
    "/courses/{course_id:int}/enrolments",
    "/courses/{course_id:int}/enrolments/{enrolment_id:int}",
    "/courses/{course_id:int}/enrolments/{enrolment_id:int}/certificate",
    "/candidates/{candidate_id:int}/propose-admission",
    "/candidates/{candidate_id:int}/admission-road",
    "/members/{member_id:int}/transfer",
    "/members/{member_id:int}/end",
    "/admin/webhooks/deliveries/{delivery_id:int}/redeliver",  # the plugin is off here
}


def _body(method: str, path: str, ids: dict[str, int]) -> Any:
    if method not in {"PATCH", "PUT", "POST"}:
        return None
    make = _BODIES.get(_API_PREFIX.sub("", path))
    if make is not None:
        return make(ids)
    return {"version": 1, "full_name": "Bị sửa trộm"}


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
    "exports": {"format": "xlsx"},
}


def _tenant_routes_with_ids(client: AppClient) -> list[tuple[str, str, list[str]]]:
    found = []
    for route in client.app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/t/{tenant:str}"):
            continue
        # A plugin name is the same in every tenant, not a tenant's object; that each tenant
        # sees only its own plugin settings is shown in tests/plugins/test_tenant_plugins.py.
        params = [p for p in _PARAM.findall(route.path) if p not in {"tenant", "plugin_name"}]
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
    own_ids = await _seed_pipeline(db, client, a, await _seed_people(client, a, "Lê Văn Minh"))
    foreign_ids = await _seed_pipeline(db, client, b, await _seed_people(client, b, "Phạm Thị Hoa"))
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
        "/t/{tenant:str}/api/v1/lists/{list_id:int}",
        "/t/{tenant:str}/api/v1/lists/{list_id:int}/accept",
        "/t/{tenant:str}/units/{unit_id:int}",
    }
    assert "/t/{tenant:str}/api/v2/units/{unit_id:int}" in {path for _, path, _ in routes}
    called: set[tuple[str, str]] = set()
    for method, path, params in routes:
        unknown = set(params) - foreign_ids.keys()
        assert not unknown, f"{path}: add B's id for {unknown} to this test"
        body = _body(method, path, own_ids)
        if "/lists/" in path:
            body = _LIST_BODIES.get(path.rsplit("/", 1)[-1], body)
        own = await send(client, method, _fill(path, a.slug, own_ids), body, headers)
        short = _API_PREFIX.sub("", path)
        state_dependent = (method != "GET" and _STATE_DEPENDENT.search(path)) or path.endswith(
            "/export"
        )
        # The second version's call of a write finds the object changed by the first's.
        again = method != "GET" and (method, short) in called
        called.add((method, short))
        if short in _STATEFUL or state_dependent or again:
            assert own.status_code != 404 and own.status_code < 500, f"{method} {path}: {own.text}"
        # A portal form posted without its fields is refused as invalid; only the API
        # must succeed for A's own ids (tests/portal covers the forms).
        elif "/api/" in path or method == "GET":
            assert own.status_code < 400, f"{method} {path} fails for A's own ids: {own.text}"
        foreign = await send(client, method, _fill(path, a.slug, foreign_ids), body, headers)
        assert foreign.status_code == 404, f"{method} {path} with B's ids: {foreign.status_code}"
        if "/api/" in path:
            assert problem_faults(foreign) == [], f"{method} {path}: {foreign.text}"

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
        assert_problem(response, 401, "unauthenticated")


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
    assert_problem(response, 404, "not_found")


async def test_every_route_taking_an_id_refuses_another_subtrees_objects(
    db: Database, client: AppClient
) -> None:
    """A district committee's editor reaches nothing of the other district's subtree:
    every id-bearing route answers 403 or 404 and nothing changes."""
    await _outsider_reaches_nothing(db, client, await build_world(db, "subtree"))


async def test_a_look_alike_unit_path_gives_no_reach_into_the_other_subtree(
    db: Database, client: AppClient
) -> None:
    """Unit paths are ids joined by dots: the editor of district ``n`` (path ``1.n.``) must
    not reach district ``n7`` (path ``1.n7.``), whose path starts with the same digits."""
    world = await build_world(db, "lookalike", lookalike=True)
    outsider_path = await _unit_path(db, world, "district_2")
    target_path = await _unit_path(db, world, "cell_x")
    assert target_path.startswith(outsider_path.removesuffix("."))
    assert not target_path.startswith(outsider_path)
    await _outsider_reaches_nothing(db, client, world)


async def _unit_path(db: Database, world: World, key: str) -> str:
    with db.as_owner(), tenant_context(world.tenant_id):
        rows = await OrgUnit.select(OrgUnit.path).where(OrgUnit.id == world.units[key]).run()
    return rows[0]["path"]


async def _outsider_reaches_nothing(db: Database, client: AppClient, world: World) -> None:
    ids = await _seed_pipeline(db, client, world, await _seed_people(client, world, "Đỗ Văn Hải"))
    outsider = await token_for(client, world.slug, "district_2_editor")
    await portal_login(client, world.slug, "district_2_editor")
    page = await client.get(f"/t/{world.slug}/units/{world.units['cell_z']}")
    outsider["x-csrftoken"] = csrf_token_in(page.text)
    admin = await token_for(client, world.slug, "admin")
    before = await client.get(
        f"/t/{world.slug}/api/v1/candidates/{ids['candidate_id']}", headers=admin
    )

    reached = []
    for method, path, _ in _tenant_routes_with_ids(client):
        body = _body(method, path, ids)
        if "/lists/" in path:
            body = _LIST_BODIES.get(path.rsplit("/", 1)[-1], body)
        answer = await send(client, method, _fill(path, world.slug, ids), body, outsider)
        if answer.status_code not in {403, 404}:
            reached.append(f"{method} {path}: {answer.status_code}")
        elif "/api/" in path and problem_faults(answer):
            reached.append(f"{method} {path}: not a problem: {problem_faults(answer)}")
    assert reached == []
    after = await client.get(
        f"/t/{world.slug}/api/v1/candidates/{ids['candidate_id']}", headers=admin
    )
    assert after.json() == before.json()
    searched = await client.get(f"/t/{world.slug}/api/v1/candidates", headers=outsider)
    assert searched.status_code == 200
    assert ids["candidate_id"] not in [item["id"] for item in searched.json()["items"]]
    units = await client.get(f"/t/{world.slug}/api/v1/units", headers=outsider)
    assert world.units["cell_x"] not in [item["id"] for item in units.json()["items"]]
