"""Lists made, adopted, sent and accepted through the pipeline's own services, as a
province's units would have done in a past period: the demo's history walks the reporting
chains of the package (``pipeline.chain``) in the tree as it stood in that period."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from nguon.accounts.permissions import Access, Grant
from nguon.accounts.tables import User
from nguon.clock import today_in_vietnam
from nguon.org.tables import OrgUnit
from nguon.pipeline import chain, lists
from nguon.pipeline.schemas import ListCreate, ListOut, ResolutionIn
from nguon.pipeline.tables import CandidateList, ListTransition
from nguon.rules.review_calendar import Period
from nguon.tenancy.package import tenant_package
from nguon.tenancy.scoped import in_tenant

TOP_KIND = "province_committee"
"""The provincial standing committee receives the lists; it makes none of its own."""


async def history_access(tenant_id: int, username: str) -> Access:
    """The tenant administrator ``username`` acting everywhere (the demo's history is
    written in their name: list transitions and audit events name a real user)."""
    user = await User.objects().where(in_tenant(User), User.username == username).first()
    if user is None:
        raise LookupError(f"the demo needs the user {username!r} in tenant {tenant_id}")
    return Access(
        user_id=user.id,
        tenant_id=tenant_id,
        username=user.username,
        full_name=user.full_name,
        grants=(Grant(unit_id=None, path="", role="tenant_admin"),),
    )


class Walker:
    """One period's lists: each step through ``nguon.pipeline.lists`` (rules, receivers,
    aggregation and history as a user's clicks would make them), dated inside the period."""

    def __init__(self, access: Access, period: Period, step: str = "survey") -> None:
        self.access = access
        self.period = period
        self.step = step
        self.created: list[int] = []
        self._numbers = 0

    async def unit(self, code: str) -> dict[str, Any]:
        unit = await OrgUnit.select().where(in_tenant(OrgUnit), OrgUnit.code == code).first()
        if unit is None:
            raise LookupError(f"the demo tree has no unit {code!r}")
        return unit

    async def own(self, unit: dict[str, Any]) -> ListOut | None:
        row = await (
            CandidateList.select(CandidateList.id)
            .where(
                in_tenant(CandidateList),
                CandidateList.unit == unit["id"],
                CandidateList.step == self.step,
                CandidateList.period_code == self.period.code,
            )
            .first()
        )
        if row is None:
            return None
        return (await lists.get_list(self.access, row["id"])).summary

    async def draft(self, code: str) -> ListOut:
        """The unit's list for the period: made now (with what it accepted from below)."""
        unit = await self.unit(code)
        found = await self.own(unit)
        if found is not None:
            return found
        data = ListCreate(unit_id=unit["id"], step=self.step, period_code=self.period.code)
        made = (await lists.create_list(self.access, data)).summary
        self.created.append(made.id)
        return made

    async def adopt(self, code: str) -> ListOut:
        made = await self.draft(code)
        unit = await self.unit(code)
        cell = unit["kind"].endswith("_cell")
        self._numbers += 1
        resolution = ResolutionIn(
            number=f"{self._numbers:02d}-NQ/{'CB' if cell else 'ĐU'}",
            adopted_on=min(self.period.deadline - dt.timedelta(days=20), today_in_vietnam()),
            members_total=9 if cell else 15,
            members_present=9 if cell else 14,
            members_agreeing=9 if cell else 14,
        )
        return (await lists.adopt_list(self.access, made.id, resolution, made.version)).summary

    async def send(self, code: str) -> ListOut:
        """Made, adopted and submitted to the unit the chain names next."""
        adopted = await self.adopt(code)
        return (await lists.submit_list(self.access, adopted.id, adopted.version)).summary

    async def accept(self, sent: ListOut) -> ListOut:
        return (await lists.accept_list(self.access, sent.id, sent.version)).summary

    async def up_to_the_top(self, codes: Iterable[str]) -> None:
        """Every list of ``codes`` sent and accepted, then the receivers' lists (which
        aggregate them) in turn, each level once all below it is in, up to the provincial
        standing committee."""
        package = await tenant_package()
        reports_to: dict[str, str | None] = {}
        frontier = list(codes)
        while frontier:
            code = frontier.pop()
            if code in reports_to:
                continue
            receiver = await chain.receiver_for(package, await self.unit(code), self.period.opens)
            above = None if receiver is None or receiver["kind"] == TOP_KIND else receiver["code"]
            reports_to[code] = above
            if above is not None:
                frontier.append(above)

        def height(code: str) -> int:
            below = [c for c, r in reports_to.items() if r == code]
            return 1 + max(map(height, below)) if below else 0

        for code in sorted(reports_to, key=lambda c: (height(c), c)):
            await self.accept(await self.send(code))

    async def backdate(self) -> None:
        """Date the lists made by this walk, and their history, inside the period (the
        services stamp the clock's time: a 2024 list should not say it was sent today)."""
        if not self.created:
            return
        made = dt.datetime.combine(self.period.opens, dt.time(8, 0), tzinfo=dt.UTC)
        sent = dt.datetime.combine(
            self.period.deadline - dt.timedelta(days=15), dt.time(9, 0), tzinfo=dt.UTC
        )
        done = dt.datetime.combine(
            self.period.deadline - dt.timedelta(days=5), dt.time(15, 0), tzinfo=dt.UTC
        )
        now = dt.datetime.now(dt.UTC)
        if done >= now:
            return
        ids = self.created
        await CandidateList.update(
            {CandidateList.created_at: made + dt.timedelta(days=3), CandidateList.updated_at: done}
        ).where(in_tenant(CandidateList), CandidateList.id.is_in(ids))
        await CandidateList.update({CandidateList.submitted_at: sent}).where(
            in_tenant(CandidateList),
            CandidateList.id.is_in(ids),
            CandidateList.submitted_at.is_not_null(),
        )
        for to_state, when in (
            ("draft", made + dt.timedelta(days=3)),
            ("adopted", sent - dt.timedelta(days=2)),
            ("submitted", sent),
            ("accepted", done),
        ):
            await ListTransition.update({ListTransition.at: when}).where(
                in_tenant(ListTransition),
                ListTransition.candidate_list.is_in(ids),
                ListTransition.to_state == to_state,
            )
