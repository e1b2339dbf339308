"""A unit's figures over the API: the dashboard's own computation (``reports.dashboard``),
so the API and the portal cannot disagree, with each figure's definition."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from nguon.accounts.permissions import Access
from nguon.clock import today_in_vietnam
from nguon.org.validity import last_day
from nguon.org.visibility import get_visible_unit
from nguon.pipeline.lists import periods_of_year
from nguon.pipeline.schemas import PeriodOut
from nguon.reports.dashboard import Row, dashboard
from nguon.reports.definitions import FLOWS, PIPELINE_STAGES, STEPS, legend
from nguon.reports.figures import PeriodStatus, UnitFigures, as_of_day
from nguon.reports.schemas import (
    DefinitionOut,
    LateUnitOut,
    PeriodFigures,
    QuarterFigures,
    StageCount,
    StepCount,
    SubUnitFigures,
    UnitFiguresOut,
)
from nguon.tenancy.package import tenant_package

Year = Annotated[
    int | None,
    QueryParameter(ge=2000, le=2100, description="The year (default: this year)"),
]
SHOWN = (
    *PIPELINE_STAGES,
    "in_source",
    "with_helper",
    "in_course",
    *FLOWS,
    "target",
    "on_list",
    "expected_lists",
    "submitted_lists",
    "late_lists",
)


def _by_stage(figures: UnitFigures) -> list[StageCount]:
    return [StageCount(stage=s, count=figures.by_stage[s]) for s in PIPELINE_STAGES]  # type: ignore[arg-type]


def _quarter(quarter: int, flows: dict[str, int], target: int | None) -> QuarterFigures:
    return QuarterFigures(quarter=quarter, target=target, **{f: flows[f] for f in FLOWS})


def _period(status: PeriodStatus, figures: UnitFigures) -> PeriodFigures:
    code = status.period.code
    return PeriodFigures(
        period=PeriodOut.of(status.period, status.today),
        on_list=[StepCount(step=s, count=figures.listed(code, s)) for s in STEPS],  # type: ignore[arg-type]
        expected_lists=status.expected,
        submitted_lists=status.submitted,
        late=status.late,
        missing=[
            LateUnitOut(
                unit_id=u.unit_id, unit_name=u.name, parent_name=u.parent_name, state=u.state
            )
            for u in status.missing
        ],
    )


def _sub_unit(row: Row) -> SubUnitFigures:
    return SubUnitFigures(
        unit_id=row.unit_id,
        label=row.label,
        in_source=row.figures.in_source,
        by_stage=_by_stage(row.figures),
        admitted=row.figures.year("admitted"),
    )


@get(
    "/units/{unit_id:int}/figures",
    summary="A unit's figures for a year and its review periods, as its dashboard shows them",
    tags=["figures"],
)
async def unit_figures(
    access: NamedDependency[Access], unit_id: FromPath[int], year: Year = None
) -> UnitFiguresOut:
    unit = await get_visible_unit(access, unit_id)
    today = today_in_vietnam()
    if year is None:
        year = min(today, last_day(unit) or today).year
    package = await tenant_package()
    as_of = as_of_day(year, today, unit)
    periods = [p for p in periods_of_year(package, year) if p.opens <= as_of]
    periods.sort(key=lambda p: p.opens, reverse=True)
    view = await dashboard(unit.id, unit.path, year, today, periods, package.blocs)
    total = view.total
    targets = view.figures.targets
    return UnitFiguresOut(
        unit_id=unit.id,
        unit_name=unit.name,
        year=year,
        as_of=view.figures.as_of,
        in_source=total.in_source,
        by_stage=_by_stage(total),
        with_helper=total.with_helper,
        in_course=total.in_course,
        year_totals=_quarter(
            0, {f: total.year(f) for f in FLOWS}, None if targets is None else sum(targets)
        ),
        quarters=[_quarter(q.quarter, q.flows, q.target) for q in view.quarters],
        periods=[_period(s, total) for s in view.figures.statuses],
        sub_units=[_sub_unit(row) for row in view.children],
        definitions=[
            DefinitionOut(key=d.key, label=d.label, definition=d.definition) for d in legend(*SHOWN)
        ],
    )


FIGURE_HANDLERS = [unit_figures]
