"""Annual admission plans: a unit's targets for the year and each quarter, and the
admissions made in its subtree against them, unit by unit down one level.

Admitted, proposed and in-progress counts are the figures of ``nguon.reports.figures``
(the dashboard's, defined in ``nguon.reports.definitions``). A unit is behind schedule
when, by the as-of date, its admissions fall short of the targets of the quarters over.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from nguon.accounts.permissions import READ, Access, Role
from nguon.audit.service import changed_fields, record_event
from nguon.clock import today_in_vietnam
from nguon.errors import Conflict, Forbidden, InvalidInput, NotFound
from nguon.org.tables import OrgUnit
from nguon.pipeline.plan_schemas import (
    PlanIn,
    PlanOut,
    PlanProgress,
    QuarterCounts,
    Targets,
    UnitProgress,
)
from nguon.pipeline.stages import actor_of, stale_message
from nguon.pipeline.tables import AdmissionPlan
from nguon.reports.figures import UnitFigures, subtree_figures
from nguon.tenancy.context import require_tenant
from nguon.tenancy.scoped import in_tenant

APPROVE: Role = "approver"
FIRST_YEAR = 2000
LAST_YEAR = 2100
QUARTERS = ("q1", "q2", "q3", "q4")
_TARGET_FIELDS = ("target_year", "target_q1", "target_q2", "target_q3", "target_q4")


def quarter_of(day: dt.date) -> str:
    return QUARTERS[(day.month - 1) // 3]


def quarter_end(year: int, quarter: str) -> dt.date:
    month = (QUARTERS.index(quarter) + 1) * 3
    return (
        dt.date(year, month + 1, 1) - dt.timedelta(days=1) if month < 12 else dt.date(year, 12, 31)
    )


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(
            f"Năm phải từ {FIRST_YEAR} đến {LAST_YEAR} / year out of range: year", field="year"
        )


async def _unit(access: Access, unit_id: int, role: Role) -> dict[str, Any]:
    unit = await OrgUnit.select().where(in_tenant(OrgUnit), OrgUnit.id == unit_id).first().run()
    if unit is None or not access.can_see(unit["path"]):
        raise NotFound("unit")
    if not access.can(unit["path"], role):
        raise Forbidden(
            "Cần quyền phê duyệt ở đơn vị này để đặt chỉ tiêu / "
            "Setting targets needs the approver role on this unit"
        )
    return unit


def targets_of(row: dict[str, Any]) -> Targets:
    return Targets(
        year=row["target_year"],
        q1=row["target_q1"],
        q2=row["target_q2"],
        q3=row["target_q3"],
        q4=row["target_q4"],
    )


def plan_out(row: dict[str, Any]) -> PlanOut:
    return PlanOut(
        id=row["id"],
        unit_id=row["unit"],
        year=row["year"],
        targets=targets_of(row),
        version=row["version"],
    )


async def _plan_row(unit_id: int, year: int) -> dict[str, Any] | None:
    return await (
        AdmissionPlan.select()
        .where(in_tenant(AdmissionPlan), AdmissionPlan.unit == unit_id, AdmissionPlan.year == year)
        .first()
        .run()
    )


async def get_plan(access: Access, unit_id: int, year: int) -> PlanOut:
    _check_year(year)
    await _unit(access, unit_id, READ)
    row = await _plan_row(unit_id, year)
    if row is None:
        raise NotFound("plan")
    return plan_out(row)


async def put_plan(access: Access, unit_id: int, year: int, data: PlanIn) -> PlanOut:
    """Create (version 0) or replace (the version read) a unit's plan for a year."""
    _check_year(year)
    unit = await _unit(access, unit_id, APPROVE)
    targets = data.targets
    quarters = targets.q1 + targets.q2 + targets.q3 + targets.q4
    if quarters != targets.year:
        raise InvalidInput(
            f"Tổng chỉ tiêu các quý ({quarters}) khác chỉ tiêu cả năm ({targets.year}) / "
            f"The quarters' targets ({quarters}) do not add up to the year's ({targets.year})",
            field="targets.year",
        )
    values = {f"target_{name}": getattr(targets, name) for name in ("year", *QUARTERS)}
    current = await _plan_row(unit_id, year)
    actor = actor_of(access)
    if current is None:
        if data.version != 0:
            raise Conflict(stale_message("plan"), field="version")
        plan = AdmissionPlan(
            tenant_id=require_tenant(), unit=unit_id, unit_path=unit["path"], year=year, **values
        )
        await plan.save().run()
        await record_event(
            actor,
            "create",
            "admission_plan",
            plan.id,
            None,
            {"unit": unit_id, "year": year, **values},
        )
        row = await _plan_row(unit_id, year)
    else:
        if data.version != current["version"]:
            raise Conflict(stale_message("plan"), field="version")
        updated = await (
            AdmissionPlan.update({**values, "version": current["version"] + 1})
            .where(
                in_tenant(AdmissionPlan),
                AdmissionPlan.id == current["id"],
                AdmissionPlan.version == current["version"],
            )
            .returning(AdmissionPlan.id)
            .run()
        )
        if not updated:
            raise Conflict(stale_message("plan"), field="version")
        before, after = changed_fields({f: current[f] for f in _TARGET_FIELDS}, values)
        await record_event(actor, "update", "admission_plan", current["id"], before, after)
        row = await _plan_row(unit_id, year)
    if row is None:
        raise NotFound("plan")
    return plan_out(row)


def _quarter_counts(figures: UnitFigures, flow: str) -> QuarterCounts:
    q1, q2, q3, q4 = figures.flows[flow]
    return QuarterCounts(year=q1 + q2 + q3 + q4, q1=q1, q2=q2, q3=q3, q4=q4)


def _expected(targets: Targets | None, year: int, as_of: dt.date) -> int:
    if targets is None:
        return 0
    return sum(getattr(targets, q) for q in QUARTERS if quarter_end(year, q) < as_of)


def _progress(
    unit: dict[str, Any],
    plan: dict[str, Any] | None,
    figures: UnitFigures,
    year: int,
    as_of: dt.date,
) -> UnitProgress:
    targets = targets_of(plan) if plan else None
    admitted = _quarter_counts(figures, "admitted")
    expected = _expected(targets, year, as_of)
    return UnitProgress(
        unit_id=unit["id"],
        unit_name=unit["name"],
        kind=unit["kind"],
        targets=targets,
        admitted=admitted,
        proposed=_quarter_counts(figures, "proposed"),
        in_progress=figures.by_stage["admission_in_progress"],
        removed=_quarter_counts(figures, "removed"),
        expected_so_far=expected,
        behind_schedule=admitted.year < expected,
    )


async def plan_progress(
    access: Access, unit_id: int, year: int, as_of: dt.date | None = None
) -> PlanProgress:
    """The unit's targets and admissions so far, and the same for each direct sub-unit:
    the figures of ``nguon.reports.figures``, the dashboard's own."""
    _check_year(year)
    unit = await _unit(access, unit_id, READ)
    figures = await subtree_figures(unit_id, unit["path"], year, as_of or today_in_vietnam())
    as_of = figures.as_of
    children = figures.children()
    plans = {
        row["unit"]: row
        for row in await AdmissionPlan.select()
        .where(
            in_tenant(AdmissionPlan),
            AdmissionPlan.year == year,
            AdmissionPlan.unit.is_in([unit_id, *(c["id"] for c in children)]),
        )
        .run()
    }
    sub_units = [
        _progress(c, plans.get(c["id"]), figures.total(c["id"]), year, as_of) for c in children
    ]
    summed = Targets(year=0, q1=0, q2=0, q3=0, q4=0)
    for sub in sub_units:
        if sub.targets is not None:
            for field in ("year", *QUARTERS):
                setattr(summed, field, getattr(summed, field) + getattr(sub.targets, field))
    own = _progress(unit, plans.get(unit_id), figures.root, year, as_of)
    return PlanProgress(
        year=year,
        as_of=as_of,
        unit=own,
        sub_units_targets=summed,
        sub_units_targets_match=own.targets is not None and own.targets == summed,
        sub_units=sub_units,
    )
