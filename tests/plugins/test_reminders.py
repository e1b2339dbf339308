"""Deadline reminders from the package calendar: due and late units, once each, through
the webhooks outbox and on the portal home page; only for tenants that switched them on."""

from __future__ import annotations

import datetime as dt
import json

from nguon.clock import today_in_vietnam
from nguon.pipeline.tables import CandidateList
from nguon.plugin_admin.notices import home_notices
from nguon.plugin_admin.service import save_setting
from nguon.plugins_builtin.reminders.config import RemindersConfig
from nguon.plugins_builtin.reminders.service import periods_to_remind, send_reminders
from nguon.plugins_builtin.webhooks.tables import WebhookDelivery
from nguon.rules.registry import load_package
from nguon.tenancy.context import tenant_context
from tests.conftest import Database
from tests.http.conftest import AppClient, World, build_world, portal_login

LIST_MAKERS = {"cell_x", "cell_y", "commune_1", "cell_z"}  # cells and grassroots committees
Q2_DEADLINE = dt.date(2025, 6, 30)


async def _switch_on(world: World, days_before: int = 7, webhooks: bool = True) -> None:
    with tenant_context(world.tenant_id):
        await save_setting(
            world.tenant_id, "deadline_reminders", True, {"days_before": days_before}
        )
        if webhooks:
            endpoint = {"url": "https://hooks.example.org/nguon", "secret": "x" * 16}
            await save_setting(world.tenant_id, "webhooks", True, {"endpoints": [endpoint]})


async def _submitted_list(db: Database, world: World, unit: str, period: str) -> None:
    with db.as_owner(), tenant_context(world.tenant_id):
        await CandidateList.insert(
            CandidateList(
                tenant_id=world.tenant_id,
                unit=world.units[unit],
                unit_path="",
                step="admission_sources",
                period_code=period,
                period_opens=dt.date(2025, 4, 1),
                period_deadline=Q2_DEADLINE,
                state="submitted",
                package="hungyen",
                package_version="2025.1",
            )
        ).run()


def _names(world: World, reminders) -> set[str]:
    by_id = {unit_id: key for key, unit_id in world.units.items()}
    return {by_id[r.unit_id] for r in reminders}


def test_which_periods_are_reminded_follows_the_calendar_and_the_setting() -> None:
    periods = load_package("hungyen").calendar.periods(2025)
    config = RemindersConfig(days_before=7)

    assert periods_to_remind(periods, config, dt.date(2025, 6, 22)) == [
        (periods[0], "late")  # Q1 was missed; Q2 is not near enough yet
    ]
    near = periods_to_remind(periods, config, dt.date(2025, 6, 23))
    assert [(p.code, kind) for p, kind in near] == [("2025-Q2", "due"), ("2025-Q1", "late")]
    quiet = RemindersConfig(days_before=3, remind_late=False)
    assert periods_to_remind(periods, quiet, dt.date(2025, 6, 23)) == []


async def test_each_unit_is_reminded_once_of_what_is_due_and_late(db: Database) -> None:
    world = await build_world(db, "rem")
    await _switch_on(world)
    await _submitted_list(db, world, "cell_y", "2025-Q2")
    await _submitted_list(db, world, "cell_z", "2025-Q1")
    today = dt.date(2025, 6, 25)

    sent = await send_reminders(world.tenant_id, today)
    assert {
        (name, r.period, r.kind)
        for name, r in zip([_names(world, [r]).pop() for r in sent], sent, strict=True)
    } == {
        ("cell_x", "2025-Q2", "due"),
        ("commune_1", "2025-Q2", "due"),
        ("cell_z", "2025-Q2", "due"),
        ("cell_x", "2025-Q1", "late"),
        ("cell_y", "2025-Q1", "late"),
        ("commune_1", "2025-Q1", "late"),
    }
    assert {r.deadline for r in sent if r.kind == "due"} == {Q2_DEADLINE}

    assert await send_reminders(world.tenant_id, today) == []
    assert await send_reminders(world.tenant_id, today + dt.timedelta(days=2)) == []

    with tenant_context(world.tenant_id):
        outbox = await WebhookDelivery.select().where(WebhookDelivery.tenant_id == world.tenant_id)
    assert len(outbox) == 6
    assert {r["event_type"] for r in outbox} == {"deadline.reminder"}
    payload = json.loads(outbox[0]["body"])
    assert set(payload["data"]) >= {"unit_id", "unit_name", "period", "deadline", "kind"}


async def test_a_tenant_without_the_plugin_gets_no_reminder(db: Database) -> None:
    on, off = await build_world(db, "remon"), await build_world(db, "remoff")
    await _switch_on(on, webhooks=False)
    today = dt.date(2025, 6, 25)

    assert await send_reminders(off.tenant_id, today) == []
    assert _names(on, await send_reminders(on.tenant_id, today)) == LIST_MAKERS


async def test_home_notices_show_the_reminders_of_the_users_units_still_missing_a_list(
    db: Database,
) -> None:
    world = await build_world(db, "remhome")
    await _switch_on(world, webhooks=False)
    today = dt.date(2025, 6, 25)
    await send_reminders(world.tenant_id, today)
    await _submitted_list(db, world, "commune_1", "2025-Q2")

    with tenant_context(world.tenant_id):
        district = await home_notices(world.tenant_id, [world.units["district_1"]], today)
        cell = await home_notices(world.tenant_id, [world.units["cell_z"]], today)
    texts = [n.text for n in district]
    assert (
        "Chi bộ thôn Ngọc Đà: sắp đến hạn nộp danh sách kỳ 2025-Q2 — hạn 30/06/2025 (còn 5 ngày)."
        in texts
    )
    assert "Đảng ủy xã Lạc Hồng: đã quá hạn nộp danh sách kỳ 2025-Q1 (hạn 31/03/2025)." in texts
    assert not any(t.startswith("Đảng ủy xã Lạc Hồng: sắp đến hạn") for t in texts)
    assert not any("Trường THPT" in t for t in texts)
    assert {n.level for n in cell} == {"due", "late"}


async def test_the_portal_home_page_shows_the_reminders(db: Database, client: AppClient) -> None:
    world = await build_world(db, "remportal")
    await _switch_on(world, webhooks=False)
    await send_reminders(world.tenant_id, today_in_vietnam())
    await portal_login(client, world.slug, "cell_x_editor")

    page = (await client.get(f"/t/{world.slug}/")).text

    assert "Nhắc việc" in page
    assert "Chi bộ thôn Ngọc Đà: đã quá hạn nộp danh sách kỳ" in page
    assert "Chi bộ thôn Đình Dù" not in page.split("Nhắc việc")[1].split("</section>")[0]
