"""Dates are typed and read day first (ngày/tháng/năm), whatever the browser's language."""

from __future__ import annotations

import datetime as dt

import pytest

from nguon.portal.dates import day_of, invalid_message, parse_date, when
from nguon.portal.forms import date_field


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("05/09/2026", dt.date(2026, 9, 5)),
        ("5/9/2026", dt.date(2026, 9, 5)),
        ("12/02/2026", dt.date(2026, 2, 12)),
        ("31.12.2026", dt.date(2026, 12, 31)),
        ("01-06-2026", dt.date(2026, 6, 1)),
        (" 2026-09-05 ", dt.date(2026, 9, 5)),
    ],
)
def test_a_date_is_read_day_first(typed: str, day: dt.date) -> None:
    assert parse_date(typed) == day


@pytest.mark.parametrize(
    "typed", ["12/31/2026", "31/02/2026", "2026/09/05", "5 tháng 9", "05/09/26"]
)
def test_a_date_that_is_not_day_month_year_is_refused_naming_the_field(typed: str) -> None:
    errors: dict[str, str] = {}
    assert (
        date_field(
            {"resolution.adopted_on": typed}, "resolution.adopted_on", errors, "ngày thông qua"
        )
        is None
    )
    assert errors["resolution.adopted_on"] == invalid_message("ngày thông qua")
    assert errors["resolution.adopted_on"].startswith("Ngày thông qua không đúng")
    assert "ngày/tháng/năm" in errors["resolution.adopted_on"]


def test_a_moment_is_shown_on_the_clock_of_vietnam() -> None:
    late_evening = dt.datetime(2026, 12, 31, 17, 30, tzinfo=dt.UTC)
    assert when(late_evening) == "01/01/2027 00:30"
    assert day_of(late_evening) == dt.date(2027, 1, 1)
    assert when(dt.datetime(2026, 12, 2, 10, 57)) == "02/12/2026 17:57"  # naive: UTC
