"""The road's deadlines still open in a part of the tree, and who must act on each: one
computation for the home pages, the reminders and the dashboards.

The competent committee decides (the admission decision, with its extension) and the
cell considers the recognition that the committee then decides: the decision's deadline
is shown to approvers above the cell, the recognition's to both.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Iterable
from typing import Any

import msgspec

from nguon.pipeline.road import road_dates
from nguon.pipeline.road_tables import AdmissionStep
from nguon.rules.package import RulesPackage
from nguon.rules.road import STATUS_LABELS, road_deadlines
from nguon.tenancy.scoped import in_tenant

WATCHED = frozenset({"admission_decision", "recognition"})
OPEN = frozenset({"open", "due_soon", "late", "uncounted"})
STAGES = ("admission_in_progress", "admitted")


class OpenDeadline(msgspec.Struct, kw_only=True, frozen=True):
    candidate_id: int
    full_name: str
    unit_id: int
    unit_path: str
    step: str
    label: str
    due: dt.date | None
    status: str
    clause_id: str
    working_days_left: int
    note: str = ""

    @property
    def text(self) -> str:
        """The deadline in a Vietnamese sentence, with its clause."""
        if self.due is None:
            when = self.note
        elif self.status == "late":
            when = f"hạn {self.due:%d/%m/%Y}, đã quá {-self.working_days_left} ngày làm việc"
        else:
            when = f"hạn {self.due:%d/%m/%Y}, còn {self.working_days_left} ngày làm việc"
        return f"{self.label} cho {self.full_name}: {when} [{self.clause_id}]"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


async def open_deadlines(
    package: RulesPackage, prefixes: Iterable[str], today: dt.date
) -> list[OpenDeadline]:
    """The admission decisions and recognitions not yet recorded for the candidates whose
    unit path starts with one of ``prefixes``, the latest first."""
    prefixes = list(prefixes)
    if not prefixes:
        return []
    rows = await (
        AdmissionStep.select(
            AdmissionStep.candidate,
            AdmissionStep.step,
            AdmissionStep.taken_on,
            AdmissionStep.working_days,
            AdmissionStep.candidate.full_name,
            AdmissionStep.candidate.unit,
            AdmissionStep.candidate.unit_path,
            AdmissionStep.candidate.stage,
        )
        .where(
            in_tenant(AdmissionStep),
            AdmissionStep.candidate.stage.is_in(list(STAGES)),
            functools.reduce(
                operator.or_,
                [AdmissionStep.candidate.unit_path.like(f"{prefix}%") for prefix in prefixes],
            ),
        )
        .run()
    )
    by_candidate: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        if any(row["candidate.unit_path"].startswith(p) for p in prefixes):
            by_candidate.setdefault(row["candidate"], []).append(row)
    found: list[OpenDeadline] = []
    for candidate_id, steps in by_candidate.items():
        first = steps[0]
        for deadline in road_deadlines(package, road_dates(steps), today):
            if deadline.step not in WATCHED or deadline.status not in OPEN:
                continue
            found.append(
                OpenDeadline(
                    candidate_id=candidate_id,
                    full_name=first["candidate.full_name"],
                    unit_id=first["candidate.unit"],
                    unit_path=first["candidate.unit_path"],
                    step=deadline.step,
                    label=deadline.label,
                    due=deadline.due,
                    status=deadline.status,
                    clause_id=deadline.clause_id,
                    working_days_left=deadline.working_days_left,
                    note=deadline.note,
                )
            )
    order = {"late": 0, "due_soon": 1, "uncounted": 2, "open": 3}
    return sorted(found, key=lambda d: (order[d.status], d.due or dt.date.max))


def counts(deadlines: Iterable[OpenDeadline]) -> dict[str, int]:
    """How many are late and how many due soon: the dashboard's two figures."""
    items = list(deadlines)
    return {
        "road_late": sum(d.status == "late" for d in items),
        "road_due_soon": sum(d.status == "due_soon" for d in items),
    }
