"""Idempotency-Key on the API's POSTs: replays, reuse with another body, a duplicate in
flight, failures that release the key, and every creating POST covered."""

from __future__ import annotations

import asyncio

import pytest

from nguon.api.idempotency import takes_idempotency_key
from nguon.api.idempotency_tables import IdempotencyRecord
from nguon.people.tables import Candidate
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant
from tests.conftest import Database
from tests.http.conftest import AppClient, World, build_world, candidate_body, token_for


async def _count(world: World, table: type) -> int:
    with tenant_context(world.tenant_id):
        return await table.count().where(in_tenant(table))


async def test_a_retried_creation_is_answered_again_and_made_once(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "idem")
    headers = await token_for(client, world.slug, "cell_x_editor")
    url = f"/t/{world.slug}/api/v1/candidates"
    body = candidate_body(world.units["cell_x"], full_name="Phạm Văn Lặp")
    keyed = {**headers, "Idempotency-Key": '"a1b2c3d4-0001"'}

    first = await client.post(url, json=body, headers=keyed)
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    # The same body with its keys in another order is the same request.
    again = await client.post(url, json=dict(reversed(body.items())), headers=keyed)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["content-type"] == first.headers["content-type"]
    assert await _count(world, Candidate) == 1

    other = await client.post(url, json={**body, "full_name": "Người Khác"}, headers=keyed)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await _count(world, Candidate) == 1

    # The key belongs to its user: someone else's identical key is a new request.
    admin = {**await token_for(client, world.slug, "admin"), "Idempotency-Key": "a1b2c3d4-0001"}
    assert (await client.post(url, json=body, headers=admin)).status_code == 201
    assert await _count(world, Candidate) == 2


async def test_a_refused_request_keeps_nothing_and_the_key_can_be_used_again(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "idemfail")
    headers = {**await token_for(client, world.slug, "cell_x_editor"), "Idempotency-Key": "k-7"}
    url = f"/t/{world.slug}/api/v1/candidates"
    refused = await client.post(url, json=candidate_body(world.units["cell_z"]), headers=headers)
    assert 400 <= refused.status_code < 500, refused.text
    assert await _count(world, IdempotencyRecord) == 0
    made = await client.post(url, json=candidate_body(world.units["cell_x"]), headers=headers)
    assert made.status_code == 201, made.text
    assert await _count(world, IdempotencyRecord) == 1

    bad = {**headers, "Idempotency-Key": "has space"}
    invalid = await client.post(url, json=candidate_body(world.units["cell_x"]), headers=bad)
    assert invalid.status_code == 400
    assert invalid.json()["errors"][0]["field"] == "Idempotency-Key"


@pytest.mark.postgres
async def test_a_duplicate_sent_while_the_first_is_in_flight_gets_409(
    postgres_db: Database, pg_client: AppClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nguon.people import service

    world = await build_world(postgres_db, "idemrace")
    headers = {**await token_for(pg_client, world.slug, "cell_x_editor"), "Idempotency-Key": "r-1"}
    url = f"/t/{world.slug}/api/v1/candidates"
    body = candidate_body(world.units["cell_x"])
    entered, release = asyncio.Event(), asyncio.Event()
    create = service.create_candidate

    async def slow_create(*args, **kwargs):
        entered.set()
        await release.wait()
        return await create(*args, **kwargs)

    monkeypatch.setattr(service, "create_candidate", slow_create)
    first = asyncio.create_task(pg_client.post(url, json=body, headers=headers))
    await asyncio.wait_for(entered.wait(), 10)
    duplicate = await pg_client.post(url, json=body, headers=headers)
    assert duplicate.status_code == 409
    assert duplicate.headers["Retry-After"] == "1"
    assert duplicate.json()["errors"][0]["field"] == "Idempotency-Key"
    release.set()
    assert (await first).status_code == 201
    replay = await pg_client.post(url, json=body, headers=headers)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert await _count(world, Candidate) == 1


async def test_every_creating_post_of_the_api_takes_an_idempotency_key(client: AppClient) -> None:
    """Walks the route table: each POST answering 201 is covered, and documented."""
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    creating = [
        (route.path_format, handler)
        for route in client.app.routes
        if "/api/" in route.path
        for handler in getattr(route, "route_handlers", [])
        if "POST" in handler.http_methods and handler.status_code == 201
    ]
    assert len(creating) >= 8
    documented = 0
    for path, _ in creating:
        assert takes_idempotency_key("POST", path), path
        if path in paths:  # an older API version may be left out of the document
            names = {p["name"] for p in paths[path]["post"]["parameters"]}
            assert "Idempotency-Key" in names, path
            documented += 1
    assert documented >= 8
    assert not takes_idempotency_key("POST", "/t/{tenant}/api/v1/auth/token")


async def test_a_key_past_its_retention_or_left_in_flight_by_a_dead_request_is_free_again(
    db: Database, client: AppClient
) -> None:
    import datetime as dt

    world = await build_world(db, "idemold")
    headers = {**await token_for(client, world.slug, "cell_x_editor"), "Idempotency-Key": "old"}
    url = f"/t/{world.slug}/api/v1/candidates"
    assert (
        await client.post(url, json=candidate_body(world.units["cell_x"]), headers=headers)
    ).status_code == 201
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    with tenant_context(world.tenant_id):
        await IdempotencyRecord.update({IdempotencyRecord.expires_at: past}).where(
            in_tenant(IdempotencyRecord)
        )
    fresh = await client.post(
        url, json=candidate_body(world.units["cell_x"], full_name="Mới"), headers=headers
    )
    assert fresh.status_code == 201 and "Idempotent-Replayed" not in fresh.headers
    # A claim whose request died (never answered) stops blocking the key after its lease.
    with tenant_context(world.tenant_id):
        await IdempotencyRecord.update(
            {IdempotencyRecord.status: None, IdempotencyRecord.created_at: past}
        ).where(in_tenant(IdempotencyRecord))
    again = await client.post(
        url, json=candidate_body(world.units["cell_x"], full_name="Mới"), headers=headers
    )
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert await _count(world, Candidate) == 3


async def test_a_database_outage_while_keeping_the_key_answers_503_and_makes_nothing(
    db: Database, client: AppClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from nguon.api import idempotency

    world = await build_world(db, "idemdown")
    headers = {**await token_for(client, world.slug, "cell_x_editor"), "Idempotency-Key": "k-503"}

    async def locked(request: object) -> int | None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(idempotency, "_claim", locked)
    url = f"/t/{world.slug}/api/v1/candidates"
    down = await client.post(url, json=candidate_body(world.units["cell_x"]), headers=headers)
    assert down.status_code == 503, down.text
    assert down.headers["content-type"] == "application/problem+json"
    assert down.headers["retry-after"].isdigit()
    assert down.json()["code"] == "service_unavailable"
    assert "thử lại" in down.json()["detail"]
    assert await _count(world, Candidate) == 0
