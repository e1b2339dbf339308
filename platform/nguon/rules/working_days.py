"""Working days of Party and State bodies, from the package's dated holidays files.

``holidays/workweek.toml`` names the weekend; ``holidays/YYYY.toml`` lists one year's
days off (public holidays, Tết by the lunar calendar, compensatory and bridge days) and
the weekend days made working by a swap, each year citing its source. Counting never
guesses: a day in a year without a file is an error naming the year.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import msgspec

from nguon.rules.errors import RulesError

HOLIDAYS_DIR = "holidays"
WORKWEEK = "workweek.toml"
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)


class Workweek(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    weekend: list[Weekday]
    source: str
    confidence: Literal["H", "M", "L"] = "M"


class DayOff(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    name: str
    on: date | None = msgspec.field(default=None, name="date")
    start: date | None = msgspec.field(default=None, name="from")
    end: date | None = msgspec.field(default=None, name="to")
    kind: Literal["holiday", "compensatory", "bridge"] = "holiday"

    def days(self) -> list[date]:
        if self.on is not None:
            return [self.on]
        assert self.start is not None and self.end is not None
        return [self.start + timedelta(n) for n in range((self.end - self.start).days + 1)]


class WorkingDay(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    on: date = msgspec.field(name="date")
    name: str


class HolidayYear(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    year: int
    source: str
    confidence: Literal["H", "M", "L"]
    day_off: list[DayOff] = []
    working_day: list[WorkingDay] = []


class YearNotCovered(RulesError):
    """A working-day count reached a year the package has no holidays file for."""

    def __init__(self, year: int | None) -> None:
        self.year = year
        """None: the package has no holidays file at all."""
        super().__init__(
            f"no holidays file for {year}: add holidays/{year}.toml to the rules package"
            if year is not None
            else "no holidays files: add holidays/YEAR.toml to the rules package"
        )

    @property
    def note(self) -> str:
        """What a deadline left uncounted says, in Vietnamese."""
        if self.year is None:
            return "Gói quy tắc chưa có lịch nghỉ lễ, Tết nào (thư mục holidays)"
        return f"Chưa có lịch nghỉ lễ, Tết năm {self.year} trong gói quy tắc"


@dataclass(frozen=True)
class WorkingCalendar:
    weekend: frozenset[int]  # date.weekday() numbers
    days_off: dict[date, str]
    working_weekend_days: dict[date, str]
    years: dict[int, HolidayYear] = field(default_factory=dict)
    workweek_source: str = ""

    def is_working_day(self, day: date) -> bool:
        if day.year not in self.years:
            raise YearNotCovered(day.year)
        if day in self.working_weekend_days:
            return True
        return day.weekday() not in self.weekend and day not in self.days_off

    def add_working_days(self, start: date, count: int) -> date:
        """The ``count``-th working day after ``start`` (``start`` itself is not counted:
        a resolution passed on a day starts the count on the next working day)."""
        if count < 0:
            raise ValueError("count must not be negative")
        day = start
        while count:
            day += timedelta(1)
            if self.is_working_day(day):
                count -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
        count = 0
        day = start
        while day < end:
            day += timedelta(1)
            count += self.is_working_day(day)
        return count

    def source_for(self, year: int) -> str:
        if year not in self.years:
            raise YearNotCovered(year)
        return self.years[year].source


def _read(path: Path, kind: type[msgspec.Struct], problems: list[str]) -> msgspec.Struct | None:
    try:
        return msgspec.convert(tomllib.loads(path.read_text(encoding="utf-8")), kind)
    except (tomllib.TOMLDecodeError, msgspec.ValidationError) as error:
        problems.append(f"{HOLIDAYS_DIR}/{path.name}: {error}")
        return None


def load_working_calendar(
    folder: Path, base: WorkingCalendar | None, problems: list[str]
) -> WorkingCalendar | None:
    """The package's calendar: its own files over its baseline's (a province may add a
    local day off or replace a whole year). Problems are appended as "file: message"."""
    directory = folder / HOLIDAYS_DIR
    if not directory.is_dir():
        return base
    weekend = base.weekend if base else frozenset({5, 6})
    workweek_source = base.workweek_source if base else ""
    if (directory / WORKWEEK).exists():
        spec = _read(directory / WORKWEEK, Workweek, problems)
        if isinstance(spec, Workweek):
            weekend = frozenset(WEEKDAYS.index(name) for name in spec.weekend)
            workweek_source = spec.source
    years = dict(base.years) if base else {}
    for path in sorted(directory.glob("[0-9][0-9][0-9][0-9].toml")):
        spec = _read(path, HolidayYear, problems)
        if not isinstance(spec, HolidayYear):
            continue
        where = f"{HOLIDAYS_DIR}/{path.name}"
        if str(spec.year) != path.stem:
            problems.append(f"{where}: year = {spec.year} but the file is named {path.name}")
            continue
        for entry in spec.day_off:
            if (entry.on is None) == (entry.start is None and entry.end is None):
                problems.append(f"{where}: day off '{entry.name}': give 'date' or 'from' and 'to'")
                continue
            if entry.on is None and (entry.start is None or entry.end is None):
                problems.append(f"{where}: day off '{entry.name}': give both 'from' and 'to'")
                continue
            days = entry.days()
            if not days or any(day.year != spec.year for day in days):
                problems.append(f"{where}: day off '{entry.name}' is not within {spec.year}")
        for entry in spec.working_day:
            if entry.on.year != spec.year:
                problems.append(f"{where}: working day '{entry.name}' is not within {spec.year}")
            elif entry.on.weekday() not in weekend:
                problems.append(
                    f"{where}: working day '{entry.name}' ({entry.on}) is not a weekend day"
                )
        years[spec.year] = spec
    days_off: dict[date, str] = {}
    working: dict[date, str] = {}
    for spec in years.values():
        for entry in spec.day_off:
            if entry.on is not None or (entry.start and entry.end):
                days_off.update(dict.fromkeys(entry.days(), entry.name))
        working.update({entry.on: entry.name for entry in spec.working_day})
    return WorkingCalendar(
        weekend=weekend,
        days_off=days_off,
        working_weekend_days=working,
        years=years,
        workweek_source=workweek_source,
    )
