"""A unit's figures as the API shows them: the dashboard's numbers, each with its definition."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from nguon.pipeline.schemas import PeriodOut, Step

PipelineStage = Literal[
    "surveyed", "course_nominee", "certified", "admission_source", "admission_in_progress"
]


class DefinitionOut(msgspec.Struct, kw_only=True):
    key: str
    label: str
    """The figure's Vietnamese label, as the dashboard prints it."""
    definition: str
    """What the figure counts, in one Vietnamese sentence (the dashboard's legend)."""


class StageCount(msgspec.Struct, kw_only=True):
    stage: PipelineStage
    count: int


class QuarterFigures(msgspec.Struct, kw_only=True):
    quarter: int
    added: int
    certificates: int
    proposed: int
    admitted: int
    removed: int
    target: int | None
    """The admission target of the quarter (the unit's plan, or its sub-units' plans)."""


class StepCount(msgspec.Struct, kw_only=True):
    step: Step
    count: int


class LateUnitOut(msgspec.Struct, kw_only=True):
    unit_id: int
    unit_name: str
    parent_name: str
    state: str
    """The state of its latest list of the period (``none`` when it has none)."""


class PeriodFigures(msgspec.Struct, kw_only=True):
    period: PeriodOut
    on_list: list[StepCount]
    expected_lists: int
    submitted_lists: int
    late: bool
    """The deadline is past and some units still owe their list."""
    missing: list[LateUnitOut]
    """The units that owe the period's list and have not submitted it."""


class SubUnitFigures(msgspec.Struct, kw_only=True):
    unit_id: int | None
    """None for the row of the people held by the unit itself."""
    label: str
    in_source: int
    by_stage: list[StageCount]
    admitted: int


class UnitFiguresOut(msgspec.Struct, kw_only=True):
    unit_id: int
    unit_name: str
    year: int
    as_of: dt.date
    """The day the figures stand on: the year's last day once over, today while it runs, a
    closed unit's last day."""
    in_source: int
    by_stage: list[StageCount]
    with_helper: int
    in_course: int
    year_totals: QuarterFigures
    """The year's figures of what happened (``quarter`` is 0), against the year's target."""
    quarters: list[QuarterFigures]
    periods: list[PeriodFigures]
    """The review periods of the year opened by the figures' day, latest first."""
    sub_units: list[SubUnitFigures]
    """One row per sub-unit of the year (and the unit's own people): they add up."""
    definitions: list[DefinitionOut]
