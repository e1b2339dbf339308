"""The course flow over the API on both engines: open, enrol from accepted lists only,
attendance, completion, certificates valid for the package's months, stage certified."""

from __future__ import annotations

from typing import Any

from tests.conftest import Database
from tests.courses.conftest import add_candidate, add_list, add_unit, api, audit_actions
from tests.http.conftest import AppClient, World, build_world, token_for

COURSE = {"title": "Lớp bồi dưỡng nhận thức về Đảng khóa 3/2024", "sessions_total": 10}


async def open_course(
    client: AppClient, world: World, headers: dict[str, str], unit_key: str = "district_1"
) -> dict[str, Any]:
    body = {
        **COURSE,
        "organiser_unit_id": world.units[unit_key],
        "opens_on": "2024-09-01",
        "closes_on": "2024-10-30",
    }
    response = await client.post(f"{api(world)}/courses", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def certify(
    client: AppClient,
    db: Database,
    world: World,
    headers: dict[str, str],
    name: str,
    number: str,
    unit_key: str = "cell_x",
) -> dict[str, Any]:
    """A candidate taken through the course to a certificate dated 2026-10-30."""
    candidate = await add_candidate(client, world, headers, unit_key, name)
    await add_list(db, world, unit_key, [candidate["id"]])
    course = await open_course(client, world, headers)
    base = f"{api(world)}/courses/{course['id']}/enrolments"
    enrolment = await client.post(base, json={"candidate_id": candidate["id"]}, headers=headers)
    assert enrolment.status_code == 201, enrolment.text
    url = f"{base}/{enrolment.json()['id']}"
    done = await client.patch(
        url, json={"version": 1, "attended_sessions": 10, "completed": True}, headers=headers
    )
    assert done.status_code == 200, done.text
    issued = await client.post(
        f"{url}/certificate",
        json={"version": 2, "number": number, "date": "2024-10-30"},
        headers=headers,
    )
    assert issued.status_code == 201, issued.text
    got = await client.get(f"{api(world)}/candidates/{candidate['id']}", headers=headers)
    return got.json()


async def test_a_course_runs_from_opening_to_certificates(db: Database, client: AppClient) -> None:
    world = await build_world(db, "lop")
    headers = await token_for(client, world.slug, "admin")
    course = await open_course(client, world, headers)
    assert course["run_by"] == "organisation_board"
    assert course["training_centre_id"] is None and course["state"] == "open"
    assert course["enrolled"] == 0  # a course just opened has no one enrolled

    listed = await add_candidate(client, world, headers, "cell_x", "Nguyễn Văn An")
    drafted = await add_candidate(client, world, headers, "cell_y", "Lê Thị Hoa")
    dropped = await add_candidate(client, world, headers, "cell_y", "Phạm Văn Bình")
    await add_list(db, world, "cell_x", [listed["id"]])
    await add_list(db, world, "cell_y", [drafted["id"]], state="submitted")
    await add_list(db, world, "commune_1", [dropped["id"]], included=False)

    base = f"{api(world)}/courses/{course['id']}/enrolments"
    for refused in (drafted, dropped):
        response = await client.post(base, json={"candidate_id": refused["id"]}, headers=headers)
        assert response.status_code == 409, response.text
        assert response.json()["errors"][0]["field"] == "candidate_id"
        assert "đã được cấp trên chấp nhận" in response.json()["detail"]

    enrolled = await client.post(base, json={"candidate_id": listed["id"]}, headers=headers)
    assert enrolled.status_code == 201, enrolled.text
    enrolment = enrolled.json()
    assert enrolment["candidate_stage"] == "course_nominee"
    assert enrolment["source_list_id"] is not None
    again = await client.post(base, json={"candidate_id": listed["id"]}, headers=headers)
    assert again.status_code == 409

    url = f"{base}/{enrolment['id']}"
    early = await client.post(
        f"{url}/certificate",
        json={"version": 1, "number": "GCN-01", "date": "2024-10-30"},
        headers=headers,
    )
    assert (
        early.status_code == 409
        and "Completion of the course is not recorded" in (early.json()["detail_en"])
    )
    too_many = await client.patch(
        url, json={"version": 1, "attended_sessions": 11}, headers=headers
    )
    assert too_many.status_code == 400
    assert too_many.json()["errors"][0]["field"] == "attended_sessions"
    attended = await client.patch(url, json={"version": 1, "attended_sessions": 9}, headers=headers)
    assert attended.json()["attended_sessions"] == 9 and attended.json()["version"] == 2
    stale = await client.patch(url, json={"version": 1, "completed": True}, headers=headers)
    assert stale.status_code == 409
    assert (stale.json()["detail"], stale.json()["detail_en"]) == (
        "Dữ liệu đã được người khác sửa; hãy tải lại.",
        "The enrolment was changed by someone else; reload it",
    )
    done = await client.patch(url, json={"version": 2, "completed": True}, headers=headers)
    assert done.json()["completed"] is True and done.json()["attended_sessions"] == 9

    issued = await client.post(
        f"{url}/certificate",
        json={"version": 3, "number": "GCN-01", "date": "2024-10-30"},
        headers=headers,
    )
    assert issued.status_code == 201, issued.text
    assert issued.json()["certificate_valid_until"] == "2029-10-30"  # 60 months, the parameter
    candidate = (
        await client.get(f"{api(world)}/candidates/{listed['id']}", headers=headers)
    ).json()
    assert candidate["stage"] == "certified"
    assert candidate["certificate_number"] == "GCN-01"
    assert candidate["certificate_date"] == "2024-10-30"
    stages = await client.get(f"{api(world)}/candidates/{listed['id']}/stages", headers=headers)
    # Enrolled after the course opened (recorded after the fact), a nominee from its opening:
    # the history reads in order, so a figure as of any day agrees with the person's page.
    assert [(s["from_stage"], s["to_stage"], s["changed_on"]) for s in stages.json()["items"]] == [
        ("surveyed", "course_nominee", "2024-09-01"),
        ("course_nominee", "certified", "2024-10-30"),
    ]

    detail = (await client.get(f"{api(world)}/courses/{course['id']}", headers=headers)).json()
    assert detail["course"]["enrolled"] == 1
    assert detail["enrolments"][0]["certificate_number"] == "GCN-01"

    actions = await audit_actions(db, world)
    for action, entity in (
        ("create", "course"),
        ("enrol", "course_enrolment"),
        ("update", "course_enrolment"),
        ("issue_certificate", "course_enrolment"),
        ("stage_change", "candidate"),
    ):
        assert ("admin", action, entity) in actions


async def test_certificate_numbers_are_unique_in_the_tenant(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "so-gcn")
    headers = await token_for(client, world.slug, "admin")
    await certify(client, db, world, headers, "Nguyễn Văn An", "GCN-7")
    candidate = await add_candidate(client, world, headers, "cell_y", "Trần Văn Cường")
    await add_list(db, world, "cell_y", [candidate["id"]])
    course = await open_course(client, world, headers)
    base = f"{api(world)}/courses/{course['id']}/enrolments"
    enrolment = await client.post(base, json={"candidate_id": candidate["id"]}, headers=headers)
    url = f"{base}/{enrolment.json()['id']}"
    await client.patch(
        url, json={"version": 1, "attended_sessions": 10, "completed": True}, headers=headers
    )
    duplicate = await client.post(
        f"{url}/certificate",
        json={"version": 2, "number": "GCN-7", "date": "2024-10-30"},
        headers=headers,
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["errors"][0]["field"] == "number"
    unchanged = await client.get(f"{api(world)}/candidates/{candidate['id']}", headers=headers)
    assert unchanged.json()["stage"] == "course_nominee"
    assert unchanged.json()["certificate_number"] is None


async def test_who_may_open_a_course_and_who_runs_it(db: Database, client: AppClient) -> None:
    world = await build_world(db, "mo-lop")
    admin = await token_for(client, world.slug, "admin")
    editor = await token_for(client, world.slug, "district_1_editor")
    body = {**COURSE, "opens_on": "2024-09-01", "closes_on": "2024-10-30"}
    at_cell = await client.post(
        f"{api(world)}/courses",
        json={**body, "organiser_unit_id": world.units["cell_x"]},
        headers=admin,
    )
    assert at_cell.status_code == 400
    assert at_cell.json()["errors"][0]["field"] == "organiser_unit_id"
    not_approver = await client.post(
        f"{api(world)}/courses",
        json={**body, "organiser_unit_id": world.units["district_1"]},
        headers=editor,
    )
    assert not_approver.status_code == 403
    backwards = await client.post(
        f"{api(world)}/courses",
        json={**body, "organiser_unit_id": world.units["district_1"], "closes_on": "2024-08-01"},
        headers=admin,
    )
    assert backwards.status_code == 400 and backwards.json()["errors"][0]["field"] == "closes_on"
    misspelt = await client.post(
        f"{api(world)}/courses",
        json={**body, "organiser_unit_id": world.units["district_1"], "titel": "x"},
        headers=admin,
    )
    assert misspelt.status_code == 400 and misspelt.json()["errors"][0]["field"] == "titel"

    centre = await add_unit(db, world, "district_2", "TTCT-AT", "political_training_centre")
    course = await open_course(client, world, admin, "district_2")
    assert course["run_by"] == "political_training_centre"
    assert course["training_centre_id"] == centre

    renamed = await client.patch(
        f"{api(world)}/courses/{course['id']}",
        json={"version": 1, "state": "closed"},
        headers=admin,
    )
    assert renamed.json()["state"] == "closed" and renamed.json()["version"] == 2
    stale = await client.patch(
        f"{api(world)}/courses/{course['id']}", json={"version": 1, "title": "Mất"}, headers=admin
    )
    assert stale.status_code == 409
    kept = await client.get(f"{api(world)}/courses/{course['id']}", headers=admin)
    assert kept.json()["course"]["title"] == COURSE["title"]


async def test_expired_certificates_are_flagged_at_60_months(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "het-han")
    headers = await token_for(client, world.slug, "admin")
    expired = await add_candidate(
        client,
        world,
        headers,
        "cell_x",
        "Đỗ Văn Hết",
        db=db,
        stage="certified",
        certificate_number="GCN-2021-1",
        certificate_date="2021-11-27",
    )
    await add_candidate(
        client,
        world,
        headers,
        "cell_x",
        "Đỗ Văn Còn",
        db=db,
        stage="admission_source",
        certificate_number="GCN-2021-2",
        certificate_date="2021-12-27",
    )
    response = await client.get(f"{api(world)}/certificates/expired?on=2026-11-27", headers=headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [item["candidate_id"] for item in items] == [expired["id"]]
    assert items[0]["expired_on"] == "2026-11-27"
    assert items[0]["reasons"][0]["code"] == "certificate_expired"
    # 06-HD/TW replaced 01-HD/TW on 2025-07-01: the reason cites the text in force.
    assert items[0]["reasons"][0]["clause_id"] == "hd06tw.5.4"
    earlier = await client.get(f"{api(world)}/certificates/expired?on=2026-11-26", headers=headers)
    assert earlier.json()["items"] == []
