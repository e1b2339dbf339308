"""The review calendar: an annual survey for the next year and quarterly supplements."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

import msgspec

from nguon.rules.manifest import CalendarSpec


class Period(msgspec.Struct, kw_only=True, frozen=True):
    code: str  # "2025-Q1", "2024-annual"
    opens: date
    deadline: date
    kind: Literal["survey", "supplement"]
    for_year: int  # the year whose course the list prepares
    first_review: bool = False
    clause: str | None = None


def _quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    opens = date(year, 3 * quarter - 2, 1)
    following = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return opens, following - timedelta(days=1)


class ReviewCalendar:
    def __init__(self, spec: CalendarSpec) -> None:
        self.spec = spec
        self._exceptions = {e.year: e for e in spec.exceptions}

    def periods(self, year: int) -> list[Period]:
        if year < self.spec.first_year:
            return []
        exception = self._exceptions.get(year)
        periods: list[Period] = []
        for quarter in range(1, 5):
            opens, deadline = _quarter_bounds(year, quarter)
            if quarter == self.spec.annual_survey_quarter:
                periods.append(
                    Period(
                        code=f"{year}-annual",
                        opens=opens,
                        deadline=deadline,
                        kind="survey",
                        for_year=year + 1,
                        clause=self.spec.clause,
                    )
                )
            elif exception is not None and quarter == exception.first_review_quarter:
                periods.append(
                    Period(
                        code=f"{year}-Q{quarter}",
                        opens=opens,
                        deadline=deadline,
                        kind="survey",
                        for_year=year,
                        first_review=True,
                        clause=exception.clause,
                    )
                )
            elif exception is not None and quarter < exception.first_review_quarter:
                continue
            elif quarter in self.spec.supplement_quarters:
                periods.append(
                    Period(
                        code=f"{year}-Q{quarter}",
                        opens=opens,
                        deadline=deadline,
                        kind="supplement",
                        for_year=year,
                        clause=self.spec.clause,
                    )
                )
        return periods

    def period_for(self, day: date) -> Period | None:
        for period in self.periods(day.year):
            if period.opens <= day <= period.deadline:
                return period
        return None

    def review_period_fact(self, day: date) -> str:
        period = self.period_for(day)
        if period is None:
            return "none"
        return "first_review" if period.first_review else period.kind
