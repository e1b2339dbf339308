"""Candidates and members over the JSON API: validation, locking, search, audit, and
national ID numbers that never leave in clear."""

from __future__ import annotations

import msgspec
import pytest

from nguon.app import create_app
from nguon.audit.tables import AuditEvent
from nguon.crypto import _fernet
from nguon.people.tables import Candidate
from nguon.tenancy.context import tenant_context
from tests.conftest import Database
from tests.http.conftest import (
    AppClient,
    World,
    app_settings,
    build_world,
    candidate_body,
    member_body,
    token_for,
)
from tests.problems import assert_problem

NATIONAL_ID = "034202004567"


async def _events(world: World, entity_type: str, entity_id: int) -> list[dict]:
    with tenant_context(world.tenant_id):
        return await (
            AuditEvent.select()
            .where(
                AuditEvent.tenant_id == world.tenant_id,
                AuditEvent.entity_type == entity_type,
                AuditEvent.entity_id == entity_id,
            )
            .order_by(AuditEvent.id)
            .run()
        )


async def test_create_and_update_write_audit_events_without_the_national_id(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "audit")
    headers = await token_for(client, world.slug, "cell_x_editor")
    base = f"/t/{world.slug}/api/v1/candidates"
    created = await client.post(
        base,
        json=candidate_body(world.units["cell_x"], national_id=NATIONAL_ID),
        headers=headers,
    )
    assert created.status_code == 201, created.text
    candidate = created.json()
    assert candidate["national_id_masked"] == "********4567"
    assert NATIONAL_ID not in created.text

    updated = await client.patch(
        f"{base}/{candidate['id']}",
        json={"version": 1, "occupation": "Công nhân", "national_id": "034202009999"},
        headers=headers,
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2
    assert updated.json()["national_id_masked"] == "********9999"

    events = await _events(world, "candidate", candidate["id"])
    assert [e["action"] for e in events] == ["create", "update"]
    for event in events:
        assert event["actor"] == "cell_x_editor"
        assert event["actor_id"] == world.users["cell_x_editor"]
    create_after = _json(events[0]["after"])
    assert create_after["full_name"] == "Nguyễn Văn An"
    assert create_after["national_id"] == "[redacted]"
    update_before, update_after = _json(events[1]["before"]), _json(events[1]["after"])
    assert update_after == {
        "occupation": "Công nhân",
        "national_id": "[redacted]",
    }
    assert set(update_before) == {"occupation", "national_id"}
    # What the events recorded (not their ids and timestamps, which may hold any digits).
    serialized = msgspec.json.encode([(e["before"], e["after"]) for e in events]).decode()
    for secret in (NATIONAL_ID, "034202009999", "4567", "9999"):
        assert secret not in serialized

    with tenant_context(world.tenant_id):
        stored = await Candidate.select().where(Candidate.id == candidate["id"]).first().run()
    assert "034202009999" not in msgspec.json.encode(stored).decode()


def _json(value: object) -> dict:
    return msgspec.json.decode(value) if isinstance(value, str | bytes) else value  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"full_name": 12}, "full_name"),
        ({"full_name": ""}, "full_name"),
        ({"sex": "other"}, "sex"),
        ({"date_of_birth": "17/05/2002"}, "date_of_birth"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"education": "phd"}, "education"),
        ({"national_id": "12ab"}, "national_id"),
        ({"fullname": "Nguyễn Văn An"}, "fullname"),
        ({"youth_union_member": "yes"}, "youth_union_member"),
    ],
)
async def test_a_bad_candidate_body_is_a_400_naming_the_field(
    sqlite_db: Database, change: dict, field: str
) -> None:
    world = await build_world(sqlite_db, "bad-body")
    async with AppClient(create_app(app_settings(), engine=sqlite_db.app)) as client:
        headers = await token_for(client, world.slug, "cell_x_editor")
        body = candidate_body(world.units["cell_x"]) | change
        response = await client.post(
            f"/t/{world.slug}/api/v1/candidates", json=body, headers=headers
        )
    (error,) = assert_problem(response, 400)["errors"]
    assert error["pointer"] == f"/{field}"
    assert f"`{field}`" in error["detail"] and f"`{field}`" in error["detail_en"]


async def test_malformed_bodies_are_400_never_500(db: Database, client: AppClient) -> None:
    world = await build_world(db, "malformed")
    headers = await token_for(client, world.slug, "cell_x_editor")
    base = f"/t/{world.slug}/api/v1/candidates"
    body = candidate_body(world.units["cell_x"])
    del body["unit_id"]
    missing = await client.post(base, json=body, headers=headers)
    assert assert_problem(missing, 400, "validation_failed")["errors"] == [
        {
            "field": "unit_id",
            "pointer": "/unit_id",
            "code": "required",
            "detail": "Thiếu trường bắt buộc `unit_id`.",
            "detail_en": "`unit_id` is required.",
        }
    ]
    for raw in (b"[1, 2]", b"{not json", b""):
        response = await client.post(
            base, content=raw, headers=headers | {"content-type": "application/json"}
        )
        assert_problem(response, 400)
    no_version = await client.patch(f"{base}/1", json={"notes": "x"}, headers=headers)
    # Neither If-Match nor the body's version: the precondition is required.
    assert_problem(no_version, 428, "precondition_required")
    bad_page = await client.get(f"{base}?page=0", headers=headers)
    (error,) = assert_problem(bad_page, 400, "validation_failed")["errors"]
    assert (error["parameter"], error["code"]) == ("page", "out_of_range")
    assert error["detail"] == "`page` phải lớn hơn hoặc bằng 1."


async def test_a_stale_version_is_409_and_loses_nothing(db: Database, client: AppClient) -> None:
    world = await build_world(db, "stale")
    headers = await token_for(client, world.slug, "cell_x_editor")
    base = f"/t/{world.slug}/api/v1/candidates"
    candidate = (
        await client.post(base, json=candidate_body(world.units["cell_x"]), headers=headers)
    ).json()
    url = f"{base}/{candidate['id']}"
    first = await client.patch(url, json={"version": 1, "residence": "Ngọc Đà"}, headers=headers)
    assert first.status_code == 200
    second = await client.patch(url, json={"version": 1, "residence": "Thôn Khác"}, headers=headers)
    assert assert_problem(second, 409, "version_mismatch")["errors"][0]["field"] == "version"
    current = (await client.get(f"{base}/{candidate['id']}", headers=headers)).json()
    assert current["residence"] == "Ngọc Đà"
    assert current["version"] == 2
    assert len(await _events(world, "candidate", candidate["id"])) == 2


async def test_search_ignores_diacritics_and_pages_with_a_total(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "search")
    headers = await token_for(client, world.slug, "cell_x_editor")
    base = f"/t/{world.slug}/api/v1/candidates"
    names = ["Nguyễn Văn An", "Nguyễn Văn Anh", "Trần Thị Bình", "NGUYỄN VĂN ÂN"]
    for name in names:
        response = await client.post(
            base, json=candidate_body(world.units["cell_x"], full_name=name), headers=headers
        )
        assert response.status_code == 201
    found = (await client.get(f"{base}?q=nguyen van a", headers=headers)).json()
    assert found["total"] == 3
    assert {c["full_name"] for c in found["items"]} == {
        "Nguyễn Văn An",
        "Nguyễn Văn Anh",
        "NGUYỄN VĂN ÂN",
    }
    exact = (await client.get(f"{base}?q=Nguyễn Văn An", headers=headers)).json()
    assert "Nguyễn Văn An" in {c["full_name"] for c in exact["items"]}
    page_2 = (await client.get(f"{base}?q=nguyen&page=2&page_size=2", headers=headers)).json()
    assert page_2["total"] == 3
    assert page_2["page"] == 2
    assert len(page_2["items"]) == 1
    wildcard = (await client.get(f"{base}?q=%25", headers=headers)).json()
    assert wildcard["total"] == 4


async def test_a_national_id_is_recorded_once_per_tenant(db: Database, client: AppClient) -> None:
    world = await build_world(db, "nid")
    headers = await token_for(client, world.slug, "district_1_editor")
    base = f"/t/{world.slug}/api/v1/candidates"
    first = await client.post(
        base, json=candidate_body(world.units["cell_x"], national_id=NATIONAL_ID), headers=headers
    )
    assert first.status_code == 201
    again = await client.post(
        base,
        json=candidate_body(world.units["cell_y"], national_id=f" {NATIONAL_ID} "),
        headers=headers,
    )
    assert assert_problem(again, 409, "conflict")["errors"][0]["field"] == "national_id"
    assert NATIONAL_ID not in again.text


async def test_members_are_created_read_searched_and_audited(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "members")
    headers = await token_for(client, world.slug, "cell_x_editor")
    base = f"/t/{world.slug}/api/v1/members"
    created = await client.post(base, json=member_body(world.units["cell_x"]), headers=headers)
    assert created.status_code == 201, created.text
    member = created.json()
    assert (await client.get(f"{base}/{member['id']}", headers=headers)).json() == member
    found = (await client.get(f"{base}?q=tran thi binh", headers=headers)).json()
    assert [m["id"] for m in found["items"]] == [member["id"]]
    events = await _events(world, "member", member["id"])
    assert len(events) == 1
    assert events[0]["actor"] == "cell_x_editor"
    assert _json(events[0]["after"])["full_name"] == "Trần Thị Bình"
    backwards = member_body(world.units["cell_x"]) | {"official_on": "2000-01-01"}
    refused = await client.post(base, json=backwards, headers=headers)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "official_on"


async def test_a_national_id_sealed_with_another_key_is_shown_fully_masked(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "people-oldkey")
    headers = await token_for(client, world.slug, "district_1_editor")
    created = await client.post(
        f"/t/{world.slug}/api/v1/candidates",
        json=candidate_body(world.units["cell_x"], national_id="033203004567"),
        headers=headers,
    )
    assert created.status_code == 201, created.text
    sealed_elsewhere = _fernet("another-deployment-key").encrypt(b"033203009999").decode()
    with tenant_context(world.tenant_id):
        await Candidate.update({Candidate.national_id_encrypted: sealed_elsewhere}).where(
            Candidate.id == created.json()["id"], Candidate.tenant_id == world.tenant_id
        )
    listing = await client.get(f"/t/{world.slug}/api/v1/candidates", headers=headers)
    assert listing.status_code == 200
    assert [c["national_id_masked"] for c in listing.json()["items"]] == ["************"]
