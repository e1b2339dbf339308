"""Where a subtree stands: candidates by step, sub-unit, bloc and quarter, admissions
against plans, and which units have not submitted their list for a period."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

import msgspec

from nguon.org.tables import OrgUnit
from nguon.org.validity import in_force_during
from nguon.pipeline.tables import CandidateList
from nguon.rules.registry import load_package
from nguon.rules.review_calendar import Period
from nguon.tenancy.package import tenant_package
from nguon.tenancy.scoped import in_tenant

STAGES = (
    "surveyed",
    "course_nominee",
    "certified",
    "admission_source",
    "admission_in_progress",
    "admitted",
    "removed",
)
IN_PIPELINE = frozenset(STAGES) - {"admitted", "removed"}
DONE_STATES = frozenset({"submitted", "accepted"})


class GroupCounts(msgspec.Struct):
    key: str
    label: str
    by_stage: dict[str, int]

    @property
    def in_pipeline(self) -> int:
        return sum(n for stage, n in self.by_stage.items() if stage in IN_PIPELINE)

    @property
    def total(self) -> int:
        return sum(self.by_stage.values())


class QuarterRow(msgspec.Struct):
    quarter: int
    added: int
    by_stage: dict[str, int]
    admitted: int
    target: int | None


class LateUnit(msgspec.Struct):
    unit_id: int
    name: str
    state: str


class PeriodStatus(msgspec.Struct):
    period: Period
    expected: int
    submitted: int
    missing: list[LateUnit]

    @property
    def late(self) -> bool:
        return dt.date.today() > self.period.deadline and bool(self.missing)


def expected_listers(
    units: list[dict[str, Any]], holding_kinds: frozenset[str], period: Period
) -> list[dict[str, Any]]:
    """The units of ``units`` that owe a list for ``period``: those holding people that
    existed during it (a 2024 period counts the 2024 tree, a current one today's)."""
    return [
        u
        for u in units
        if u["kind"] in holding_kinds and in_force_during(u, period.opens, period.deadline)
    ]


async def subtree_units(path: str) -> list[dict[str, Any]]:
    return await (
        OrgUnit.select()
        .where(in_tenant(OrgUnit), OrgUnit.path.like(f"{path}%"))
        .order_by(OrgUnit.path)
        .run()
    )


def _group(
    units: list[dict[str, Any]], counts: dict[int, Counter[str]], key_of: Any, label_of: Any
) -> list[GroupCounts]:
    grouped: dict[str, Counter[str]] = defaultdict(Counter)
    for unit in units:
        key = key_of(unit)
        if key is not None and unit["id"] in counts:
            grouped[key] += counts[unit["id"]]
    return [
        GroupCounts(key=key, label=label_of(key), by_stage={s: c.get(s, 0) for s in STAGES})
        for key, c in grouped.items()
    ]


def by_child(
    unit: dict[str, Any], units: list[dict[str, Any]], counts: dict[int, Counter[str]]
) -> list[GroupCounts]:
    children = [u for u in units if u["parent"] == unit["id"]]
    names = {str(c["id"]): c["name"] for c in children}
    prefixes = [(str(c["id"]), c["path"]) for c in children]

    def child_of(row: dict[str, Any]) -> str | None:
        return next((cid for cid, p in prefixes if row["path"].startswith(p)), None)

    groups = {g.key: g for g in _group(units, counts, child_of, names.__getitem__)}
    return [
        groups.get(cid) or GroupCounts(key=cid, label=names[cid], by_stage=dict.fromkeys(STAGES, 0))
        for cid, _ in prefixes
    ]


def by_bloc(
    units: list[dict[str, Any]], counts: dict[int, Counter[str]], bloc_labels: dict[str, str]
) -> list[GroupCounts]:
    groups = _group(
        units,
        counts,
        lambda u: u["bloc"] or "",
        lambda key: bloc_labels.get(key, key) if key else "Chưa xếp khối",
    )
    return sorted(groups, key=lambda g: -g.total)


async def period_status(path: str, period: Period) -> PeriodStatus:
    """Which units holding people in the subtree have submitted a list for ``period``."""
    holding_kinds = (await tenant_package()).people_holding_kinds
    units = expected_listers(await subtree_units(path), holding_kinds, period)
    lists = await (
        CandidateList.select(CandidateList.unit, CandidateList.state)
        .where(
            in_tenant(CandidateList),
            CandidateList.unit_path.like(f"{path}%"),
            CandidateList.period_code == period.code,
        )
        .run()
    )
    state_of: dict[int, str] = {}
    for row in lists:
        if row["state"] in DONE_STATES or row["unit"] not in state_of:
            state_of[row["unit"]] = row["state"]
    missing = [
        LateUnit(unit_id=u["id"], name=u["name"], state=state_of.get(u["id"], "none"))
        for u in units
        if state_of.get(u["id"]) not in DONE_STATES
    ]
    return PeriodStatus(
        period=period,
        expected=len(units),
        submitted=len(units) - len(missing),
        missing=missing,
    )


def current_and_previous(package_id: str, on: dt.date) -> tuple[Period | None, Period | None]:
    calendar = load_package(package_id).calendar
    if calendar is None:
        return None, None
    current = calendar.period_for(on)
    earlier = [
        p for year in (on.year - 1, on.year) for p in calendar.periods(year) if p.deadline < on
    ]
    return current, (max(earlier, key=lambda p: p.deadline) if earlier else None)
