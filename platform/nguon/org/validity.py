"""When a unit exists: ``valid_from`` is its first day, ``valid_to`` the first day it no
longer does (a restructuring closes a unit on the day its successor opens)."""

from __future__ import annotations

import datetime as dt
from typing import Any

ONE_DAY = dt.timedelta(days=1)


def _bounds(unit: Any) -> tuple[dt.date, dt.date | None]:
    if isinstance(unit, dict):
        return unit["valid_from"], unit["valid_to"]
    return unit.valid_from, unit.valid_to


def in_force_during(unit: Any, first: dt.date, last: dt.date) -> bool:
    """Whether the unit (a row or a struct) existed on some day from ``first`` to ``last``."""
    valid_from, valid_to = _bounds(unit)
    return valid_from <= last and (valid_to is None or valid_to > first)


def in_force_on(unit: Any, day: dt.date) -> bool:
    return in_force_during(unit, day, day)


def closed_by(unit: Any, day: dt.date) -> bool:
    """Whether the unit had ended by ``day`` (a restructuring closed it on or before it)."""
    _, valid_to = _bounds(unit)
    return valid_to is not None and valid_to <= day


def last_day(unit: Any) -> dt.date | None:
    """The unit's last day, or None while it goes on."""
    _, valid_to = _bounds(unit)
    return None if valid_to is None else valid_to - ONE_DAY
