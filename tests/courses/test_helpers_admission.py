"""Helpers by resolution, proposals for admission and recorded admissions, on both engines."""

from __future__ import annotations

from typing import Any

from nguon.clock import today_in_vietnam
from tests.conftest import Database
from tests.courses.conftest import (
    accept_sources_list,
    add_candidate,
    add_member,
    api,
    audit_actions,
)
from tests.courses.test_courses import certify
from tests.http.conftest import AppClient, World, build_world, token_for

RESOLUTION = {
    "number": "05-NQ/CB",
    "adopted_on": "2026-11-02",
    "members_total": 12,
    "members_present": 10,
    "members_agreeing": 9,
}


def assignment(candidate: dict[str, Any], member_id: int) -> dict[str, Any]:
    return {
        "candidate_id": candidate["id"],
        "member_id": member_id,
        "candidate_version": candidate["version"],
        "resolution": RESOLUTION,
    }


async def test_a_resolution_assigns_an_official_member_of_the_cell(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "giup-do")
    headers = await token_for(client, world.slug, "admin")
    candidate = await certify(client, db, world, headers, "Nguyễn Văn An", "GCN-1")
    assert candidate["stage"] == "certified"
    probationary = await add_member(client, world, headers, "cell_x", "Vũ Dự Bị", "probationary")
    elsewhere = await add_member(client, world, headers, "cell_z", "Hoàng Huyện Khác")
    official = await add_member(client, world, headers, "cell_x", "Trần Thị Bình")
    url = f"{api(world)}/helpers"

    for member_id, text in ((probationary, "chính thức"), (elsewhere, "chi bộ")):
        refused = await client.post(url, json=assignment(candidate, member_id), headers=headers)
        assert refused.status_code == 400, refused.text
        assert refused.json()["errors"][0]["field"] == "member_id"
        assert text in refused.json()["detail"]
    weak = {**assignment(candidate, official), "resolution": {**RESOLUTION, "members_agreeing": 5}}
    refused = await client.post(url, json=weak, headers=headers)
    assert refused.json()["errors"][0]["field"] == "resolution.members_agreeing"

    made = await client.post(url, json=assignment(candidate, official), headers=headers)
    assert made.status_code == 201, made.text
    assert made.json()["member_name"] == "Trần Thị Bình"
    assert made.json()["resolution_number"] == "05-NQ/CB"
    after = (await client.get(f"{api(world)}/candidates/{candidate['id']}", headers=headers)).json()
    assert after["stage"] == "certified"
    second = await client.post(url, json=assignment(after, official), headers=headers)
    assert second.status_code == 409

    ended = await client.post(
        f"{url}/{made.json()['id']}/end",
        json={"ended_on": "2026-11-20", "reason": "Chuyển công tác"},
        headers=headers,
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["ended_on"] == "2026-11-20"
    history = await client.get(
        f"{api(world)}/candidates/{candidate['id']}/helpers", headers=headers
    )
    assert [h["end_reason"] for h in history.json()["items"]] == ["Chuyển công tác"]

    actions = await audit_actions(db, world)
    for action, entity in (
        ("create", "resolution"),
        ("assign", "helper_assignment"),
        ("end", "helper_assignment"),
    ):
        assert ("admin", action, entity) in actions


async def test_only_certified_candidates_with_a_valid_certificate_get_a_helper(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "chua-gcn")
    headers = await token_for(client, world.slug, "admin")
    official = await add_member(client, world, headers, "cell_x", "Trần Thị Bình")
    surveyed = await add_candidate(client, world, headers, "cell_x", "Lê Chưa Học")
    expired = await add_candidate(
        client,
        world,
        headers,
        "cell_x",
        "Lê Hết Hạn",
        db=db,
        stage="admission_source",
        certificate_number="GCN-2020",
        certificate_date="2020-01-10",
    )
    for candidate, text in ((surveyed, "«Khảo sát nguồn»"), (expired, "hết thời hạn giá trị")):
        refused = await client.post(
            f"{api(world)}/helpers", json=assignment(candidate, official), headers=headers
        )
        assert refused.status_code == 409, refused.text
        assert text in refused.json()["detail"]
        kept = await client.get(f"{api(world)}/candidates/{candidate['id']}", headers=headers)
        assert kept.json()["version"] == candidate["version"]


async def _admission_source(
    client: AppClient, db: Database, world: World, headers: dict[str, str]
) -> tuple[dict[str, Any], list[int]]:
    candidate = await certify(client, db, world, headers, "Nguyễn Văn An", "GCN-9")
    helper = await add_member(client, world, headers, "cell_x", "Trần Thị Bình")
    second = await add_member(client, world, headers, "cell_x", "Phạm Văn Giới")
    made = await client.post(
        f"{api(world)}/helpers", json=assignment(candidate, helper), headers=headers
    )
    assert made.status_code == 201, made.text
    await accept_sources_list(client, db, world, headers, "cell_x", [candidate["id"]])
    candidate = (
        await client.get(f"{api(world)}/candidates/{candidate['id']}", headers=headers)
    ).json()
    assert candidate["stage"] == "admission_source"
    return candidate, [helper, second]


async def test_propose_for_admission_follows_the_rules(db: Database, client: AppClient) -> None:
    world = await build_world(db, "de-nghi")
    headers = await token_for(client, world.slug, "admin")
    certified = await certify(client, db, world, headers, "Lê Chỉ Có GCN", "GCN-8", "cell_y")
    official = await add_member(client, world, headers, "cell_y", "Đinh Văn Một")
    no_helper = await client.post(
        f"{api(world)}/candidates/{certified['id']}/propose-admission",
        json={"version": certified["version"], "introducer_member_ids": [official]},
        headers=headers,
    )
    assert no_helper.status_code == 409
    assert "«Đã có giấy chứng nhận»" in no_helper.json()["detail"]

    candidate, introducers = await _admission_source(client, db, world, headers)
    url = f"{api(world)}/candidates/{candidate['id']}/propose-admission"
    one = await client.post(
        url,
        json={"version": candidate["version"], "introducer_member_ids": introducers[:1]},
        headers=headers,
    )
    assert one.status_code == 409
    assert "Chưa đủ người giới thiệu vào Đảng: cần hai đảng viên chính thức" in one.json()["detail"]
    assert "[dieu-le.4.introducers]" in one.json()["detail"]
    twice = await client.post(
        url,
        json={"version": candidate["version"], "introducer_member_ids": introducers[:1] * 2},
        headers=headers,
    )
    assert twice.status_code == 400
    assert (twice.json()["detail"], twice.json()["detail_en"]) == (
        "Một đảng viên được ghi hai lần là người giới thiệu",
        "An introducer is listed twice",
    )
    assert [e["field"] for e in twice.json()["errors"]] == ["introducer_member_ids"]
    stale = await client.post(
        url,
        json={"version": candidate["version"] - 1, "introducer_member_ids": introducers},
        headers=headers,
    )
    assert stale.status_code == 409
    proposed = await client.post(
        url,
        json={
            "version": candidate["version"],
            "introducer_member_ids": introducers,
            "note": "NQ 07",
        },
        headers=headers,
    )
    assert proposed.status_code == 200, proposed.text
    assert proposed.json()["stage"] == "admission_in_progress"
    assert proposed.json()["version"] == candidate["version"] + 1

    road_url = f"{api(world)}/candidates/{candidate['id']}/admission-road"
    early = await client.post(
        f"{api(world)}/candidates/{candidate['id']}/stage",
        json={
            "version": proposed.json()["version"],
            "to_stage": "admitted",
            "reason": "Quyết định kết nạp 12-QĐ/HU",
        },
        headers=headers,
    )
    assert early.status_code == 409  # a subordinate cell: the grassroots committee first
    assert "[road.grassroots.resolution]" in early.json()["detail"]
    grassroots = await client.post(
        road_url,
        json={
            "version": proposed.json()["version"],
            "step": "grassroots_resolution",
            "taken_on": today_in_vietnam().isoformat(),
            "document_number": "15-NQ/ĐU",
        },
        headers=headers,
    )
    assert grassroots.status_code == 200, grassroots.text
    assert [s["step"] for s in grassroots.json()["steps"]] == [
        "cell_resolution",
        "grassroots_resolution",
    ]
    assert grassroots.json()["deadlines"][0]["step"] == "admission_decision"
    assert grassroots.json()["deadlines"][0]["clause_id"] == "road.decision.deadline"
    admitted = await client.post(
        f"{api(world)}/candidates/{candidate['id']}/stage",
        json={
            "version": proposed.json()["version"],
            "to_stage": "admitted",
            "reason": "Quyết định kết nạp 12-QĐ/HU",
            "on": today_in_vietnam().isoformat(),
        },
        headers=headers,
    )
    assert admitted.status_code == 200, admitted.text
    assert admitted.json()["stage"] == "admitted"
    stages = await client.get(f"{api(world)}/candidates/{candidate['id']}/stages", headers=headers)
    last = stages.json()["items"][-1]
    assert (last["to_stage"], last["changed_on"], last["actor"]) == (
        "admitted",
        today_in_vietnam().isoformat(),
        "admin",
    )
    assert stages.json()["items"][-2]["event"] == "grassroots_resolution"
    assert "Trần Thị Bình" in stages.json()["items"][-3]["reason"]
    road = (await client.get(road_url, headers=headers)).json()
    assert [d["step"] for d in road["deadlines"]] == [
        "admission_decision",
        "probation_end",
        "recognition",
    ]
    assert road["deadlines"][0]["status"] == "done"


async def test_propose_is_refused_when_the_helper_has_ended(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "het-giup")
    headers = await token_for(client, world.slug, "admin")
    candidate, introducers = await _admission_source(client, db, world, headers)
    helpers = await client.get(
        f"{api(world)}/candidates/{candidate['id']}/helpers", headers=headers
    )
    await client.post(
        f"{api(world)}/helpers/{helpers.json()['items'][0]['id']}/end",
        json={"ended_on": "2026-11-20", "reason": "Chuyển công tác"},
        headers=headers,
    )
    refused = await client.post(
        f"{api(world)}/candidates/{candidate['id']}/propose-admission",
        json={"version": candidate["version"], "introducer_member_ids": introducers},
        headers=headers,
    )
    assert refused.status_code == 409
    assert "phân công đảng viên chính thức giúp đỡ" in refused.json()["detail"]


async def test_an_introducer_whose_membership_has_ended_is_refused_by_name_and_date(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "gt-het")
    headers = await token_for(client, world.slug, "admin")
    candidate, introducers = await _admission_source(client, db, world, headers)
    gone = introducers[1]
    member = (await client.get(f"{api(world)}/members/{gone}", headers=headers)).json()
    on = today_in_vietnam()
    ended = await client.post(
        f"{api(world)}/members/{gone}/end",
        json={"version": member["version"], "on": on.isoformat(), "reason": "deceased"},
        headers=headers,
    )
    assert ended.status_code == 201, ended.text
    refused = await client.post(
        f"{api(world)}/candidates/{candidate['id']}/propose-admission",
        json={"version": candidate["version"], "introducer_member_ids": introducers},
        headers=headers,
    )
    assert refused.status_code == 400, refused.text
    assert refused.json()["detail"] == (
        f"Đảng viên Phạm Văn Giới đã kết thúc sinh hoạt ngày {on.strftime('%d/%m/%Y')}"
    )
    assert [e["field"] for e in refused.json()["errors"]] == ["introducer_member_ids"]
    kept = await client.get(f"{api(world)}/candidates/{candidate['id']}", headers=headers)
    assert kept.json()["stage"] == "admission_source"
