"""Which units must be reminded of a deadline today, and the reminders already sent.

A unit that makes lists (a cell or a grassroots committee) is reminded ``days_before``
days before the deadline of the current period if it has not submitted a list for it,
and once after the last deadline passed without one. A reminder is recorded with the
outbox rows of its webhook event in one transaction; a unit, period and kind is never
reminded twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import msgspec

from nguon.db.transaction import atomic
from nguon.hooks import HomeNotice
from nguon.org.tables import OrgUnit
from nguon.pipeline.road_watch import open_deadlines
from nguon.pipeline.tables import CandidateList
from nguon.plugin_admin.service import load_tenant_plugins
from nguon.plugins_builtin.reminders.config import RemindersConfig
from nguon.plugins_builtin.reminders.tables import DeadlineReminder
from nguon.plugins_builtin.webhooks.outbox import PLUGIN_NAME as WEBHOOKS
from nguon.plugins_builtin.webhooks.outbox import enqueue
from nguon.rules.registry import load_package
from nguon.rules.review_calendar import Period
from nguon.tenancy.context import tenant_context
from nguon.tenancy.package import tenant_package
from nguon.tenancy.scoped import in_tenant
from nguon.tenancy.tables import Tenant

PLUGIN_NAME = "deadline_reminders"
EVENT_TYPE = "deadline.reminder"
DONE_STATES = ("submitted", "accepted")
RECENT = dt.timedelta(days=100)

Kind = Literal["due", "late"]


class Reminder(msgspec.Struct, kw_only=True, frozen=True):
    unit_id: int
    unit_code: str
    unit_name: str
    period: str
    deadline: dt.date
    kind: Kind
    list_state: str
    """The unit's list for the period: ``none``, ``draft``, ``adopted`` or ``returned``."""
    subject: str = ""
    """For a deadline of the admission road: what is due, for whom, with its clause."""
    clause_id: str = ""


def periods_to_remind(
    periods: list[Period], config: RemindersConfig, today: dt.date
) -> list[tuple[Period, Kind]]:
    """The current period if its deadline is near, and the last one whose deadline passed."""
    chosen: list[tuple[Period, Kind]] = [
        (p, "due")
        for p in periods
        if p.opens <= today <= p.deadline and (p.deadline - today).days <= config.days_before
    ]
    past = [p for p in periods if p.deadline < today]
    if config.remind_late and past:
        chosen.append((max(past, key=lambda p: p.deadline), "late"))
    return chosen


async def _periods(tenant_id: int, today: dt.date) -> list[Period]:
    row = await Tenant.select(Tenant.rules_package).where(Tenant.id == tenant_id).first()
    calendar = load_package(row["rules_package"]).calendar if row else None
    if calendar is None:
        return []
    return [p for year in (today.year - 1, today.year) for p in calendar.periods(year)]


async def _list_states(codes: list[str]) -> dict[tuple[int, str], str]:
    rows = await CandidateList.select(
        CandidateList.unit, CandidateList.period_code, CandidateList.state
    ).where(in_tenant(CandidateList), CandidateList.period_code.is_in(codes))
    states: dict[tuple[int, str], str] = {}
    for row in rows:
        key = (row["unit"], row["period_code"])
        if row["state"] in DONE_STATES or key not in states:
            states[key] = row["state"]
    return states


async def send_reminders(tenant_id: int, today: dt.date) -> list[Reminder]:
    """Record and send today's reminders for one tenant; those sent before are skipped."""
    plugins = await load_tenant_plugins(tenant_id)
    if not plugins.enabled(PLUGIN_NAME):
        return []
    config: RemindersConfig = plugins.configs[PLUGIN_NAME]
    with tenant_context(tenant_id):
        targets = periods_to_remind(await _periods(tenant_id, today), config, today)
        if not targets:
            return []
        codes = [period.code for period, _ in targets]
        units = await OrgUnit.select(OrgUnit.id, OrgUnit.code, OrgUnit.name).where(
            in_tenant(OrgUnit),
            OrgUnit.kind.is_in(sorted((await tenant_package()).people_holding_kinds)),
            OrgUnit.valid_from <= today,
            (OrgUnit.valid_to.is_null()) | (OrgUnit.valid_to > today),
        )
        async with atomic():
            states = await _list_states(codes)
            sent = {
                (r["unit"], r["period_code"], r["kind"])
                for r in await DeadlineReminder.select(
                    DeadlineReminder.unit, DeadlineReminder.period_code, DeadlineReminder.kind
                ).where(in_tenant(DeadlineReminder), DeadlineReminder.period_code.is_in(codes))
            }
            reminders = [
                Reminder(
                    unit_id=unit["id"],
                    unit_code=unit["code"],
                    unit_name=unit["name"],
                    period=period.code,
                    deadline=period.deadline,
                    kind=kind,
                    list_state=states.get((unit["id"], period.code), "none"),
                )
                for period, kind in targets
                for unit in units
                if states.get((unit["id"], period.code)) not in DONE_STATES
                and (unit["id"], period.code, kind) not in sent
            ]
            if reminders:
                await DeadlineReminder.insert(
                    *(
                        DeadlineReminder(
                            tenant_id=tenant_id,
                            unit=r.unit_id,
                            period_code=r.period,
                            kind=r.kind,
                            deadline=r.deadline,
                        )
                        for r in reminders
                    )
                ).run()
                if plugins.enabled(WEBHOOKS):
                    for reminder in reminders:
                        await enqueue(
                            plugins.configs[WEBHOOKS],
                            tenant_id,
                            EVENT_TYPE,
                            msgspec.to_builtins(reminder),
                        )
    return reminders


ROAD_PREFIX = "road-"
ROAD_CODES = {"admission_decision": "decision", "recognition": "recognition"}


def road_code(step: str, candidate_id: int) -> str:
    """The reminder's ``period_code`` for a road deadline: one per step and person."""
    return f"{ROAD_PREFIX}{ROAD_CODES[step]}-{candidate_id}"


async def send_road_reminders(tenant_id: int, today: dt.date) -> list[Reminder]:
    """Remind the units of people whose admission decision or recognition is due soon or
    late (each once per kind), with the deadline counted in working days and its clause."""
    plugins = await load_tenant_plugins(tenant_id)
    if not plugins.enabled(PLUGIN_NAME):
        return []
    with tenant_context(tenant_id):
        package = await tenant_package()
        pressing = [
            d
            for d in await open_deadlines(package, [""], today)
            if d.status in ("late", "due_soon") and d.due is not None
        ]
        if not pressing:
            return []
        async with atomic():
            codes = [road_code(d.step, d.candidate_id) for d in pressing]
            sent = {
                (r["period_code"], r["kind"])
                for r in await DeadlineReminder.select(
                    DeadlineReminder.period_code, DeadlineReminder.kind
                ).where(in_tenant(DeadlineReminder), DeadlineReminder.period_code.is_in(codes))
            }
            units = {
                u["id"]: u
                for u in await OrgUnit.select(OrgUnit.id, OrgUnit.code, OrgUnit.name).where(
                    in_tenant(OrgUnit), OrgUnit.id.is_in(sorted({d.unit_id for d in pressing}))
                )
            }
            reminders = [
                Reminder(
                    unit_id=d.unit_id,
                    unit_code=units[d.unit_id]["code"],
                    unit_name=units[d.unit_id]["name"],
                    period=road_code(d.step, d.candidate_id),
                    deadline=d.due,
                    kind="late" if d.status == "late" else "due",
                    list_state="none",
                    subject=d.text,
                    clause_id=d.clause_id,
                )
                for d in pressing
                if d.due is not None
                and (road_code(d.step, d.candidate_id), "late" if d.status == "late" else "due")
                not in sent
            ]
            if reminders:
                await DeadlineReminder.insert(
                    *(
                        DeadlineReminder(
                            tenant_id=tenant_id,
                            unit=r.unit_id,
                            period_code=r.period,
                            kind=r.kind,
                            deadline=r.deadline,
                        )
                        for r in reminders
                    )
                ).run()
                if plugins.enabled(WEBHOOKS):
                    for reminder in reminders:
                        await enqueue(
                            plugins.configs[WEBHOOKS],
                            tenant_id,
                            EVENT_TYPE,
                            msgspec.to_builtins(reminder),
                        )
    return reminders


async def send_all(today: dt.date) -> dict[int, list[Reminder]]:
    """``send_reminders`` for every tenant; tenants without the plugin send nothing."""
    tenants = await Tenant.select(Tenant.id).order_by(Tenant.id)
    return {
        row["id"]: await send_reminders(row["id"], today)
        + await send_road_reminders(row["id"], today)
        for row in tenants
    }


def _notice(row: dict[str, Any], today: dt.date) -> HomeNotice:
    deadline: dt.date = row["deadline"]
    name, period = row["unit.name"], row["period_code"]
    if row["kind"] == "late":
        text = (
            f"{name}: đã quá hạn nộp danh sách kỳ {period} (hạn {deadline.strftime('%d/%m/%Y')})."
        )
        level: Literal["due", "late"] = "late"
    else:
        days = (deadline - today).days
        text = (
            f"{name}: sắp đến hạn nộp danh sách kỳ {period} — hạn "
            f"{deadline.strftime('%d/%m/%Y')} (còn {days} ngày)."
        )
        level = "due"
    return HomeNotice(text=text, level=level, unit_id=row["unit"])


async def home_notices(unit_ids: list[int], today: dt.date, limit: int = 20) -> list[HomeNotice]:
    """Reminders sent to units in the subtrees of ``unit_ids`` whose list is still missing."""
    if not unit_ids:
        return []
    paths = [
        r["path"]
        for r in await OrgUnit.select(OrgUnit.path).where(
            in_tenant(OrgUnit), OrgUnit.id.is_in(unit_ids)
        )
    ]
    rows = await (
        DeadlineReminder.select(
            DeadlineReminder.unit,
            DeadlineReminder.unit.name,
            DeadlineReminder.unit.path,
            DeadlineReminder.period_code,
            DeadlineReminder.kind,
            DeadlineReminder.deadline,
        )
        .where(in_tenant(DeadlineReminder), DeadlineReminder.deadline >= today - RECENT)
        .order_by(DeadlineReminder.deadline)
    )
    # The road's deadlines are on the home page of whoever must act (portal.next_steps).
    rows = [
        r
        for r in rows
        if any(r["unit.path"].startswith(p) for p in paths)
        and not r["period_code"].startswith(ROAD_PREFIX)
    ]
    if not rows:
        return []
    states = await _list_states(sorted({r["period_code"] for r in rows}))
    return [
        _notice(r, today)
        for r in rows
        if states.get((r["unit"], r["period_code"])) not in DONE_STATES
        and (r["kind"] == "late" or r["deadline"] >= today)
    ][:limit]
