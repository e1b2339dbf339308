"""Candidate forms, the candidate page, the dashboard and the re-evaluation job, as a
committee user meets them."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

from nguon.clock import today_in_vietnam
from nguon.pipeline.tables import AdmissionPlan, CandidateDecision, CandidateList, StageChange
from nguon.portal.jobs import wait_for_jobs
from nguon.tenancy.context import tenant_context
from tests.conftest import Database
from tests.http.conftest import AppClient, build_world, csrf_token_in, portal_login

FORM = {
    "full_name": "Phạm Thị Thu",
    "date_of_birth": "2001-04-09",
    "sex": "female",
    "education": "university",
    "political_standard": "passed",
    "youth_union_member": "on",
    "national_id": "034201000123",
}


async def post_form(client: AppClient, url: str, form_url: str, data: dict) -> object:
    page = await client.get(form_url)
    return await client.post(url, data={**data, "_csrf_token": csrf_token_in(page.text)})


async def test_add_a_candidate_fix_an_error_then_edit_with_a_stale_version(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "cand-form")
    await portal_login(client, world.slug, "cell_x_editor")
    cell = world.units["cell_x"]
    new_url = f"/t/{world.slug}/candidates/new?unit_id={cell}"
    page = await client.get(new_url)
    assert '<label for="sex">Giới tính' in page.text
    assert '<option value="university">Đại học</option>' in page.text

    bad = await post_form(
        client, new_url, new_url, {**FORM, "date_of_birth": "2999-01-01", "national_id": "12ab"}
    )
    assert bad.status_code == 400
    assert (
        f"Ngày sinh “01/01/2999” không được ở sau hôm nay ({today_in_vietnam():%d/%m/%Y})."
        in bad.text
    )
    assert "Số định danh gồm 12 chữ số" in bad.text
    assert 'aria-describedby="date_of_birth-hint date_of_birth-error"' in bad.text
    assert 'value="01/01/2999"' in bad.text  # shown day first, as a Vietnamese reader reads it
    assert 'value="Phạm Thị Thu"' in bad.text  # nothing the user typed is lost

    created = await post_form(client, new_url, new_url, FORM)
    assert created.status_code == 303
    candidate_url = created.headers["location"].split("?")[0]
    candidate_id = int(candidate_url.rsplit("/", 1)[1])

    shown = await client.get(candidate_url)
    assert shown.status_code == 200
    assert "Phạm Thị Thu" in shown.text and "09/04/2001" in shown.text
    assert "********0123" in shown.text and "034201000123" not in shown.text
    assert "<dt>Vùng đặc biệt khó khăn</dt><dd>Không</dd>" in shown.text
    assert "Đánh giá theo hướng dẫn" in shown.text
    assert "<blockquote>" in shown.text  # the guidance clause beside a reason

    found = await client.get(f"/t/{world.slug}/units/{cell}", params={"q": "pham thi thu"})
    assert f"/t/{world.slug}/candidates/{candidate_id}" in found.text

    edit_url = f"{candidate_url}/edit"
    form = await client.get(edit_url)
    version = re.search(r'name="version" value="(\d+)"', form.text)
    assert version
    first = await client.post(
        edit_url,
        data={
            **FORM,
            "occupation": "Giáo viên",
            "hardship_area": "on",
            "version": version.group(1),
            "_csrf_token": csrf_token_in(form.text),
        },
    )
    assert first.status_code == 303
    edited = await client.get(candidate_url)
    assert "<dd>Có: sinh sống, làm việc ở vùng đặc biệt khó khăn</dd>" in edited.text
    stale = await client.post(
        edit_url,
        data={
            **FORM,
            "occupation": "Kỹ sư nông nghiệp",
            "version": version.group(1),
            "_csrf_token": csrf_token_in(form.text),
        },
    )
    assert stale.status_code == 409
    assert "Hồ sơ đã được người khác sửa" in stale.text
    assert 'value="Kỹ sư nông nghiệp"' in stale.text


async def test_viewers_cannot_add_and_other_subtrees_stay_hidden(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "cand-perm")
    await portal_login(client, world.slug, "cell_x_viewer")
    page = await client.get(f"/t/{world.slug}/candidates/new?unit_id={world.units['cell_x']}")
    assert page.status_code == 403
    hidden = await client.get(f"/t/{world.slug}/candidates/new?unit_id={world.units['cell_y']}")
    assert hidden.status_code == 404


async def test_dashboard_counts_charts_targets_and_late_units(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "dashboard")
    await portal_login(client, world.slug, "district_1_editor")
    cell = world.units["cell_x"]
    new_url = f"/t/{world.slug}/candidates/new?unit_id={cell}"
    created = await post_form(client, new_url, new_url, FORM)
    candidate_id = int(created.headers["location"].split("?")[0].rsplit("/", 1)[1])
    year = today_in_vietnam().year
    with db.as_owner(), tenant_context(world.tenant_id):
        await AdmissionPlan(
            tenant_id=world.tenant_id,
            unit=world.units["district_1"],
            unit_path=f"{world.units['province']}.{world.units['district_1']}.",
            year=year,
            target_year=8,
            target_q1=2,
            target_q2=2,
            target_q3=2,
            target_q4=2,
        ).save()
        await StageChange(
            tenant_id=world.tenant_id,
            candidate=candidate_id,
            from_stage="admission_in_progress",
            to_stage="admitted",
            changed_on=dt.date(year, 2, 10),
            actor="test",
        ).save()
    page = await client.get(f"/t/{world.slug}/units/{world.units['district_1']}/dashboard")
    assert page.status_code == 200
    html = page.text
    assert html.count('role="img"') == 4
    assert "Quý 1: 1 (chỉ tiêu 2)" in html  # the chart reads out its numbers
    assert "Xem số liệu" in html and "<caption>" in html
    assert "Đảng ủy xã Lạc Hồng" in html  # the sub-unit row
    assert "đơn vị đã nộp" in html


async def test_home_shows_the_period_and_lists_waiting(db: Database, client: AppClient) -> None:
    world = await build_world(db, "home-role")
    today = today_in_vietnam()
    with db.as_owner(), tenant_context(world.tenant_id):
        await CandidateList(
            tenant_id=world.tenant_id,
            unit=world.units["cell_x"],
            unit_path="x.",
            step="survey",
            period_code="2099-Q1",
            period_opens=today,
            period_deadline=today,
            state="submitted",
            receiver_unit=world.units["district_1"],
            package="hungyen",
            package_version="v",
            submitted_at=dt.datetime.now(dt.UTC),
        ).save()
    # An editor cannot return or accept: nothing waits for them.
    await portal_login(client, world.slug, "district_1_editor")
    home = await client.get(f"/t/{world.slug}/")
    assert "Kỳ rà soát hiện tại" in home.text
    assert "hạn nộp danh sách" in home.text
    assert "Không có danh sách nào đang chờ bạn xử lý." in home.text
    await portal_login(client, world.slug, "admin")
    home = await client.get(f"/t/{world.slug}/")
    assert f'<a href="/t/{world.slug}/inbox">Danh sách chờ tôi xử lý</a>' in home.text
    next_steps = home.text.split('id="h-next"', 1)[1].split("</section>", 1)[0]
    assert "<strong>Danh sách khảo sát kỳ quý 1/2099 — Chi bộ thôn Ngọc Đà</strong>" in next_steps
    assert "Chờ bạn xử lý" in next_steps and "Xem và xử lý</a>" in next_steps


async def test_reevaluating_a_unit_reports_progress_and_stores_decisions(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "reeval")
    await portal_login(client, world.slug, "district_1_editor")
    cell = world.units["cell_y"]
    new_url = f"/t/{world.slug}/candidates/new?unit_id={cell}"
    for index in range(3):
        await post_form(client, new_url, new_url, {**FORM, "national_id": f"03420100099{index}"})
    unit_page = await client.get(f"/t/{world.slug}/units/{world.units['commune_1']}")
    assert "Đánh giá lại toàn đơn vị" in unit_page.text
    started = await client.post(
        f"/t/{world.slug}/units/{world.units['commune_1']}/reevaluate",
        data={"_csrf_token": csrf_token_in(unit_page.text)},
    )
    assert started.status_code == 303
    job_url = started.headers["location"]
    progress = await client.get(job_url)
    assert "<progress" in progress.text and "Đã đánh giá" in progress.text
    await wait_for_jobs()
    await asyncio.sleep(0)
    done = await client.get(job_url, headers={"HX-Request": "true"})
    assert "Đã đánh giá 3/3" in done.text and "Đã xong" in done.text
    assert "<html" not in done.text  # the polled fragment only
    with tenant_context(world.tenant_id):
        stored = await CandidateDecision.count().where(
            CandidateDecision.tenant_id == world.tenant_id
        )
    assert stored >= 3 * 4
