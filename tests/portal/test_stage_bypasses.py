"""The bypasses users found, tried through the portal's own forms (with their CSRF token):
each is refused with the reason in Vietnamese on the page, and nothing is written."""

from __future__ import annotations

import datetime as dt
from typing import Any

from nguon.clock import today_in_vietnam
from tests.conftest import Database
from tests.courses.conftest import add_candidate, add_list, add_member
from tests.http.conftest import (
    AppClient,
    World,
    build_world,
    csrf_token_in,
    portal_login,
    token_for,
)
from tests.pipeline.conftest import Driver, build_chain_world

RESOLUTION = {
    "resolution.number": "12-NQ/CB",
    "resolution.adopted_on": today_in_vietnam().isoformat(),
    "resolution.members_total": "10",
    "resolution.members_present": "9",
    "resolution.members_agreeing": "9",
}


async def _candidate(client: AppClient, world: World, headers: dict[str, str], cid: int) -> dict:
    response = await client.get(f"/t/{world.slug}/api/v1/candidates/{cid}", headers=headers)
    return response.json()


async def _token(client: AppClient, url: str) -> str:
    return csrf_token_in((await client.get(url)).text)


async def test_the_candidate_forms_refuse_a_stage_or_a_certificate(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "form-giai-doan")
    headers = await token_for(client, world.slug, "admin")
    await portal_login(client, world.slug, "admin")
    new_url = f"/t/{world.slug}/candidates/new?unit_id={world.units['cell_x']}"
    form = {
        "full_name": "Nguyễn Văn Tắt",
        "date_of_birth": "2000-01-01",
        "sex": "male",
        "education": "upper_secondary",
        "_csrf_token": await _token(client, new_url),
    }
    for field, value in (("stage", "admitted"), ("certificate_number", "GCN-GIA")):
        refused = await client.post(new_url, data={**form, field: value})
        assert refused.status_code == 400, refused.text
        assert f'href="#{field}"' in refused.text
        assert "Không thể" in refused.text
    listed = await client.get(f"/t/{world.slug}/api/v1/candidates", headers=headers)
    assert listed.json()["total"] == 0

    person = await add_candidate(client, world, headers, "cell_x", "Trần Thị Thật")
    edit_url = f"/t/{world.slug}/candidates/{person['id']}/edit"
    edited = await client.post(
        edit_url,
        data={
            **form,
            "full_name": "Trần Thị Thật",
            "version": str(person["version"]),
            "certificate_date": "2024-10-30",
            "_csrf_token": await _token(client, edit_url),
        },
    )
    assert edited.status_code == 400, edited.text
    assert "Không thể ghi ngày cấp giấy chứng nhận" in edited.text
    after = await _candidate(client, world, headers, person["id"])
    assert (after["certificate_date"], after["version"]) == (None, person["version"])


async def test_helper_and_proposal_forms_follow_the_stage_machine(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "form-buoc-3")
    headers = await token_for(client, world.slug, "admin")
    helper = await add_member(client, world, headers, "cell_x", "Trần Thị Bình")
    second = await add_member(client, world, headers, "cell_x", "Phạm Văn Giới")
    surveyed = await add_candidate(client, world, headers, "cell_x", "Phạm Chưa Học")
    unlisted = await add_candidate(
        client,
        world,
        headers,
        "cell_x",
        "Đỗ Không Danh Sách",
        db=db,
        stage="admission_source",
        certificate_number="GCN-OLD",
        certificate_date=(today_in_vietnam() - dt.timedelta(days=60)).isoformat(),
    )
    await portal_login(client, world.slug, "admin")

    url = f"/t/{world.slug}/candidates/{surveyed['id']}"
    refused = await client.post(
        f"{url}/helpers",
        data={
            **RESOLUTION,
            "member_id": str(helper),
            "version": str(surveyed["version"]),
            "_csrf_token": await _token(client, url),
        },
    )
    assert refused.status_code == 409, refused.text
    assert "«Khảo sát nguồn»" in refused.text
    assert (await _candidate(client, world, headers, surveyed["id"]))["version"] == 1

    url = f"/t/{world.slug}/candidates/{unlisted['id']}"
    token = await _token(client, url)
    assigned = await client.post(
        f"{url}/helpers",
        data={
            **RESOLUTION,
            "member_id": str(helper),
            "version": str(unlisted["version"]),
            "_csrf_token": token,
        },
    )
    assert assigned.status_code == 303, assigned.text
    current = await _candidate(client, world, headers, unlisted["id"])
    assert current["stage"] == "admission_source"
    proposed = await client.post(
        f"{url}/propose",
        data={
            "version": str(current["version"]),
            "introducer_id": [str(helper), str(second)],
            "_csrf_token": token,
        },
    )
    assert proposed.status_code == 409, proposed.text
    assert "danh sách nguồn kết nạp đảng viên (Bước 3)" in proposed.text
    assert (await _candidate(client, world, headers, unlisted["id"]))["stage"] == (
        "admission_source"
    )


async def test_the_attendance_and_certificate_forms_need_enough_sessions(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "form-du-buoi")
    headers = await token_for(client, world.slug, "admin")
    person = await add_candidate(client, world, headers, "cell_x", "Lê Văn Ba Buổi")
    await add_list(db, world, "cell_x", [person["id"]])
    course = await client.post(
        f"/t/{world.slug}/api/v1/courses",
        json={
            "title": "Lớp bồi dưỡng nhận thức về Đảng khóa 2/2024",
            "organiser_unit_id": world.units["district_1"],
            "opens_on": "2024-09-01",
            "closes_on": "2024-10-30",
            "sessions_total": 6,
        },
        headers=headers,
    )
    course_id = course.json()["id"]
    enrolled = await client.post(
        f"/t/{world.slug}/api/v1/courses/{course_id}/enrolments",
        json={"candidate_id": person["id"]},
        headers=headers,
    )
    assert enrolled.status_code == 201, enrolled.text
    enrolment = enrolled.json()["id"]
    await portal_login(client, world.slug, "admin")
    course_url = f"/t/{world.slug}/courses/{course_id}"
    token = await _token(client, course_url)
    prefix = f"e{enrolment}."
    three: dict[str, Any] = {
        "version": "1",
        f"{prefix}attended_sessions": "3",
        f"{prefix}completed": "on",
        "_csrf_token": token,
    }
    refused = await client.post(f"{course_url}/enrolments/{enrolment}", data=three)
    assert refused.status_code == 409, refused.text
    assert "Mới dự 3/6 buổi" in refused.text
    certificate = await client.post(
        f"{course_url}/enrolments/{enrolment}/certificate",
        data={
            "version": "1",
            f"c{enrolment}.number": "GCN-3-6",
            f"c{enrolment}.date": "2024-10-30",
            "_csrf_token": token,
        },
    )
    assert certificate.status_code == 409, certificate.text
    assert "Chưa ghi nhận hoàn thành khóa học" in certificate.text
    after = await _candidate(client, world, headers, person["id"])
    assert (after["stage"], after["certificate_number"]) == ("course_nominee", None)


async def test_a_person_the_commune_removed_comes_back_only_with_a_reason(
    db: Database, client: AppClient
) -> None:
    world = await build_chain_world(db, "form-dua-lai")
    drive = Driver(client, world)
    removed = await drive.candidate("cell_x", "Nguyễn Văn Bị Loại")
    cell_list = (await drive.create("x_editor", "cell_x"))["list"]["id"]
    await drive.adopt_and_submit("x_editor", cell_list)
    await drive.accept("commune_approver", cell_list)
    commune = await drive.create("commune_editor", "commune")
    await drive.ok(
        "commune_editor",
        "PATCH",
        f"/lists/{commune['list']['id']}",
        json={
            "version": commune["list"]["version"],
            "remove": [{"candidate_id": removed, "reason": "Vi phạm quy ước thôn"}],
        },
    )
    step2 = await drive.create("x_editor", "cell_x", "course_nominees")
    assert removed not in {e["candidate_id"] for e in step2["entries"]}

    await portal_login(client, world.slug, "x_editor")
    list_url = f"/t/{world.slug}/lists/{step2['list']['id']}"
    page = await client.get(list_url)
    assert "Vi phạm quy ước thôn" in page.text
    form = {
        "version": str(step2["list"]["version"]),
        "add.candidate_id": str(removed),
        "_csrf_token": csrf_token_in(page.text),
    }
    bare = await client.post(f"{list_url}/add", data=form)
    assert bare.status_code == 400, bare.text
    assert "Muốn đưa lại vào danh sách, hãy ghi lý do" in bare.text
    readded = await client.post(
        f"{list_url}/add", data={**form, "add.justification": "Đã khắc phục, thôn xác nhận"}
    )
    assert readded.status_code == 303, readded.text
    detail = await drive.ok("x_editor", "GET", f"/lists/{step2['list']['id']}")
    assert removed in {e["candidate_id"] for e in detail["entries"]}
