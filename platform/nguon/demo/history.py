"""The demo's history: what the units of the demo's communes and of the Police did in each
review period, through the pipeline's own services (``nguon.demo.walk``).

- Before the merger (:func:`add_old_tree_history`, once per old province): the survey
  lists of the periods that closed before 2025-07-01 go from village cells to the commune,
  the district, the organisation board and the provincial standing committee; a 2024
  admission plan for a district and admissions over 2024.
- After it (:func:`add_new_tree_history`): the periods since 2025-07-01 walk the new
  chains (cell → commune committee → organisation board → standing committee; Police
  cells through the Police committee); the current period of the real clock is left
  half-done, so every demo role finds its home, inbox and dashboard at work; an admission
  plan for this year and admissions over it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import msgspec

from nguon.demo.people import CELL_KINDS
from nguon.demo.walk import Walker, history_access
from nguon.org.service import unit_by_code
from nguon.org.tables import OrgUnit
from nguon.org.validity import in_force_on
from nguon.people.tables import Candidate
from nguon.pipeline.events import pipeline_transaction
from nguon.pipeline.tables import AdmissionPlan, StageChange
from nguon.rules.package import RulesPackage
from nguon.rules.review_calendar import Period
from nguon.tenancy.context import tenant_context
from nguon.tenancy.package import tenant_package
from nguon.tenancy.scoped import in_tenant, switch_tenant_in_transaction

NEAR_ADMISSION = ("admission_in_progress", "admission_source", "certified")
"""The stages of the candidates the demo's history admits."""


class TreeScript(msgspec.Struct, frozen=True, kw_only=True):
    """Which units of a tree make lists in every period, and who writes the history."""

    actor: str
    """The username the history is written by (the tenant's administrator)."""
    committees: tuple[str, ...]
    """Their cells make lists; the lists go up the chain to the top."""
    cells: tuple[str, ...] = ()
    """Cells that make lists directly under a committee of the chain (Police px01)."""
    plan_unit: str
    """The unit whose admission plan the dashboards compare admissions with."""


OLD_HUNGYEN = TreeScript(
    actor="admin.hungyen",
    committees=(
        "hy.vanlam.lachong",
        "hy.vanlam.nhuquynh",
        "hy.hungyen.leloi",
        "hy.hungyen.hiennam",
        "hy.ca.pc02",
    ),
    cells=("hy.ca.px01",),
    plan_unit="hy.vanlam",
)
OLD_THAIBINH = TreeScript(
    actor="admin.thaibinh",
    committees=("tb.thaibinh.lehongphong", "tb.ca.pc08"),
    cells=("tb.ca.px01",),
    plan_unit="tb.thaibinh",
)
NEW_HUNGYEN = TreeScript(
    actor="admin.hungyen",
    committees=(
        "hy.x.nhuquynh",
        "hy.p.phohien",
        "hy.p.tb-thaibinh",
        "hy.ca.pc02",
        "hy.ca.tb-pc08",
    ),
    cells=("hy.ca.px01",),
    plan_unit="hy.x.nhuquynh",
)

DEMO_COMMUNE = "hy.x.nhuquynh"
DEMO_CELL = "hy.x.nhuquynh.lachong-thon-1"
"""The demo cell secretary's cell: its list for the current period is theirs to make."""


class HistoryReport(msgspec.Struct, kw_only=True):
    periods: list[str] = []
    lists: int = 0
    tree: str = ""
    """Whose history: ``thaibinh (2024)``, ``hungyen (from 2025-07-01)``."""


async def _cells_under(codes: Sequence[str], on: dt.date) -> list[str]:
    """The cells directly under ``codes`` in force on ``on``, in code order."""
    parents = [unit for unit in [await unit_by_code(code) for code in codes] if unit is not None]
    rows = await (
        OrgUnit.select(OrgUnit.code, OrgUnit.valid_from, OrgUnit.valid_to)
        .where(
            in_tenant(OrgUnit),
            OrgUnit.parent.is_in([p.id for p in parents] or [0]),
            OrgUnit.kind.is_in(list(CELL_KINDS)),
        )
        .order_by(OrgUnit.code)
    )
    return [r["code"] for r in rows if in_force_on(r, on)]


def periods_between(package: RulesPackage, start: dt.date, end: dt.date) -> list[Period]:
    """The calendar's periods that open on or after ``start`` and close before ``end``."""
    calendar = package.calendar
    if calendar is None:
        return []
    return [
        period
        for year in range(start.year, end.year + 1)
        for period in calendar.periods(year)
        if period.opens >= start and period.deadline < end
    ]


async def _walk_closed_periods(
    tenant_id: int, script: TreeScript, periods: list[Period], report: HistoryReport
) -> None:
    access = await history_access(tenant_id, script.actor)
    for period in periods:
        walker = Walker(access, period)
        cells = await _cells_under(script.committees, period.opens)
        await walker.up_to_the_top([*cells, *script.cells])
        await walker.backdate()
        report.periods.append(period.code)
        report.lists += len(walker.created)


async def _plan_and_admissions(
    tenant_id: int, unit_code: str, year: int, until: dt.date, admitted: int
) -> None:
    """An admission plan of ``unit_code`` for ``year`` and up to ``admitted`` candidates of
    its subtree near admission admitted over the year's quarters up to ``until``."""
    unit = await unit_by_code(unit_code)
    if unit is None:
        raise LookupError(f"the demo tree has no unit {unit_code!r}")
    await AdmissionPlan(
        tenant_id=tenant_id,
        unit=unit.id,
        unit_path=unit.path,
        year=year,
        target_year=40,
        target_q1=8,
        target_q2=10,
        target_q3=10,
        target_q4=12,
    ).save()
    days = [d for d in (dt.date(year, m, 10) for m in (1, 4, 7, 10)) if d <= until]
    if not days:
        return
    rows = await (
        Candidate.select(Candidate.id, Candidate.stage)
        .where(
            in_tenant(Candidate),
            Candidate.unit_path.like(f"{unit.path}%"),
            Candidate.stage.is_in(list(NEAR_ADMISSION)),
        )
        .order_by(Candidate.id)
        .limit(admitted)
    )
    ids = [row["id"] for row in rows]
    stages = {row["id"]: row["stage"] for row in rows}
    await Candidate.update({Candidate.stage: "admitted"}).where(
        in_tenant(Candidate), Candidate.id.is_in(ids or [0])
    )
    for index, candidate_id in enumerate(ids):
        await StageChange(
            tenant_id=tenant_id,
            candidate=candidate_id,
            from_stage=stages[candidate_id],
            to_stage="admitted",
            changed_on=days[index % len(days)],
            actor="demo",
        ).save()


async def add_old_tree_history(
    tenant_id: int, script: TreeScript, before: dt.date
) -> HistoryReport:
    """A pre-merger province's history: every period closed before ``before``, a plan and
    admissions for the year before it. One transaction, as the database owner."""
    report = HistoryReport()
    with tenant_context(None):
        async with pipeline_transaction():
            await switch_tenant_in_transaction(tenant_id)
            package = await tenant_package()
            first = dt.date(package.calendar.spec.first_year, 1, 1) if package.calendar else before
            periods = periods_between(package, first, before)
            await _walk_closed_periods(tenant_id, script, periods, report)
            year = before.year - 1
            await _plan_and_admissions(
                tenant_id, script.plan_unit, year, dt.date(year, 12, 31), admitted=12
            )
    return report


async def add_new_tree_history(
    tenant_id: int, script: TreeScript, since: dt.date, today: dt.date
) -> HistoryReport:
    """The merged province's history from ``since`` to ``today``: closed periods walked to
    the top, the current period half-done (see :func:`_current_period`)."""
    report = HistoryReport()
    with tenant_context(None):
        async with pipeline_transaction():
            await switch_tenant_in_transaction(tenant_id)
            package = await tenant_package()
            periods = periods_between(package, since, today)
            await _walk_closed_periods(tenant_id, script, periods, report)
            current = package.calendar.period_for(today) if package.calendar else None
            if current is not None and current.opens >= since:
                access = await history_access(tenant_id, script.actor)
                walker = Walker(access, current)
                await _current_period(walker)
                report.periods.append(current.code)
                report.lists += len(walker.created)
            await _plan_and_admissions(tenant_id, script.plan_unit, today.year, today, 25)
    return report


async def _current_period(walker: Walker) -> None:
    """Today's period, under way: lists waiting in the inbox of every demo role.

    - Như Quỳnh (the demo commune): the demo cell has no list yet; two cells' lists are
      accepted, two wait in its inbox, one cell has a draft; the commune has not made its
      own list (made now, it gathers the people of the lists it accepted).
    - Phố Hiến and Thái Bình wards: their cells' lists accepted, the committees' lists
      waiting at the organisation board.
    - Police: the Criminal Police committee's list and the staff cell's list waiting at
      the Police committee; Thái Bình's old Traffic Police committee's list too.
    """
    on = walker.period.opens
    cells = await _cells_under([DEMO_COMMUNE], on)
    others = [code for code in cells if code != DEMO_CELL]
    accepted, waiting, drafted = others[:2], others[2:4], others[4:5]
    for code in accepted:
        await walker.accept(await walker.send(code))
    for code in waiting:
        await walker.send(code)
    for code in drafted:
        await walker.draft(code)
    for committee in ("hy.p.phohien", "hy.p.tb-thaibinh", "hy.ca.pc02", "hy.ca.tb-pc08"):
        for code in await _cells_under([committee], on):
            await walker.accept(await walker.send(code))
        await walker.send(committee)
    await walker.send("hy.ca.px01")
