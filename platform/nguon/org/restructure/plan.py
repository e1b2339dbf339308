"""Planning a restructuring: the tree change, what follows each successor, every check.

Runs inside the tenant's transaction and writes nothing. What follows a successor (from
the predecessor, on D): candidates and Party members; lists of periods opening on or after
D, and draft/adopted/returned lists of a period still open on D; admission plans of years
from D's; courses still running on D; memberships (the same role is added on the
successor). Lists, resolutions and decisions of earlier periods stay with the old rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import msgspec
from piccolo.query.functions.aggregate import Count

from nguon.org.restructure.changes import Closure, NewRow, compute_changes
from nguon.org.restructure.spec import RestructuringFile
from nguon.org.service import existing_units
from nguon.org.tables import Membership, Restructuring
from nguon.org.unit_specs import ExistingUnit
from nguon.people.tables import Candidate, Member
from nguon.pipeline.tables import AdmissionPlan, CandidateList, Course
from nguon.tenancy.context import require_tenant
from nguon.tenancy.scoped import in_tenant
from nguon.tenancy.tables import Tenant
from nguon.tenancy.vocabulary import UnknownRulesPackage, vocabulary_for

OPEN_LIST_STATES = ("draft", "adopted", "returned")
"""States in which a list of a period still open on D follows its unit's successor."""


class RestructuringRefused(Exception):
    """The restructuring cannot be applied; ``problems`` names every reason, located."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s): nothing was written")
        self.problems = problems


class AppliedBefore(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    applied_at: dt.datetime
    source: str


class RestructuringSummary(msgspec.Struct, kw_only=True):
    """What a restructuring does (stored as ``restructuring.summary``)."""

    tenant: str
    effective_on: dt.date
    reference: str
    source: str
    digest: str
    actions: dict[str, int]
    units_created: int = 0
    units_closed: int = 0
    successions: int = 0
    candidates: int = 0
    members: int = 0
    lists: int = 0
    lists_rerouted: int = 0
    plans: int = 0
    courses: int = 0
    memberships: int = 0


class MembershipGrant(msgspec.Struct, frozen=True):
    user: int
    successor: str
    role: str
    valid_from: dt.date


class RestructuringPlan(msgspec.Struct, kw_only=True):
    spec: RestructuringFile
    tenant_id: int
    package_id: str
    source: str
    problems: list[str]
    summary: RestructuringSummary
    already_applied: AppliedBefore | None = None
    existing: dict[str, ExistingUnit] = {}
    new_rows: list[NewRow] = []
    closures: list[Closure] = []
    lists: list[tuple[int, str]] = []
    """Lists that follow their unit's successor (their receiver is found again), with the
    closed unit they leave."""
    lists_to_reroute: list[tuple[int, str]] = []
    """Lists of units left in place whose receiver closes, with that receiver: their
    receiver is found again."""
    grants: list[MembershipGrant] = []


def _summary(spec: RestructuringFile, source: str) -> RestructuringSummary:
    return RestructuringSummary(
        tenant=spec.tenant,
        effective_on=spec.effective_on,
        reference=spec.reference,
        source=source,
        digest=spec.digest,
        actions=spec.counts(),
    )


async def plan_restructuring(spec: RestructuringFile, source: str = "") -> RestructuringPlan:
    """Check ``spec`` against the current tenant's tree and work out everything it changes.

    Call inside ``tenant_context(tenant_id)`` and a transaction; nothing is written.
    ``plan.problems`` lists every problem, each with its file line (or sheet row) and code.
    """
    source = source or spec.source
    tenant_id = require_tenant()
    summary = _summary(spec, source)
    tenant = await (
        Tenant.select(Tenant.slug, Tenant.rules_package, Tenant.merged_into)
        .where(Tenant.id == tenant_id)
        .first()
        .run()
    )
    plan = RestructuringPlan(
        spec=spec,
        tenant_id=tenant_id,
        package_id="" if tenant is None else tenant["rules_package"],
        source=source,
        problems=[],
        summary=summary,
    )
    header = spec.origin
    if tenant is None or tenant["slug"] != spec.tenant:
        shown = "none" if tenant is None else repr(tenant["slug"])
        plan.problems.append(
            header.problem(
                f"the file is for tenant {spec.tenant!r}, not the current tenant ({shown})",
                field="tenant",
            )
        )
        return plan
    if tenant["merged_into"]:
        plan.problems.append(
            header.problem(
                f"tenant {spec.tenant!r} was merged into {tenant['merged_into']!r}: "
                "restructure that tenant instead",
                field="tenant",
            )
        )
        return plan
    applied = await (
        Restructuring.select(Restructuring.id, Restructuring.applied_at, Restructuring.source)
        .where(in_tenant(Restructuring), Restructuring.digest == spec.digest)
        .first()
        .run()
    )
    if applied is not None:
        plan.already_applied = AppliedBefore(**applied)
        return plan
    try:
        vocabulary = vocabulary_for(plan.package_id)
    except UnknownRulesPackage:
        plan.problems.append(
            header.problem(
                f"tenant {spec.tenant!r} uses unknown rules package {plan.package_id!r}",
                field="tenant",
            )
        )
        return plan

    existing = await existing_units()
    change = compute_changes(spec, existing, vocabulary)
    plan.existing = existing
    plan.new_rows = change.new_rows
    plan.closures = list(change.closures.values())
    plan.problems.extend(change.problems)
    summary.units_created = len(change.new_rows)
    summary.units_closed = len(change.closures)
    summary.successions = sum(1 for c in change.closures.values() if c.successor is not None)
    await _plan_followers(plan, change.closures)
    return plan


def _by_unit(rows: list[dict[str, Any]], column: str = "unit") -> dict[int, int]:
    return {row[column]: row["count"] for row in rows}


async def _plan_followers(plan: RestructuringPlan, closures: dict[str, Closure]) -> None:
    """What follows each successor, and the closed units that hold people with none."""
    day = plan.spec.effective_on
    summary = plan.summary
    existing = plan.existing
    closed_by_id = {existing[code].id: closure for code, closure in closures.items()}
    if not closed_by_id:
        return

    candidates = _by_unit(
        await Candidate.select(Candidate.unit, Count())
        .where(in_tenant(Candidate))
        .group_by(Candidate.unit)
        .run()
    )
    members = _by_unit(
        await Member.select(Member.unit, Count())
        .where(in_tenant(Member))
        .group_by(Member.unit)
        .run()
    )
    open_lists = await (
        CandidateList.select(
            CandidateList.id,
            CandidateList.unit,
            CandidateList.receiver_unit,
            CandidateList.step,
            CandidateList.period_code,
        )
        .where(
            in_tenant(CandidateList),
            (CandidateList.period_opens >= day)
            | (
                (CandidateList.period_deadline >= day)
                & CandidateList.state.is_in(list(OPEN_LIST_STATES))
            ),
        )
        .run()
    )
    lists_by_unit: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in open_lists:
        lists_by_unit[row["unit"]].append(row)

    # A closed unit that holds people or open lists needs a successor.
    for unit_id, closure in closed_by_id.items():
        if closure.successor is not None:
            continue
        held = [
            f"{count} {label}"
            for count, label in (
                (candidates.get(unit_id, 0), "candidate(s)"),
                (members.get(unit_id, 0), "Party member(s)"),
                (len(lists_by_unit.get(unit_id, [])), "open list(s)"),
            )
            if count
        ]
        if held:
            via = f" with {closure.closed_with!r}" if closure.closed_with else ""
            plan.problems.append(
                closure.origin.problem(
                    f"the unit closes{via} on {day} with no successor but holds "
                    f"{', '.join(held)}: move it, or merge it into the unit that carries on "
                    "its work",
                    code=closure.code,
                )
            )

    successor_of = {
        unit_id: closure.successor
        for unit_id, closure in closed_by_id.items()
        if closure.successor is not None
    }
    summary.candidates = sum(candidates.get(unit_id, 0) for unit_id in successor_of)
    summary.members = sum(members.get(unit_id, 0) for unit_id in successor_of)
    # Successors that exist already (merges) may hold lists and plans of their own.
    existing_successors = {
        existing[code].id: code for code in set(successor_of.values()) if code in existing
    }

    list_keys: dict[tuple[str, str, str], str] = {}
    if existing_successors:
        for row in await (
            CandidateList.select(
                CandidateList.id,
                CandidateList.unit,
                CandidateList.step,
                CandidateList.period_code,
            )
            .where(
                in_tenant(CandidateList),
                CandidateList.unit.is_in(list(existing_successors)),
            )
            .run()
        ):
            key = (existing_successors[row["unit"]], row["step"], row["period_code"])
            list_keys[key] = f"list {row['id']} of {existing_successors[row['unit']]!r}"
    for unit_id, successor in successor_of.items():
        for row in lists_by_unit.get(unit_id, []):
            key = (successor, row["step"], row["period_code"])
            closure = closed_by_id[unit_id]
            if key in list_keys:
                plan.problems.append(
                    closure.origin.problem(
                        f"its list {row['id']} ({row['step']}, {row['period_code']}) would join "
                        f"{list_keys[key]} on the successor {successor!r}: a unit has one list "
                        "per step and period; combine them before the restructuring",
                        code=closure.code,
                    )
                )
                continue
            list_keys[key] = f"list {row['id']} of {closure.code!r}"
            plan.lists.append((row["id"], closure.code))
    plan.lists_to_reroute = [
        (row["id"], closed_by_id[row["receiver_unit"]].code)
        for row in open_lists
        if row["unit"] not in closed_by_id and row["receiver_unit"] in closed_by_id
    ]
    summary.lists = len(plan.lists)

    plan_keys: dict[tuple[str, int], str] = {}
    plans = await (
        AdmissionPlan.select(AdmissionPlan.id, AdmissionPlan.unit, AdmissionPlan.year)
        .where(
            in_tenant(AdmissionPlan),
            AdmissionPlan.unit.is_in([*successor_of, *existing_successors] or [0]),
        )
        .run()
    )
    for row in plans:
        if row["unit"] in existing_successors:
            key = (existing_successors[row["unit"]], row["year"])
            plan_keys[key] = f"plan {row['id']} of {existing_successors[row['unit']]!r}"
    for row in plans:
        successor = successor_of.get(row["unit"])
        if successor is None or row["year"] < day.year:
            continue
        closure = closed_by_id[row["unit"]]
        key = (successor, row["year"])
        if key in plan_keys:
            plan.problems.append(
                closure.origin.problem(
                    f"its admission plan {row['id']} for {row['year']} would join {plan_keys[key]} "
                    f"on the successor {successor!r}: a unit has one plan a year; combine them "
                    "before the restructuring",
                    code=closure.code,
                )
            )
            continue
        plan_keys[key] = f"plan {row['id']} of {closure.code!r}"
        summary.plans += 1

    summary.courses = await (
        Course.count()
        .where(
            in_tenant(Course),
            Course.organiser_unit.is_in(list(successor_of) or [0]),
            Course.closes_on >= day,
        )
        .run()
    )

    grants: dict[tuple[int, str, str], MembershipGrant] = {}
    held: set[tuple[int, int, str]] = set()
    for row in await (
        Membership.select(Membership.user, Membership.unit, Membership.role, Membership.valid_from)
        .where(
            in_tenant(Membership),
            Membership.valid_to.is_null() | (Membership.valid_to >= day),
        )
        .run()
    ):
        held.add((row["user"], row["unit"], row["role"]))
        successor = successor_of.get(row["unit"])
        if successor is not None:
            key = (row["user"], successor, row["role"])
            grants.setdefault(
                key,
                MembershipGrant(row["user"], successor, row["role"], max(day, row["valid_from"])),
            )
    plan.grants = [
        grant
        for (user, successor, role), grant in grants.items()
        if successor not in existing or (user, existing[successor].id, role) not in held
    ]
    summary.memberships = len(plan.grants)
