"""Working days from the national package's holidays files: Tết by the lunar calendar,
compensatory and bridge days, swapped Saturdays, and no guessing past the files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import holidays
import pytest

from nguon.rules.errors import PackageLoadError
from nguon.rules.facts import RoadDates
from nguon.rules.registry import load_package
from nguon.rules.road import road_deadlines
from nguon.rules.working_days import YearNotCovered

FIXTURES = Path(__file__).parent / "fixtures"
YEARS = range(2024, 2029)
HEAD = 'year = 2029\nsource = "x"\nconfidence = "M"\n'


def calendar():
    calendar = load_package("hungyen").working_calendar
    assert calendar is not None
    return calendar


@pytest.mark.parametrize("year", YEARS)
def test_weekday_days_off_match_an_independent_lunar_calendar(year: int) -> None:
    """Every weekday off in the file is a Vietnamese public holiday (or its observed /
    substituted day) in python-holidays, and the reverse: Tết moves with the moon."""
    ours = {day for day in calendar().days_off if day.year == year and day.weekday() < 5}
    theirs = {day for day in holidays.VN(years=year) if day.weekday() < 5}
    assert ours == theirs


def test_tet_2026_and_2027_are_not_working_days_and_swapped_saturdays_are() -> None:
    cal = calendar()
    assert not any(cal.is_working_day(dt.date(2026, 2, d)) for d in range(16, 21))
    assert cal.is_working_day(dt.date(2026, 2, 13)) and cal.is_working_day(dt.date(2026, 2, 23))
    assert not cal.is_working_day(dt.date(2027, 2, 4))
    assert cal.is_working_day(dt.date(2025, 4, 26))  # Saturday worked for Friday 2 May
    assert not cal.is_working_day(dt.date(2025, 5, 2))
    assert not cal.is_working_day(dt.date(2026, 2, 14))  # an ordinary Saturday


def test_sixty_working_days_across_tet() -> None:
    cal = calendar()
    assert cal.add_working_days(dt.date(2026, 2, 13), 60) == dt.date(2026, 5, 20)
    assert cal.add_working_days(dt.date(2027, 2, 3), 60) == dt.date(2027, 5, 10)
    assert cal.working_days_between(dt.date(2026, 2, 13), dt.date(2026, 2, 23)) == 1


def test_a_year_without_a_file_is_an_error_naming_it() -> None:
    with pytest.raises(YearNotCovered, match=r"holidays/2029\.toml"):
        calendar().add_working_days(dt.date(2028, 12, 1), 60)
    package = load_package("hungyen")
    late_road = RoadDates(cell_resolution=dt.date(2028, 12, 1))
    (deadline,) = road_deadlines(package, late_road, dt.date(2028, 12, 2))
    assert (deadline.due, deadline.status) == (None, "uncounted")
    assert deadline.note == "Chưa có lịch nghỉ lễ, Tết năm 2029 trong gói quy tắc"


def test_a_package_without_any_holidays_file_says_so_not_a_year() -> None:
    package = dataclasses.replace(load_package("hungyen"), working_calendar=None)
    road = RoadDates(cell_resolution=dt.date(2026, 3, 2))
    (deadline,) = road_deadlines(package, road, dt.date(2026, 3, 3))
    assert (deadline.due, deadline.status) == (None, "uncounted")
    assert deadline.note == "Gói quy tắc chưa có lịch nghỉ lễ, Tết nào (thư mục holidays)"
    with pytest.raises(YearNotCovered, match=r"^no holidays files: add holidays/YEAR\.toml"):
        raise YearNotCovered(None)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('year = 2030\nsource = "x"\nconfidence = "M"\n', "year = 2030 but the file is named"),
        (
            HEAD + '[[day_off]]\ndate = 2030-01-01\nname = "Tết"\n',
            "is not within 2029",
        ),
        (
            HEAD + '[[working_day]]\ndate = 2029-01-03\nname = "Bù"\n',
            "is not a weekend day",
        ),
        ('year = 2029\nconfidence = "M"\n', "source"),
        (
            HEAD + '[[day_off]]\nfrom = 2029-01-01\nname = "Tết"\n',
            "give both 'from' and 'to'",
        ),
    ],
)
def test_a_broken_holidays_file_is_refused_naming_it(
    tmp_path: Path, content: str, message: str
) -> None:
    folder = tmp_path / "pkg"
    shutil.copytree(FIXTURES / "good", folder)
    (folder / "holidays").mkdir()
    (folder / "holidays" / "2029.toml").write_text(content, encoding="utf-8")
    with pytest.raises(PackageLoadError) as refused:
        load_package(folder)
    assert "holidays/2029.toml" in str(refused.value)
    assert message in str(refused.value)


def test_a_province_adds_a_year_over_the_national_files(tmp_path: Path) -> None:
    folder = tmp_path / "pkg"
    shutil.copytree(FIXTURES / "good", folder)
    (folder / "holidays").mkdir()
    (folder / "holidays" / "2029.toml").write_text(
        'year = 2029\nsource = "thử"\nconfidence = "L"\n'
        '[[day_off]]\nfrom = 2029-02-12\nto = 2029-02-16\nname = "Tết Kỷ Dậu"\n',
        encoding="utf-8",
    )
    cal = load_package(folder).working_calendar
    assert cal is not None
    assert not cal.is_working_day(dt.date(2029, 2, 12))
    assert not cal.is_working_day(dt.date(2026, 2, 16))  # the national years are kept


def test_a_negative_count_of_working_days_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^count must not be negative$"):
        calendar().add_working_days(dt.date(2026, 2, 13), -1)
