"""The admission road's deadlines, counted from the package's data.

The competent committee decides within ``admission_decision_working_days`` working days
after the cell's resolution (plus one extension of at most
``admission_extension_max_working_days``); probation lasts ``probation_months`` from the
admission decision; the recognition review is due ``recognition_review_working_days``
working days after probation ends. Every number is a dated parameter and every day off a
line of the package's holidays files, so next year's guidance changes data only.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import msgspec

from nguon.rules.facts import RoadDates, add_months, full_months_between
from nguon.rules.package import RulesPackage
from nguon.rules.working_days import WorkingCalendar, YearNotCovered

Step = Literal["admission_decision", "probation_end", "recognition"]
Status = Literal["open", "due_soon", "late", "done", "done_late", "uncounted"]
STEPS: tuple[str, ...] = ("admission_decision", "probation_end", "recognition")
STEP_CLAUSES: dict[str, str] = {
    "admission_decision": "road.decision.deadline",
    "probation_end": "dieu-le.5.probation",
    "recognition": "dieu-le.5.recognition",
}
STEP_LABELS: dict[str, str] = {
    "admission_decision": "Quyết định kết nạp",
    "probation_end": "Hết thời gian dự bị",
    "recognition": "Xét công nhận đảng viên chính thức",
}
STATUS_LABELS: dict[str, str] = {
    "open": "còn hạn",
    "due_soon": "sắp đến hạn",
    "late": "quá hạn",
    "done": "đã làm đúng hạn",
    "done_late": "đã làm nhưng quá hạn",
    "uncounted": "chưa tính được hạn",
}


class Deadline(msgspec.Struct, kw_only=True, frozen=True):
    step: str
    label: str
    due: date | None  # None: the count reaches a year without a holidays file
    status: str
    clause_id: str
    working_days_left: int  # negative when late; 0 when done
    note: str = ""


def _calendar(package: RulesPackage) -> WorkingCalendar:
    if package.working_calendar is None:
        raise YearNotCovered(None)
    return package.working_calendar


def admission_decision_due(package: RulesPackage, road: RoadDates) -> date | None:
    if road.cell_resolution is None:
        return None
    days = int(package.parameter("admission_decision_working_days", road.cell_resolution))
    return _calendar(package).add_working_days(
        road.cell_resolution, days + max(road.extension_working_days, 0)
    )


def probation_end(package: RulesPackage, road: RoadDates) -> date | None:
    if road.admission_decision is None:
        return None
    months = int(package.parameter("probation_months", road.admission_decision))
    return add_months(road.admission_decision, months)


def recognition_due(package: RulesPackage, road: RoadDates) -> date | None:
    ends = probation_end(package, road)
    if ends is None:
        return None
    days = int(package.parameter("recognition_review_working_days", ends))
    return _calendar(package).add_working_days(ends, days)


def _status(package: RulesPackage, due: date, done: date | None, on: date) -> tuple[str, int]:
    calendar = _calendar(package)
    if done is not None:
        return ("done" if done <= due else "done_late"), 0
    if on > due:
        return "late", -calendar.working_days_between(due, on)
    left = calendar.working_days_between(on, due)
    soon = int(package.parameter("due_soon_working_days", on))
    return ("due_soon" if left <= soon else "open"), left


def _due(
    compute, package: RulesPackage, road: RoadDates
) -> tuple[date | None, YearNotCovered | None]:
    """(the due date, None) or (None, the missing holidays file)."""
    try:
        return compute(package, road), None
    except YearNotCovered as missing:
        return None, missing


def road_deadlines(package: RulesPackage, road: RoadDates, on: date) -> list[Deadline]:
    """Each deadline of the road so far, with its status on ``on``. A deadline whose count
    reaches a year the package has no holidays file for is "uncounted", saying which."""
    found: list[Deadline] = []
    steps = [
        (
            "admission_decision",
            admission_decision_due,
            road.cell_resolution,
            road.admission_decision,
        ),
        ("probation_end", probation_end, road.admission_decision, None),
        ("recognition", recognition_due, road.admission_decision, road.recognition_decision),
    ]
    for step, compute, started, done in steps:
        if started is None:
            continue
        due, missing = _due(compute, package, road)
        note = ""
        if due is None:
            status, left = "uncounted", 0
            note = missing.note if missing is not None else ""
        elif step == "probation_end":
            status, left = ("done" if on >= due else "open"), 0
        else:
            try:
                status, left = _status(package, due, done, on)
            except YearNotCovered as gap:
                status, left = "uncounted", 0
                note = gap.note
        found.append(
            Deadline(
                step=step,
                label=STEP_LABELS[step],
                due=due,
                status=status,
                clause_id=STEP_CLAUSES[step],
                working_days_left=left,
                note=note,
            )
        )
    return found


def road_engine_facts(package: RulesPackage, road: RoadDates, on: date) -> dict[str, int]:
    """The road as flat engine facts on ``on`` (working days are counted here, so that
    rules only compare numbers with parameters)."""
    calendar = _calendar(package) if package.working_calendar else None
    decision_due = admission_decision_due(package, road) if calendar else None
    decided = road.admission_decision
    if decision_due is None or calendar is None:
        decision_late = 0
    else:
        at = decided or on
        decision_late = calendar.working_days_between(decision_due, at) if at > decision_due else 0
    recognition_at = road.recognition_decision or on
    due = recognition_due(package, road) if calendar else None
    recognition_late = (
        calendar.working_days_between(due, recognition_at)
        if calendar and due and recognition_at > due
        else 0
    )
    return {
        "cell_resolution_recorded": int(road.cell_resolution is not None),
        "grassroots_resolution_recorded": int(road.grassroots_resolution is not None),
        "extensions": road.extensions,
        "extension_working_days": road.extension_working_days,
        "decision_working_days_late": decision_late,
        "admission_decision_recorded": int(decided is not None),
        "probation_months_elapsed": (
            full_months_between(decided, recognition_at) if decided is not None else -1
        ),
        "recognition_working_days_late": recognition_late,
    }
