"""Each way users found to skip a step, refused over the API, and the allowed path beside it:
a stage or a certificate written on a candidate, a certificate at 3 of 6 sessions, a helper
that made an admission source, a proposal for someone on no accepted Step 3 list."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Database
from tests.courses.conftest import (
    accept_sources_list,
    add_candidate,
    add_list,
    add_member,
    api,
)
from tests.courses.test_courses import certify
from tests.courses.test_helpers_admission import assignment
from tests.http.conftest import AppClient, World, build_world, token_for


async def _get(client: AppClient, world: World, headers: dict[str, str], cid: int) -> dict:
    return (await client.get(f"{api(world)}/candidates/{cid}", headers=headers)).json()


@pytest.mark.parametrize(
    ("field", "value"),
    [("stage", "admitted"), ("certificate_number", "GCN-GIA"), ("certificate_date", "2024-10-30")],
)
async def test_a_candidate_cannot_be_created_or_edited_into_a_stage_or_a_certificate(
    db: Database, client: AppClient, field: str, value: str
) -> None:
    world = await build_world(db, "ghi-de")
    headers = await token_for(client, world.slug, "admin")
    body: dict[str, Any] = {
        "unit_id": world.units["cell_x"],
        "full_name": "Nguyễn Văn Tắt",
        "date_of_birth": "2000-01-01",
        "sex": "male",
        "education": "upper_secondary",
    }
    created = await client.post(
        f"{api(world)}/candidates", json={**body, field: value}, headers=headers
    )
    assert created.status_code == 400, created.text
    assert created.json()["errors"][0]["field"] == field
    assert created.json()["detail"].startswith("Không thể ")
    listed = await client.get(f"{api(world)}/candidates", headers=headers)
    assert listed.json()["total"] == 0

    person = await add_candidate(client, world, headers, "cell_x", "Trần Thị Thật")
    edited = await client.patch(
        f"{api(world)}/candidates/{person['id']}",
        json={"version": person["version"], field: value},
        headers=headers,
    )
    assert edited.status_code == 400, edited.text
    assert edited.json()["errors"][0]["field"] == field
    after = await _get(client, world, headers, person["id"])
    assert (after["stage"], after["certificate_number"], after["version"]) == (
        "surveyed",
        None,
        person["version"],
    )


async def test_a_certificate_needs_the_attendance_the_package_sets(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "du-buoi")
    headers = await token_for(client, world.slug, "admin")
    course = await client.post(
        f"{api(world)}/courses",
        json={
            "title": "Lớp bồi dưỡng nhận thức về Đảng khóa 1/2024",
            "organiser_unit_id": world.units["district_1"],
            "opens_on": "2024-09-01",
            "closes_on": "2024-10-30",
            "sessions_total": 6,
        },
        headers=headers,
    )
    assert course.status_code == 201, course.text
    base = f"{api(world)}/courses/{course.json()['id']}/enrolments"
    people = [
        await add_candidate(client, world, headers, "cell_x", name)
        for name in ("Lê Văn Ba Buổi", "Lê Văn Năm Buổi")
    ]
    await add_list(db, world, "cell_x", [p["id"] for p in people])
    urls = []
    for person in people:
        enrolled = await client.post(base, json={"candidate_id": person["id"]}, headers=headers)
        assert enrolled.status_code == 201, enrolled.text
        urls.append(f"{base}/{enrolled.json()['id']}")

    three = await client.patch(
        urls[0], json={"version": 1, "attended_sessions": 3, "completed": True}, headers=headers
    )
    assert three.status_code == 409, three.text
    assert three.json()["errors"][0]["field"] == "attended_sessions"
    assert "3/6" in three.json()["detail"] and "ít nhất 5 buổi" in three.json()["detail"]
    recorded = await client.patch(
        urls[0], json={"version": 1, "attended_sessions": 3}, headers=headers
    )
    assert recorded.status_code == 200 and recorded.json()["completed"] is False
    certificate = await client.post(
        f"{urls[0]}/certificate",
        json={"version": 2, "number": "GCN-3-6", "date": "2024-10-30"},
        headers=headers,
    )
    assert certificate.status_code == 409
    assert "Completion of the course is not recorded" in certificate.json()["detail_en"]
    assert (await _get(client, world, headers, people[0]["id"]))["stage"] == "course_nominee"

    five = await client.patch(
        urls[1], json={"version": 1, "attended_sessions": 5, "completed": True}, headers=headers
    )
    assert five.status_code == 200, five.text
    issued = await client.post(
        f"{urls[1]}/certificate",
        json={"version": 2, "number": "GCN-5-6", "date": "2024-10-30"},
        headers=headers,
    )
    assert issued.status_code == 201, issued.text
    stages = await client.get(f"{api(world)}/candidates/{people[1]['id']}/stages", headers=headers)
    last = stages.json()["items"][-1]
    assert (last["to_stage"], last["event"], last["clause_id"]) == (
        "certified",
        "certificate",
        "hd01.certificate",
    )
    # A result changed after the certificate is not a course result of a course nominee.
    late = await client.patch(urls[1], json={"version": 3, "attended_sessions": 6}, headers=headers)
    assert late.status_code == 409
    assert "«Đã có giấy chứng nhận»" in late.json()["detail"]


async def test_a_helper_does_not_make_an_admission_source_and_proposals_need_step_3(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "buoc-3")
    headers = await token_for(client, world.slug, "admin")
    surveyed = await add_candidate(client, world, headers, "cell_x", "Phạm Chưa Học")
    helper = await add_member(client, world, headers, "cell_x", "Trần Thị Bình")
    second = await add_member(client, world, headers, "cell_x", "Phạm Văn Giới")
    refused = await client.post(
        f"{api(world)}/helpers", json=assignment(surveyed, helper), headers=headers
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["errors"][0]["field"] == "candidate_id"
    assert "«Khảo sát nguồn»" in refused.json()["detail"]
    assert refused.json()["detail_en"].startswith(
        "Not possible for a person at stage `surveyed`: assigning a helper by the cell's "
        "resolution; at this stage only: enrolment in a course"
    )

    certified = await certify(client, db, world, headers, "Nguyễn Văn An", "GCN-B3")
    made = await client.post(
        f"{api(world)}/helpers", json=assignment(certified, helper), headers=headers
    )
    assert made.status_code == 201, made.text
    assert (await _get(client, world, headers, certified["id"]))["stage"] == "certified"

    # A person written as an admission source (history), with a helper and a valid
    # certificate, but on no accepted Step 3 list: the proposal is refused.
    unlisted = await add_candidate(
        client,
        world,
        headers,
        "cell_x",
        "Đỗ Không Danh Sách",
        db=db,
        stage="admission_source",
        certificate_number="GCN-OLD",
        certificate_date="2024-10-30",
    )
    assigned = await client.post(
        f"{api(world)}/helpers", json=assignment(unlisted, helper), headers=headers
    )
    assert assigned.status_code == 201, assigned.text
    unlisted = await _get(client, world, headers, unlisted["id"])
    proposal = {"version": unlisted["version"], "introducer_member_ids": [helper, second]}
    url = f"{api(world)}/candidates/{unlisted['id']}/propose-admission"
    no_list = await client.post(url, json=proposal, headers=headers)
    assert no_list.status_code == 409, no_list.text
    assert no_list.json()["errors"] == [], "the person's stage is not in the request"
    assert "danh sách nguồn kết nạp đảng viên (Bước 3)" in no_list.json()["detail"]
    assert "no `admission_sources` list accepted" in no_list.json()["detail_en"]  # v1 names
    # A list that was only submitted is not enough either.
    await add_list(
        db, world, "cell_x", [unlisted["id"]], state="submitted", step="admission_sources"
    )
    assert (await client.post(url, json=proposal, headers=headers)).status_code == 409

    # The allowed path: the accepted Step 3 list makes the certified person a source.
    await accept_sources_list(client, db, world, headers, "cell_x", [certified["id"]])
    source = await _get(client, world, headers, certified["id"])
    assert source["stage"] == "admission_source"
    proposed = await client.post(
        f"{api(world)}/candidates/{certified['id']}/propose-admission",
        json={"version": source["version"], "introducer_member_ids": [helper, second]},
        headers=headers,
    )
    assert proposed.status_code == 200, proposed.text
    assert proposed.json()["stage"] == "admission_in_progress"
    stages = await client.get(f"{api(world)}/candidates/{certified['id']}/stages", headers=headers)
    assert [(s["to_stage"], s["event"], s["clause_id"]) for s in stages.json()["items"]] == [
        # In 2024 (the course's days) 01-HD/TW was in force; since 2025-07-01 06-HD/TW and
        # 294-QĐ/TW are: each change cites the text in force on its own day.
        ("course_nominee", "course_nominee_list", "hd01.course.nominee"),
        ("certified", "certificate", "hd01.certificate"),
        ("admission_source", "admission_source_list", "hd06tw.source_list"),
        ("admission_in_progress", "admission_proposal", "qd294.admission.proposal"),
    ]


async def test_a_proposal_needs_a_helper_in_force(db: Database, client: AppClient) -> None:
    world = await build_world(db, "can-giup")
    headers = await token_for(client, world.slug, "admin")
    introducers = [
        await add_member(client, world, headers, "cell_x", name)
        for name in ("Trần Thị Bình", "Phạm Văn Giới")
    ]
    certified = await certify(client, db, world, headers, "Nguyễn Văn An", "GCN-H")
    await accept_sources_list(client, db, world, headers, "cell_x", [certified["id"]])
    source = await _get(client, world, headers, certified["id"])
    refused = await client.post(
        f"{api(world)}/candidates/{certified['id']}/propose-admission",
        json={"version": source["version"], "introducer_member_ids": introducers},
        headers=headers,
    )
    assert refused.status_code == 409, refused.text
    assert "phân công đảng viên chính thức giúp đỡ" in refused.json()["detail"]
    assert (await _get(client, world, headers, certified["id"]))["version"] == source["version"]


async def test_admission_and_removal_follow_the_machine(db: Database, client: AppClient) -> None:
    world = await build_world(db, "ket-nap")
    headers = await token_for(client, world.slug, "admin")
    person = await add_candidate(client, world, headers, "cell_x", "Vũ Văn Vội")
    url = f"{api(world)}/candidates/{person['id']}/stage"
    admitted = await client.post(
        url,
        json={"version": person["version"], "to_stage": "admitted", "reason": "Quyết định 1"},
        headers=headers,
    )
    assert admitted.status_code == 409, admitted.text
    assert admitted.json()["errors"][0]["field"] == "to_stage"
    assert "«Khảo sát nguồn»" in admitted.json()["detail"]
    removed = await client.post(
        url,
        json={"version": person["version"], "to_stage": "removed", "reason": "Chuyển nơi ở"},
        headers=headers,
    )
    assert removed.status_code == 200, removed.text
    again = await client.post(
        url,
        json={"version": removed.json()["version"], "to_stage": "removed", "reason": "Lần hai"},
        headers=headers,
    )
    assert again.status_code == 409
    assert "giai đoạn cuối" in again.json()["detail"]
    assert "last stage" in again.json()["detail_en"]
