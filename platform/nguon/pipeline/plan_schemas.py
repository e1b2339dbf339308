"""Request and response bodies for admission plans (kế hoạch kết nạp) and progress."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

Target = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]


class TargetsIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Admissions aimed at in the year and in each quarter; the quarters add up to the year."""

    year: Target
    q1: Target
    q2: Target
    q3: Target
    q4: Target


class PlanIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The targets, in the shape the plan is read in.
    ``version``: the plan's version read, or 0 to create it."""

    version: int = 0
    targets: TargetsIn


class Targets(msgspec.Struct, kw_only=True):
    year: int
    q1: int
    q2: int
    q3: int
    q4: int


class PlanOut(msgspec.Struct, kw_only=True):
    id: int
    unit_id: int
    year: int
    targets: Targets
    version: int


class QuarterCounts(msgspec.Struct, kw_only=True):
    year: int = 0
    q1: int = 0
    q2: int = 0
    q3: int = 0
    q4: int = 0


class UnitProgress(msgspec.Struct, kw_only=True):
    unit_id: int
    unit_name: str
    kind: str
    targets: Targets | None
    admitted: QuarterCounts
    """Admitted in each quarter (the ``admitted`` figure)."""
    proposed: QuarterCounts
    """Proposed for admission for the first time in the year (the ``proposed`` figure)."""
    in_progress: int = 0
    """In the admission procedure on the figures' day (``admission_in_progress``)."""
    removed: QuarterCounts = msgspec.field(default_factory=QuarterCounts)
    """Removed from the source in each quarter (the ``removed`` figure)."""
    expected_so_far: int
    behind_schedule: bool


class PlanProgress(msgspec.Struct, kw_only=True):
    year: int
    as_of: dt.date
    unit: UnitProgress
    sub_units_targets: Targets
    sub_units_targets_match: bool
    sub_units: list[UnitProgress]
