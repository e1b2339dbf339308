"""A subtree's dashboard figures in few queries: the database counts, Python only adds up.

Gives what ``nguon.portal.progress`` gives (the same structures, the same numbers) with
six queries instead of nine and without fetching one row per candidate created in the
year: the subtree's units once (not once per period), quarters counted by the database,
both periods' lists in one query.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

import msgspec
from piccolo.query.functions.aggregate import Count

from nguon.db.binding import current_engine
from nguon.db.engine import is_postgres
from nguon.org.validity import in_force_during
from nguon.people.tables import Candidate
from nguon.pipeline.tables import AdmissionPlan, CandidateList
from nguon.portal.progress import (
    DONE_STATES,
    STAGES,
    LateUnit,
    PeriodStatus,
    QuarterRow,
    expected_listers,
    subtree_units,
)
from nguon.rules.review_calendar import Period
from nguon.tenancy.context import require_tenant
from nguon.tenancy.package import tenant_package
from nguon.tenancy.scoped import in_tenant


class DashboardFigures(msgspec.Struct):
    units: list[dict[str, Any]]
    """The subtree's units ordered by path (the unit itself first)."""
    counts: dict[int, Counter[str]]
    """Candidates by unit id and stage."""
    quarter_rows: list[QuarterRow]
    statuses: list[PeriodStatus]
    """One per period asked for, in that order."""


def _quarter_sql(column: str) -> str:
    if is_postgres(current_engine()):
        return f"EXTRACT(QUARTER FROM {column})::int"
    return f"(CAST(strftime('%m', {column}) AS INTEGER) + 2) / 3"


async def _added_by_quarter(path: str, year: int) -> Counter[int]:
    quarter = _quarter_sql(
        "created_at AT TIME ZONE 'UTC'" if is_postgres(current_engine()) else "created_at"
    )
    rows = await Candidate.raw(
        f"SELECT {quarter} AS quarter, COUNT(*) AS n FROM candidate "
        "WHERE tenant_id = {} AND unit_path LIKE {} AND created_at >= {} AND created_at < {} "
        "GROUP BY 1",
        require_tenant(),
        f"{path}%",
        dt.datetime(year, 1, 1, tzinfo=dt.UTC),
        dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC),
    ).run()
    return Counter({int(row["quarter"]): int(row["n"]) for row in rows})


async def _stage_changes_by_quarter(path: str, year: int) -> dict[int, Counter[str]]:
    tenant_id = require_tenant()
    rows = await Candidate.raw(
        f"SELECT {_quarter_sql('sc.changed_on')} AS quarter, sc.to_stage, COUNT(*) AS n "
        "FROM stage_change AS sc JOIN candidate AS c ON c.id = sc.candidate "
        "WHERE sc.tenant_id = {} AND c.tenant_id = {} AND c.unit_path LIKE {} "
        "AND sc.changed_on >= {} AND sc.changed_on <= {} GROUP BY 1, 2",
        tenant_id,
        tenant_id,
        f"{path}%",
        dt.date(year, 1, 1),
        dt.date(year, 12, 31),
    ).run()
    by_quarter: dict[int, Counter[str]] = defaultdict(Counter)
    for row in rows:
        by_quarter[int(row["quarter"])][row["to_stage"]] += int(row["n"])
    return by_quarter


def _plan_targets(plans: list[dict[str, Any]], unit_id: int) -> list[int] | None:
    """Quarter targets: the unit's own plan, else the sum of the highest plans below it."""
    if not plans:
        return None
    chosen = [p for p in plans if p["unit"] == unit_id] or [
        p
        for p in plans
        if not any(o is not p and p["unit_path"].startswith(o["unit_path"]) for o in plans)
    ]
    return [sum(p[f"target_q{q}"] for p in chosen) for q in range(1, 5)]


async def _stage_counts(path: str) -> dict[int, Counter[str]]:
    rows = await (
        Candidate.select(Candidate.unit, Candidate.stage, Count(Candidate.id, alias="n"))
        .where(in_tenant(Candidate), Candidate.unit_path.like(f"{path}%"))
        .group_by(Candidate.unit, Candidate.stage)
        .run()
    )
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for row in rows:
        counts[row["unit"]][row["stage"]] += row["n"]
    return counts


async def _quarter_rows(path: str, year: int, unit_id: int) -> list[QuarterRow]:
    changes = await _stage_changes_by_quarter(path, year)
    added = await _added_by_quarter(path, year)
    plans = await (
        AdmissionPlan.select()
        .where(
            in_tenant(AdmissionPlan),
            AdmissionPlan.unit_path.like(f"{path}%"),
            AdmissionPlan.year == year,
        )
        .run()
    )
    targets = _plan_targets(plans, unit_id)
    rows: list[QuarterRow] = []
    for quarter in range(1, 5):
        stages = changes.get(quarter, Counter())
        rows.append(
            QuarterRow(
                quarter=quarter,
                added=added.get(quarter, 0),
                by_stage={s: stages.get(s, 0) for s in STAGES},
                admitted=stages.get("admitted", 0),
                target=None if targets is None else targets[quarter - 1],
            )
        )
    return rows


async def _statuses(
    path: str, units: list[dict[str, Any]], periods: list[Period]
) -> list[PeriodStatus]:
    if not periods:
        return []
    holding_kinds = (await tenant_package()).people_holding_kinds
    lists = await (
        CandidateList.select(CandidateList.unit, CandidateList.state, CandidateList.period_code)
        .where(
            in_tenant(CandidateList),
            CandidateList.unit_path.like(f"{path}%"),
            CandidateList.period_code.is_in([p.code for p in periods]),
        )
        .run()
    )
    statuses: list[PeriodStatus] = []
    for period in periods:
        holding = expected_listers(units, holding_kinds, period)
        state_of: dict[int, str] = {}
        for row in lists:
            if row["period_code"] != period.code:
                continue
            if row["state"] in DONE_STATES or row["unit"] not in state_of:
                state_of[row["unit"]] = row["state"]
        missing = [
            LateUnit(unit_id=u["id"], name=u["name"], state=state_of.get(u["id"], "none"))
            for u in holding
            if state_of.get(u["id"]) not in DONE_STATES
        ]
        statuses.append(
            PeriodStatus(
                period=period,
                expected=len(holding),
                submitted=len(holding) - len(missing),
                missing=missing,
            )
        )
    return statuses


async def dashboard_figures(
    path: str, unit_id: int, year: int, periods: list[Period]
) -> DashboardFigures:
    """Everything the dashboard of the unit at ``path`` shows for ``year`` and ``periods``:
    the units that existed in ``year`` (a restructuring year shows both trees)."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    units = [
        u
        for u in await subtree_units(path)
        if u["id"] == unit_id or in_force_during(u, first, last)
    ]
    return DashboardFigures(
        units=units,
        counts=await _stage_counts(path),
        quarter_rows=await _quarter_rows(path, year, unit_id),
        statuses=await _statuses(path, units, periods),
    )
