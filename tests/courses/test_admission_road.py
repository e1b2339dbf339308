"""The admission road after the Step 3 list, over the API and on the pages of those who
must act: introducers and their conditions, the grassroots resolution, one extension of
at most 30 working days, the decision's deadline in working days, and who may record
which step."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from nguon.clock import today_in_vietnam
from nguon.pipeline.road_tables import AdmissionStep
from nguon.plugins_builtin.reminders.service import send_road_reminders
from nguon.plugins_builtin.webhooks.tables import WebhookDelivery
from nguon.rules.registry import load_package
from nguon.rules.working_days import WorkingCalendar
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import switch_tenant_in_transaction
from tests.conftest import Database
from tests.courses.conftest import add_member, api, audit_actions
from tests.courses.test_helpers_admission import _admission_source
from tests.http.conftest import (
    AppClient,
    World,
    build_world,
    csrf_token_in,
    portal_login,
    token_for,
)
from tests.plugins.test_reminders import _switch_on

CALENDAR: WorkingCalendar = load_package("hungyen").working_calendar  # type: ignore[assignment]


def start_for_due(due: dt.date, working_days: int = 60) -> dt.date:
    """The day of a cell resolution whose 60th working day is ``due`` (a working day)."""
    day, counted = due, 0
    while True:
        if CALENDAR.is_working_day(day):
            counted += 1
            if counted == working_days:
                return day - dt.timedelta(1)
        day -= dt.timedelta(1)


async def _propose(
    client: AppClient, world: World, headers: dict[str, str], candidate: dict[str, Any], body: dict
) -> Any:
    return await client.post(
        f"{api(world)}/candidates/{candidate['id']}/propose-admission",
        json={"version": candidate["version"], **body},
        headers=headers,
    )


async def test_introducers_conditions_then_the_road_with_its_roles(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "duong-kn")
    admin = await token_for(client, world.slug, "admin")
    candidate, (binh, gioi) = await _admission_source(client, db, world, admin)
    probationary = await add_member(client, world, admin, "cell_x", "Vũ Dự Bị", "probationary")

    refused = await _propose(
        client,
        world,
        admin,
        candidate,
        {
            "introducers": [
                {"member_id": binh, "months_together": 24},
                {"member_id": probationary, "months_together": 20},
            ]
        },
    )
    assert refused.status_code == 409, refused.text
    assert "đảng viên dự bị" in refused.json()["detail"]
    assert "[dieu-le.4.introducer_conditions]" in refused.json()["detail"]
    short = await _propose(
        client,
        world,
        admin,
        candidate,
        {
            "introducers": [
                {"member_id": binh, "months_together": 24},
                {"member_id": gioi, "months_together": 11},
            ]
        },
    )
    assert short.status_code == 409
    assert "đủ 12 tháng" in short.json()["detail"]
    no_number = await _propose(
        client,
        world,
        admin,
        candidate,
        {
            "introducers": [{"member_id": binh, "months_together": 24}],
            "organisation_introduction": "youth_union",
        },
    )
    assert no_number.status_code == 400
    assert no_number.json()["errors"][0]["field"] == "organisation_resolution_number"
    not_member = await _propose(
        client,
        world,
        admin,
        candidate,
        {
            "introducers": [{"member_id": binh, "months_together": 24}],
            "organisation_introduction": "youth_union",
            "organisation_resolution_number": "03-NQ/ĐTN",
        },
    )
    assert not_member.status_code == 409
    assert "không là đoàn viên" in not_member.json()["detail"]
    unknown = await _propose(
        client, world, admin, candidate, {"introducers": [{"member_id": binh}]}
    )
    assert unknown.status_code == 400  # months_together is required with each introducer

    proposed = await _propose(
        client,
        world,
        admin,
        candidate,
        {
            "introducers": [
                {"member_id": binh, "months_together": 24},
                {"member_id": gioi, "months_together": 13},
            ],
            "resolution_number": "07-NQ/CB",
        },
    )
    assert proposed.status_code == 200, proposed.text
    today = today_in_vietnam()
    road_url = f"{api(world)}/candidates/{candidate['id']}/admission-road"
    road = (await client.get(road_url, headers=admin)).json()
    assert [(s["step"], s["document_number"]) for s in road["steps"]] == [
        ("cell_resolution", "07-NQ/CB")
    ]
    assert [(i["member_name"], i["months_together"]) for i in road["introducers"]] == [
        ("Trần Thị Bình", 24),
        ("Phạm Văn Giới", 13),
    ]
    decision = road["deadlines"][0]
    assert decision["step"] == "admission_decision"
    assert decision["due"] == CALENDAR.add_working_days(today, 60).isoformat()
    assert (decision["status"], decision["clause_id"]) == ("open", "road.decision.deadline")
    version = proposed.json()["version"]

    def step(name: str, **extra: Any) -> dict[str, Any]:
        return {
            "version": version,
            "step": name,
            "taken_on": today.isoformat(),
            "document_number": "NQ-1",
            **extra,
        }

    cell_editor = await token_for(client, world.slug, "cell_x_editor")
    district_editor = await token_for(client, world.slug, "district_1_editor")
    by_cell = await client.post(road_url, json=step("grassroots_resolution"), headers=cell_editor)
    assert by_cell.status_code == 403  # the grassroots committee records it, not the cell
    recorded = await client.post(
        road_url, json=step("grassroots_resolution"), headers=district_editor
    )
    assert recorded.status_code == 200, recorded.text
    again = await client.post(road_url, json=step("grassroots_resolution"), headers=admin)
    assert again.status_code == 409
    by_editor = await client.post(
        road_url, json=step("extension", working_days=20), headers=district_editor
    )
    assert by_editor.status_code == 403  # the competent committee's approver extends
    no_days = await client.post(road_url, json=step("extension"), headers=admin)
    assert no_days.status_code == 400
    assert no_days.json()["errors"][0]["field"] == "working_days"
    too_long = await client.post(road_url, json=step("extension", working_days=31), headers=admin)
    assert too_long.status_code == 409
    assert "[qd294.admission.deadline]" in too_long.json()["detail"]  # the 2025 text
    extended = await client.post(road_url, json=step("extension", working_days=30), headers=admin)
    assert extended.status_code == 200, extended.text
    assert (
        extended.json()["deadlines"][0]["due"] == CALENDAR.add_working_days(today, 90).isoformat()
    )
    twice = await client.post(road_url, json=step("extension", working_days=5), headers=admin)
    assert twice.status_code == 409
    assert "một lần" in twice.json()["detail"]
    recognition = await client.post(road_url, json=step("recognition"), headers=admin)
    assert recognition.status_code == 409  # not admitted yet: the machine refuses
    history = await client.get(f"{api(world)}/candidates/{candidate['id']}/stages", headers=admin)
    events = [(h["event"], h["clause_id"]) for h in history.json()["items"]][-3:]
    assert events == [
        ("admission_proposal", "qd294.admission.proposal"),
        ("grassroots_resolution", "road.grassroots.resolution"),
        ("decision_extension", "road.decision.deadline"),
    ]
    actions = await audit_actions(db, world)
    assert ("district_1_editor", "record", "admission_step") in actions
    assert ("admin", "record", "admission_introducer") in actions


async def _move_cell_resolution(db: Database, world: World, candidate: int, day: dt.date) -> None:
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            await AdmissionStep.update({AdmissionStep.taken_on: day}).where(
                AdmissionStep.candidate == candidate, AdmissionStep.step == "cell_resolution"
            )


async def test_late_and_due_soon_decisions_on_home_pages_and_the_dashboard(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "han-kn")
    admin = await token_for(client, world.slug, "admin")
    candidate, (binh, gioi) = await _admission_source(client, db, world, admin)
    proposed = await _propose(
        client, world, admin, candidate, {"introducer_member_ids": [binh, gioi]}
    )
    assert proposed.status_code == 200, proposed.text
    today = today_in_vietnam()
    late_day = today - dt.timedelta(days=200)
    await _move_cell_resolution(db, world, candidate["id"], late_day)
    due = CALENDAR.add_working_days(late_day, 60)

    await portal_login(client, world.slug, "admin")
    home = await client.get(f"/t/{world.slug}/")
    assert home.status_code == 200
    assert "Quyết định kết nạp — Nguyễn Văn An" in home.text
    assert f"hạn {due:%d/%m/%Y}, đã quá" in home.text
    assert "[road.decision.deadline]" in home.text
    dashboard = await client.get(f"/t/{world.slug}/units/{world.units['district_1']}/dashboard")
    assert dashboard.status_code == 200
    assert '<strong class="road-late">1</strong>' in dashboard.text
    assert '<strong class="road-due-soon">0</strong>' in dashboard.text
    assert "Quá hạn trên con đường kết nạp" in dashboard.text  # and its definition below
    page = await client.get(f"/t/{world.slug}/candidates/{candidate['id']}")
    assert "Con đường kết nạp" in page.text and "quá hạn" in page.text

    soon = CALENDAR.add_working_days(today, 3)
    await _move_cell_resolution(db, world, candidate["id"], start_for_due(soon))
    await portal_login(client, world.slug, "admin")
    dashboard = await client.get(f"/t/{world.slug}/units/{world.units['district_1']}/dashboard")
    assert '<strong class="road-late">0</strong>' in dashboard.text
    assert '<strong class="road-due-soon">1</strong>' in dashboard.text
    other = await client.get(f"/t/{world.slug}/units/{world.units['district_2']}/dashboard")
    assert '<strong class="road-due-soon">0</strong>' in other.text  # another subtree

    # The cell does not decide: its editor's home page does not ask it to.
    await portal_login(client, world.slug, "cell_x_editor")
    home = await client.get(f"/t/{world.slug}/")
    assert "Quyết định kết nạp — Nguyễn Văn An" not in home.text


async def test_a_late_decision_is_reminded_once_through_the_webhooks(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "nhac-kn")
    admin = await token_for(client, world.slug, "admin")
    candidate, (binh, gioi) = await _admission_source(client, db, world, admin)
    proposed = await _propose(
        client, world, admin, candidate, {"introducer_member_ids": [binh, gioi]}
    )
    assert proposed.status_code == 200, proposed.text
    today = today_in_vietnam()
    await _move_cell_resolution(db, world, candidate["id"], today - dt.timedelta(days=200))
    await _switch_on(world)

    sent = await send_road_reminders(world.tenant_id, today)
    assert [(r.unit_id, r.kind, r.clause_id) for r in sent] == [
        (world.units["cell_x"], "late", "road.decision.deadline")
    ]
    assert "Quyết định kết nạp cho Nguyễn Văn An" in sent[0].subject
    assert await send_road_reminders(world.tenant_id, today) == []  # once only
    with db.as_owner(), tenant_context(world.tenant_id):
        outbox = await WebhookDelivery.select().where(WebhookDelivery.tenant_id == world.tenant_id)
    assert [json.loads(r["body"])["data"]["clause_id"] for r in outbox] == [
        "road.decision.deadline"
    ]


async def test_the_candidate_page_records_introducers_months_and_the_road(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "trang-kn")
    admin = await token_for(client, world.slug, "admin")
    candidate, (binh, gioi) = await _admission_source(client, db, world, admin)
    await portal_login(client, world.slug, "admin")
    url = f"/t/{world.slug}/candidates/{candidate['id']}"
    page = await client.get(url)
    assert 'name="months-' in page.text and "Tổ chức giới thiệu thay một đảng viên" in page.text
    token = csrf_token_in(page.text)
    form = {
        "version": str(candidate["version"]),
        "introducer_id": [str(binh), str(gioi)],
        "resolution_number": "09-NQ/CB",
        "organisation_introduction": "none",
        "_csrf_token": token,
    }
    missing = await client.post(f"{url}/propose", data={**form, f"months-{binh}": "24"})
    assert missing.status_code == 400
    assert "Hãy ghi số tháng" in missing.text
    short = await client.post(
        f"{url}/propose", data={**form, f"months-{binh}": "24", f"months-{gioi}": "6"}
    )
    assert short.status_code == 409
    assert "chưa cùng công tác, học tập hoặc cư trú" in short.text
    proposed = await client.post(
        f"{url}/propose", data={**form, f"months-{binh}": "24", f"months-{gioi}": "15"}
    )
    assert proposed.status_code == 303, proposed.text
    page = await client.get(url)
    assert "Con đường kết nạp" in page.text
    assert "Trần Thị Bình (đảng viên chính thức, 24 tháng cùng công tác)" in page.text
    assert "Căn cứ: road.decision.deadline" in page.text
    due = CALENDAR.add_working_days(today_in_vietnam(), 60)
    assert f"hạn {due:%d/%m/%Y}" in page.text
    version = str(proposed_version(page.text))
    bad = await client.post(
        f"{url}/road",
        data={
            "version": version,
            "road_step": "grassroots_resolution",
            "taken_on": "31/02/2026",
            "document_number": "15-NQ/ĐU",
            "_csrf_token": token,
        },
    )
    assert bad.status_code == 400
    assert 'id="taken_on-error"' in bad.text
    recorded = await client.post(
        f"{url}/road",
        data={
            "version": version,
            "road_step": "grassroots_resolution",
            "taken_on": today_in_vietnam().strftime("%d/%m/%Y"),
            "document_number": "15-NQ/ĐU",
            "_csrf_token": token,
        },
    )
    assert recorded.status_code == 303, recorded.text
    page = await client.get(recorded.headers["location"])
    assert "Đã ghi bước trên con đường kết nạp." in page.text
    assert "15-NQ/ĐU" in page.text


def proposed_version(text: str) -> int:
    found = re.search(r'name="version" value="(\d+)"', text)
    assert found
    return int(found.group(1))
