"""ETag / If-Match / If-None-Match on every versioned resource of the API."""

from __future__ import annotations

from tests.conftest import Database
from tests.http.conftest import AppClient, build_world, candidate_body, member_body, token_for


async def test_a_candidate_answers_its_version_as_etag_and_if_match_guards_writes(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "etag")
    headers = await token_for(client, world.slug, "cell_x_editor")
    base = f"/t/{world.slug}/api/v1/candidates"
    created = await client.post(base, json=candidate_body(world.units["cell_x"]), headers=headers)
    url = f"{base}/{created.json()['id']}"

    read = await client.get(url, headers=headers)
    assert read.headers["ETag"] == '"1"'
    unchanged = await client.get(url, headers={**headers, "If-None-Match": '"1"'})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["ETag"] == '"1"'

    # If-Match alone stands for the body's version; the answer carries the new tag.
    changed = await client.patch(
        url, json={"occupation": "Nông dân"}, headers={**headers, "If-Match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2 and changed.headers["ETag"] == '"2"'
    assert (await client.get(url, headers={**headers, "If-None-Match": '"1"'})).status_code == 200

    stale = await client.patch(
        url, json={"occupation": "Thợ may"}, headers={**headers, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    problem = stale.json()
    assert problem["status"] == 412 and problem["current_version"] == 2
    assert "2" in problem["detail"] and stale.headers["ETag"] == '"2"'
    assert stale.headers["content-type"].startswith("application/problem+json")

    # Neither If-Match nor the body's version: 428; the body's version alone still works.
    bare = await client.patch(url, json={"occupation": "Thợ may"}, headers=headers)
    assert bare.status_code == 428 and bare.json()["errors"][0]["field"] == "If-Match"
    by_body = await client.patch(url, json={"version": 2, "occupation": "Thợ may"}, headers=headers)
    assert by_body.status_code == 200 and by_body.headers["ETag"] == '"3"'
    stale_body = await client.patch(url, json={"version": 2, "notes": "x"}, headers=headers)
    assert stale_body.status_code == 409  # without If-Match a stale body stays a 409

    mixed = await client.patch(
        url, json={"version": 2, "notes": "x"}, headers={**headers, "If-Match": '"3"'}
    )
    assert mixed.status_code == 400 and mixed.json()["errors"][0]["field"] == "If-Match"
    garbage = await client.patch(url, json={"notes": "x"}, headers={**headers, "If-Match": "abc"})
    assert garbage.status_code == 400 and garbage.json()["errors"][0]["field"] == "If-Match"
    anything = await client.patch(url, json={"notes": "y"}, headers={**headers, "If-Match": "*"})
    assert anything.status_code == 200 and anything.headers["ETag"] == '"4"'


async def test_if_match_on_a_post_action_and_on_a_resource_the_caller_cannot_see(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "etagact")
    admin = await token_for(client, world.slug, "admin")
    other = await token_for(client, world.slug, "cell_y_editor")
    base = f"/t/{world.slug}/api/v1/members"
    created = await client.post(base, json=member_body(world.units["cell_x"]), headers=admin)
    assert created.status_code == 201, created.text
    url = f"{base}/{created.json()['id']}"
    assert (await client.get(url, headers=admin)).headers["ETag"] == '"1"'

    # Someone who cannot see the member learns nothing, not even that its version moved.
    hidden = await client.post(
        f"{url}/end",
        json={"on": "2025-01-02", "reason": "moved_out"},
        headers={**other, "If-Match": '"7"'},
    )
    assert hidden.status_code == 404, hidden.text

    ended = await client.post(
        f"{url}/end",
        json={"on": "2025-01-02", "reason": "moved_out"},
        headers={**admin, "If-Match": '"1"'},
    )
    assert ended.status_code == 201, ended.text
    assert ended.headers["ETag"] == f'"{ended.json()["version"]}"'


async def test_plans_are_created_with_if_none_match_star_and_updated_with_if_match(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "etagplan")
    admin = await token_for(client, world.slug, "admin")
    url = f"/t/{world.slug}/api/v1/plans/{world.units['commune_1']}/2025"
    targets = {"target_year": 8, "target_q1": 2, "target_q2": 2, "target_q3": 2, "target_q4": 2}
    made = await client.put(url, json=targets, headers={**admin, "If-None-Match": "*"})
    assert made.status_code == 200, made.text
    tag = made.headers["ETag"]
    again = await client.put(url, json=targets, headers={**admin, "If-None-Match": "*"})
    assert again.status_code == 412 and again.json()["current_version"] == made.json()["version"]
    assert (await client.get(url, headers=admin)).headers["ETag"] == tag
    changed = await client.put(
        url, json={**targets, "target_year": 9, "target_q4": 3}, headers={**admin, "If-Match": tag}
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["ETag"] != tag


async def test_the_openapi_document_names_the_precondition_headers_of_every_versioned_route(
    client: AppClient,
) -> None:
    from nguon.api.versioned import READS, WRITES

    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    # The document describes the newest API version the app serves.
    base = max(
        p.split("/candidates")[0]
        for p in paths
        if p.endswith("/api/v1/candidates") or p.endswith("/api/v2/candidates")
    )
    for (method, template), _ in WRITES.items():
        operation = paths[base + template][method.lower()]
        names = {p["name"] for p in operation["parameters"]}
        assert "If-Match" in names, (method, template)
    for template in READS:
        operation = paths[base + template]["get"]
        assert "If-None-Match" in {p["name"] for p in operation["parameters"]}, template
        assert "ETag" in operation["responses"]["200"]["headers"], template


async def test_a_creation_answers_its_etag_and_location(client: AppClient, db: Database) -> None:
    world = await build_world(db, "tao-moi")
    headers = await token_for(client, world.slug, "admin")
    base = f"/t/{world.slug}/api/v2"
    made = await client.post(
        f"{base}/candidates", json=candidate_body(world.units["cell_x"]), headers=headers
    )
    assert made.status_code == 201, made.text
    assert made.headers["etag"] == f'"{made.json()["version"]}"'
    assert made.headers["location"] == f"{base}/candidates/{made.json()['id']}"
    read = await client.get(made.headers["location"], headers=headers)
    assert read.status_code == 200
    assert read.headers["etag"] == made.headers["etag"]
    listed = await client.post(
        f"{base}/lists",
        json={"unit_id": world.units["cell_x"], "step": "survey", "period": "2024-Q2"},
        headers=headers,
    )
    assert listed.status_code == 201, listed.text
    assert listed.headers["location"] == f"{base}/lists/{listed.json()['list']['id']}"
    assert listed.headers["etag"] == f'"{listed.json()["list"]["version"]}"'
