"""Course pages: a commune committee (today's structure) opens a course, enrols people
from an accepted nominee list, records attendance and completion, and issues a
certificate."""

from __future__ import annotations

import datetime as dt
import re

from nguon.org.tables import OrgUnit
from nguon.pipeline.tables import CandidateList, ListEntry
from nguon.tenancy.scoped import switch_tenant_in_transaction
from tests.conftest import Database
from tests.http.conftest import (
    AppClient,
    build_today_world,
    candidate_body,
    csrf_token_in,
    portal_login,
    token_for,
)


async def accepted_nominee_list(db: Database, tenant_id: int, unit: int, candidate: int) -> None:
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(tenant_id)
            path = await OrgUnit.select(OrgUnit.path).where(OrgUnit.id == unit).first()
            made = CandidateList(
                tenant_id=tenant_id,
                unit=unit,
                unit_path=path["path"],
                step="course_nominees",
                period_code="2026-Q3",
                period_opens=dt.date(2026, 7, 1),
                period_deadline=dt.date(2026, 9, 30),
                state="accepted",
                package="hungyen",
                package_version="2025.2",
            )
            await made.save().run()
            await (
                ListEntry(
                    tenant_id=tenant_id,
                    candidate_list=made.id,
                    candidate=candidate,
                    source="rules",
                    outcome="eligible",
                )
                .save()
                .run()
            )


async def test_open_a_course_enrol_a_nominee_and_certify(db: Database, client: AppClient) -> None:
    world = await build_today_world(db, "course-pages")
    slug, committee = world.slug, world.units["committee"]
    headers = await token_for(client, slug, "admin")
    made = await client.post(
        f"/t/{slug}/api/v1/candidates",
        json=candidate_body(world.units["cell_x"], full_name="Vũ Thị Hạnh"),
        headers=headers,
    )
    candidate = made.json()["id"]
    await accepted_nominee_list(db, world.tenant_id, world.units["cell_x"], candidate)

    await portal_login(client, slug, "admin")
    unit_page = await client.get(f"/t/{slug}/units/{committee}")
    courses_url = f"/t/{slug}/units/{committee}/courses"
    assert f'href="{courses_url}"' in unit_page.text
    page = await client.get(courses_url)
    form = {
        "title": "Lớp nhận thức về Đảng khóa 3",
        "opens_on": "2026-11-02",
        "closes_on": "2026-10-30",
        "sessions_total": "6",
        "_csrf_token": csrf_token_in(page.text),
    }
    backwards = await client.post(courses_url, data=form)
    assert backwards.status_code == 400
    assert 'id="closes_on-error"' in backwards.text
    assert "Ngày bế giảng trước ngày khai giảng" in backwards.text
    opened = await client.post(courses_url, data={**form, "closes_on": "2026-11-20"})
    assert opened.status_code == 303
    course_url = opened.headers["location"].split("?")[0]

    page = await client.get(course_url)
    assert "Vũ Thị Hạnh" in page.text and 'name="candidate_id"' in page.text
    nothing = await client.post(
        f"{course_url}/enrol", data={"_csrf_token": csrf_token_in(page.text)}
    )
    assert "Hãy chọn ít nhất một người để ghi danh." in nothing.text
    enrolled = await client.post(
        f"{course_url}/enrol",
        data={"candidate_id": str(candidate), "_csrf_token": csrf_token_in(page.text)},
    )
    assert enrolled.status_code == 303
    page = await client.get(course_url)
    enrolment = re.search(r"/enrolments/(\d+)\"", page.text)
    assert enrolment and "Học viên (1)" in page.text
    prefix = f"e{enrolment.group(1)}."
    too_many = await client.post(
        f"{course_url}/enrolments/{enrolment.group(1)}",
        data={
            "version": "1",
            f"{prefix}attended_sessions": "9",
            "_csrf_token": csrf_token_in(page.text),
        },
    )
    assert too_many.status_code == 400
    assert "Số buổi dự học vượt quá số buổi của lớp (6)" in too_many.text
    done = await client.post(
        f"{course_url}/enrolments/{enrolment.group(1)}",
        data={
            "version": "1",
            f"{prefix}attended_sessions": "6",
            f"{prefix}completed": "on",
            "_csrf_token": csrf_token_in(page.text),
        },
    )
    assert done.status_code == 303
    page = await client.get(course_url)
    assert "Đã hoàn thành" in page.text and "Cấp giấy chứng nhận" in page.text
    issued = await client.post(
        f"{course_url}/enrolments/{enrolment.group(1)}/certificate",
        data={
            "version": "2",
            f"c{enrolment.group(1)}.number": "GCN-2026-001",
            f"c{enrolment.group(1)}.date": "2026-11-21",
            "_csrf_token": csrf_token_in(page.text),
        },
    )
    assert issued.status_code == 303, issued.text
    page = await client.get(issued.headers["location"])
    assert "Đã cấp giấy chứng nhận." in page.text and "GCN-2026-001" in page.text
