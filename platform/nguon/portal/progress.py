"""Which review periods a page shows, and where a subtree stands on its lists: the figures
themselves come from ``nguon.reports.figures``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from nguon.clock import today_in_vietnam
from nguon.org.tables import OrgUnit
from nguon.reports.figures import DONE_STATES, LateUnit, PeriodStatus, submission_status
from nguon.rules.registry import load_package
from nguon.rules.review_calendar import Period
from nguon.tenancy.scoped import in_tenant

__all__ = [
    "DONE_STATES",
    "LateUnit",
    "PeriodStatus",
    "current_and_previous",
    "period_status",
    "subtree_units",
]


async def subtree_units(path: str) -> list[dict[str, Any]]:
    return await (
        OrgUnit.select()
        .where(in_tenant(OrgUnit), OrgUnit.path.like(f"{path}%"))
        .order_by(OrgUnit.path)
        .run()
    )


async def period_status(path: str, period: Period, today: dt.date | None = None) -> PeriodStatus:
    """Which units holding people in the subtree have submitted a list for ``period``."""
    return await submission_status(path, period, today or today_in_vietnam())


def current_and_previous(package_id: str, on: dt.date) -> tuple[Period | None, Period | None]:
    calendar = load_package(package_id).calendar
    if calendar is None:
        return None, None
    current = calendar.period_for(on)
    earlier = [
        p for year in (on.year - 1, on.year) for p in calendar.periods(year) if p.deadline < on
    ]
    return current, (max(earlier, key=lambda p: p.deadline) if earlier else None)
