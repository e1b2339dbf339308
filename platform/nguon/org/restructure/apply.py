"""Applying a checked restructuring, inside the caller's transaction.

Set-based: new units go in by batches (``create_units``), closed units and everything that
follows a successor are moved with one UPDATE per table and batch of units, never row by
row. A receiver that cannot be found for a list that follows refuses the whole change
(the caller's transaction rolls back).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import msgspec

from nguon.audit.service import Actor
from nguon.audit.tables import AuditEvent
from nguon.org.restructure.plan import (
    OPEN_LIST_STATES,
    AppliedBefore,
    RestructuringPlan,
    RestructuringRefused,
    RestructuringSummary,
)
from nguon.org.service import create_units
from nguon.org.tables import Membership, OrgUnit, Restructuring, UnitSuccession
from nguon.org.unit_specs import ExistingUnit, Origin, UnitSpec
from nguon.people.moves import record_units_moving
from nguon.pipeline import chain
from nguon.pipeline.tables import CandidateList
from nguon.rules.registry import load_package
from nguon.tenancy.context import require_tenant
from nguon.tenancy.scoped import in_tenant

BATCH = 300
"""Rows per INSERT, ids per ``IN (…)``, closed units per set-based UPDATE."""


class RestructuringReport(msgspec.Struct, kw_only=True):
    summary: RestructuringSummary
    applied: bool
    """True when the change was made (and committed, unless it was a dry run)."""
    dry_run: bool = False
    already_applied: AppliedBefore | None = None
    restructuring_id: int | None = None


def _chunks(items: Sequence[Any], size: int = BATCH) -> list[Sequence[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


async def apply_restructuring(plan: RestructuringPlan, actor: Actor) -> RestructuringReport:
    """Make the planned change inside the caller's transaction (and tenant).

    :class:`RestructuringRefused` if the plan has problems, or if a list that follows a
    successor finds no receiver in the new tree; a file applied before changes nothing.
    """
    if plan.problems:
        raise RestructuringRefused(plan.problems)
    if plan.already_applied is not None:
        return RestructuringReport(
            summary=plan.summary, applied=False, already_applied=plan.already_applied
        )
    if require_tenant() != plan.tenant_id:
        raise RuntimeError("apply_restructuring runs in the tenant it was planned for")
    steps = _Steps(plan, actor)
    await steps.create_units()
    await steps.close_units()
    await steps.follow()
    await steps.find_receivers()
    await steps.add_memberships()
    restructuring_id = await steps.record()
    return RestructuringReport(
        summary=plan.summary, applied=True, restructuring_id=restructuring_id
    )


class _Steps:
    """The steps of one application (separate methods, so a test can fail one of them)."""

    def __init__(self, plan: RestructuringPlan, actor: Actor) -> None:
        self.plan = plan
        self.actor = actor
        self.day = plan.spec.effective_on
        self.tenant_id = plan.tenant_id
        self.units: dict[str, ExistingUnit] = dict(plan.existing)
        self.mapping: dict[int, tuple[int, str]] = {}
        """Closed unit id → (successor id, successor path)."""

    async def create_units(self) -> None:
        specs = [
            UnitSpec(
                code=row.code,
                name=row.name,
                kind=row.kind,
                bloc=row.bloc,
                parent_code=row.parent_code,
                valid_from=self.day,
                valid_to=row.valid_to,
                origin=Origin(row.origin.at()),
            )
            for row in self.plan.new_rows
        ]
        await create_units(specs, self.units, self.actor)
        for closure in self.plan.closures:
            if closure.successor is not None:
                successor = self.units[closure.successor]
                self.mapping[self.units[closure.code].id] = (successor.id, successor.path)

    async def close_units(self) -> None:
        closures = self.plan.closures
        for chunk in _chunks([self.units[c.code].id for c in closures]):
            await (
                OrgUnit.update({OrgUnit.valid_to: self.day})
                .where(in_tenant(OrgUnit), OrgUnit.id.is_in(list(chunk)))
                .run()
            )
        events = [
            AuditEvent(
                tenant_id=self.tenant_id,
                actor=self.actor.label,
                actor_id=self.actor.user_id,
                action="close",
                entity_type="org_unit",
                entity_id=self.units[closure.code].id,
                before={"valid_to": _iso(self.units[closure.code].valid_to)},
                after={
                    "valid_to": self.day.isoformat(),
                    "successor": closure.successor,
                    "change": closure.change,
                },
            )
            for closure in closures
        ]
        for chunk in _chunks(events):
            await AuditEvent.insert(*chunk).run()

    async def _remap(
        self,
        table: str,
        unit_column: str,
        path_column: str,
        condition: str = "",
        args: Sequence[Any] = (),
        touched: bool = False,
    ) -> None:
        """Point every row of ``table`` on a closed unit at its successor, one UPDATE a batch.

        A CASE over the batch's units rather than a join: with no index on the unit column
        a join's plan depends on statistics (stale right after a bulk change, e.g. a tenant
        merge); this is one scan a batch whatever they say."""
        now = dt.datetime.now(dt.UTC)
        for chunk in _chunks(list(self.mapping.items())):
            whens = " ".join("WHEN {} THEN CAST({} AS INTEGER)" for _ in chunk)
            paths = " ".join("WHEN {} THEN {}" for _ in chunk)
            sql = (
                f"UPDATE {table} SET {unit_column} = CASE {unit_column} {whens} END, "
                f"{path_column} = CASE {unit_column} {paths} END, version = version + 1"
                + (", updated_at = {}" if touched else "")
                + f" WHERE tenant_id = {{}} AND {unit_column} IN ({', '.join('{}' for _ in chunk)})"
                + (f" AND ({condition})" if condition else "")
            )
            values: list[Any] = []
            for old, (new, _) in chunk:
                values += [old, new]
            for old, (_, path) in chunk:
                values += [old, path]
            if touched:
                values.append(now)
            values.append(self.tenant_id)
            values += [old for old, _ in chunk]
            values += list(args)
            await OrgUnit.raw(sql, *values).run()

    async def _freeze_entry_units(self) -> None:
        """Entries made before lists recorded each person's unit get it now, before the
        people move: a list of before the change keeps the units of its time."""
        await OrgUnit.raw(
            "UPDATE list_entry SET unit = (SELECT c.unit FROM candidate AS c "
            "WHERE c.id = list_entry.candidate AND c.tenant_id = list_entry.tenant_id) "
            "WHERE tenant_id = {} AND unit IS NULL",
            self.tenant_id,
        ).run()

    async def _remap_entries(self, following: str, args: Sequence[Any]) -> None:
        """The entries of the lists that follow their units name the successors too."""
        for chunk in _chunks(list(self.mapping.items())):
            whens = " ".join("WHEN {} THEN CAST({} AS INTEGER)" for _ in chunk)
            sql = (
                f"UPDATE list_entry SET unit = CASE unit {whens} END "
                f"WHERE tenant_id = {{}} AND unit IN ({', '.join('{}' for _ in chunk)}) "
                "AND candidate_list IN (SELECT candidate_list.id FROM candidate_list "
                f"WHERE candidate_list.tenant_id = {{}} AND ({following}))"
            )
            values: list[Any] = []
            for old, (new, _) in chunk:
                values += [old, new]
            values.append(self.tenant_id)
            values += [old for old, _ in chunk]
            values.append(self.tenant_id)
            values += list(args)
            await OrgUnit.raw(sql, *values).run()

    async def follow(self) -> None:
        """Candidates, members, lists, plans and courses go to the successors."""
        if not self.mapping:
            return
        day = self.day
        states = ", ".join("{}" for _ in OPEN_LIST_STATES)
        following = (
            f"candidate_list.period_opens >= {{}} OR (candidate_list.period_deadline >= {{}} "
            f"AND candidate_list.state IN ({states}))"
        )
        following_args = [day, day, *OPEN_LIST_STATES]
        await self._freeze_entry_units()
        await record_units_moving({old: new for old, (new, _) in self.mapping.items()}, day)
        await self._remap("candidate", "unit", "unit_path", touched=True)
        await self._remap("party_member", "unit", "unit_path")
        await self._remap_entries(following, following_args)
        await self._remap(
            "candidate_list", "unit", "unit_path", following, following_args, touched=True
        )
        await self._remap(
            "admission_plan", "unit", "unit_path", "admission_plan.year >= {}", [day.year]
        )
        await self._remap(
            "course", "organiser_unit", "organiser_path", "course.closes_on >= {}", [day]
        )

    async def find_receivers(self) -> None:
        """Each list that follows (or whose receiver closed) gets the receiver the package's
        chain names in the new tree; none found refuses the change."""
        plan = self.plan
        about = dict(plan.lists) | dict(plan.lists_to_reroute)
        if not about:
            return
        rerouted = {list_id for list_id, _ in plan.lists_to_reroute}
        package = load_package(plan.package_id)
        lists: list[dict[str, Any]] = []
        for chunk in _chunks(list(about)):
            lists += await CandidateList.select(
                CandidateList.id,
                CandidateList.unit,
                CandidateList.receiver_unit,
                CandidateList.period_opens,
            ).where(in_tenant(CandidateList), CandidateList.id.is_in(list(chunk)))
        units: dict[int, dict[str, Any]] = {}
        for chunk in _chunks(sorted({row["unit"] for row in lists})):
            for unit in await OrgUnit.select().where(
                in_tenant(OrgUnit), OrgUnit.id.is_in(list(chunk))
            ):
                units[unit["id"]] = unit
        found: dict[tuple[Any, ...], dict[str, Any] | None] = {}
        by_receiver: dict[int | None, list[int]] = defaultdict(list)
        origins = {c.code: c.origin for c in plan.closures}
        problems: list[str] = []
        for row in sorted(lists, key=lambda r: r["id"]):
            unit = units[row["unit"]]
            # Siblings of one kind and bloc share a receiver (unless it is of their own kind,
            # when the unit itself is left out of the search): ask the chain once for them.
            key = (
                unit["parent"],
                unit["kind"],
                unit["bloc"],
                max(row["period_opens"], unit["valid_from"]),
            )
            receiver = found.get(key, False)
            if receiver is False or (receiver is not None and receiver["kind"] == unit["kind"]):
                try:
                    receiver = await chain.receiver_for(package, unit, row["period_opens"])
                except chain.ChainBroken as error:
                    problems.append(
                        origins[about[row["id"]]].problem(
                            f"list {row['id']} of {unit['code']!r} finds no receiver: {error}",
                            code=about[row["id"]],
                        )
                    )
                    continue
                found[key] = receiver
            receiver_id = None if receiver is None else receiver["id"]
            if receiver_id != row["receiver_unit"]:
                by_receiver[receiver_id].append(row["id"])
                if row["id"] in rerouted:
                    plan.summary.lists_rerouted += 1
        if problems:
            raise RestructuringRefused(problems)
        for receiver_id, list_ids in by_receiver.items():
            for chunk in _chunks(list_ids):
                await OrgUnit.raw(
                    "UPDATE candidate_list SET receiver_unit = {} "
                    f"WHERE tenant_id = {{}} AND id IN ({', '.join('{}' for _ in chunk)})",
                    receiver_id,
                    self.tenant_id,
                    *chunk,
                ).run()

    async def add_memberships(self) -> None:
        rows = [
            Membership(
                tenant_id=self.tenant_id,
                user=grant.user,
                unit=self.units[grant.successor].id,
                role=grant.role,
                valid_from=grant.valid_from,
            )
            for grant in self.plan.grants
        ]
        for chunk in _chunks(rows):
            await Membership.insert(*chunk).run()

    async def record(self) -> int:
        """The restructuring row, one succession per closed unit with a successor, and the
        audit event that carries the summary."""
        plan = self.plan
        summary = msgspec.to_builtins(plan.summary)
        restructuring = Restructuring(
            tenant_id=self.tenant_id,
            effective_on=self.day,
            reference=plan.spec.reference[:300],
            source=plan.source[-300:],
            digest=plan.spec.digest,
            summary=summary,
        )
        await restructuring.save().run()
        successions = [
            UnitSuccession(
                tenant_id=self.tenant_id,
                predecessor=self.units[closure.code].id,
                successor=self.units[closure.successor].id,
                effective_on=self.day,
                change=closure.change,
                restructuring=restructuring.id,
            )
            for closure in plan.closures
            if closure.successor is not None
        ]
        for chunk in _chunks(successions):
            await UnitSuccession.insert(*chunk).run()
        await AuditEvent.insert(
            AuditEvent(
                tenant_id=self.tenant_id,
                actor=self.actor.label,
                actor_id=self.actor.user_id,
                action="restructure",
                entity_type="restructuring",
                entity_id=restructuring.id,
                before=None,
                after=summary,
            )
        ).run()
        return restructuring.id


def _iso(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()
