"""The steps' lists: created prefilled from the rules, edited, adopted, sent up the chain.

States: draft → adopted (by resolution) → submitted → accepted | returned; a returned
list is edited again, adopted and submitted again. Every mutation is a conditional
UPDATE on the list's version (a stale version is a 409 and changes nothing), every
transition a ``ListTransition`` row and an audit event with its actor.

Callers wrap mutations in ``events.pipeline_transaction()`` so that list events reach
plugins after the commit.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import msgspec

from nguon.accounts.permissions import RANK, WRITE, Access
from nguon.audit.service import Actor, record_event
from nguon.clock import today_in_vietnam
from nguon.errors import Conflict, Forbidden, InvalidInput, NotFound
from nguon.hook_events import ListSummary
from nguon.org.tables import OrgUnit
from nguon.org.validity import closed_by, in_force_during
from nguon.org.visibility import unit_in_reach
from nguon.people.tables import Candidate
from nguon.pipeline import aggregation, chain, list_read, list_stage_events
from nguon.pipeline.decisions import DecisionStats, decide, reasons_from_json, reasons_to_json
from nguon.pipeline.events import ListEvent, emit
from nguon.pipeline.list_exclusions import (
    active_exclusions,
    exclusion_note,
    lift,
    record_higher_removal,
)
from nguon.pipeline.list_read import APPROVE, EDITABLE
from nguon.pipeline.ownership import (
    NOT_OWN_UNIT,
    NOT_OWNER,
    NOT_RECEIVER,
    acts_for,
    addressed_to,
)
from nguon.pipeline.resolutions import record_resolution, resolution_out
from nguon.pipeline.schemas import (
    EntryOut,
    ListChange,
    ListCreate,
    ListDetail,
    ListOut,
    ListPage,
    MayAct,
    ReasonOut,
    ResolutionIn,
    ResolutionOut,
    SourceCount,
    TransitionOut,
)
from nguon.pipeline.tables import CandidateList, ListEntry, ListTransition
from nguon.portal.context import LIST_STATE_LABELS
from nguon.rules.errors import RulesError
from nguon.rules.package import RulesPackage
from nguon.rules.review_calendar import Period
from nguon.tenancy.context import require_tenant
from nguon.tenancy.package import tenant_package
from nguon.tenancy.scoped import in_tenant
from nguon.text import ascii_digits, nfc

STEP_DECISIONS = {
    "survey": "survey_list",
    "course_nominees": "course_nominee_list",
    "admission_sources": "admission_source_list",
}
# States in which the receiving unit sees a list from below.
SENT = frozenset({"submitted", "returned", "accepted"})


def actor_of(access: Access) -> Actor:
    return Actor(label=access.username, user_id=access.user_id)


def periods_of_year(package: RulesPackage, year: int) -> list[Period]:
    return package.calendar.periods(year) if package.calendar else []


def resolve_period(package: RulesPackage, code: str) -> Period:
    year = code[:4]
    if ascii_digits(year):
        for period in periods_of_year(package, int(year)):
            if period.code == code:
                return period
    raise InvalidInput(
        f"Kỳ rà soát không có trong lịch của gói quy định: {code} / "
        f"Unknown review period for the rules package: period",
        field="period",
    )


def evaluation_day(opens: dt.date, deadline: dt.date, today: dt.date | None = None) -> dt.date:
    """The day a list's rules are applied: today, kept inside the list's period."""
    today = today or today_in_vietnam()
    return min(max(today, opens), deadline)


def _stale(latest: int) -> Conflict:
    return Conflict(
        f"Danh sách đã được người khác thay đổi (phiên bản hiện tại {latest}); hãy tải lại. / "
        f"The list was changed by someone else (current version {latest}); reload it: version",
        field="version",
    )


def _require_version(version: int | None) -> int:
    if version is None:
        raise InvalidInput(
            "Thiếu phiên bản của danh sách (trường version hoặc tiêu đề If-Match) / "
            "Missing the list's version: version",
            field="version",
        )
    return version


# --- reading ---------------------------------------------------------------------------


def _visible(access: Access, row: dict[str, Any]) -> bool:
    if access.can_see(row["unit_path"]):
        return True
    receiver_path = row["receiver_unit.path"]
    return row["state"] in SENT and bool(receiver_path) and access.can_see(receiver_path)


def _seen(access: Access, row: dict[str, Any] | None) -> dict[str, Any]:
    if row is None or not _visible(access, row):
        raise NotFound("list")
    return row


async def visible_list(access: Access, list_id: int) -> dict[str, Any]:
    """The list row if the caller may see it (its unit, or the unit it was sent to)."""
    return _seen(access, await list_read.list_row(list_id))


async def visible_list_digest(
    access: Access, list_id: int, on: dt.date
) -> tuple[dict[str, Any], str]:
    """Postgres: the list row as ``visible_list`` and a digest of all its page shows."""
    row, digest = await list_read.row_and_digest(list_id, on)
    return _seen(access, row), digest


async def _included_counts(list_ids: list[int]) -> dict[int, int]:
    if not list_ids:
        return {}
    rows = await (
        ListEntry.select(ListEntry.candidate_list)
        .where(
            in_tenant(ListEntry),
            ListEntry.candidate_list.is_in(list_ids),
            ListEntry.included == True,  # noqa: E712
        )
        .run()
    )
    counts: dict[int, int] = {}
    for row in rows:
        counts[row["candidate_list"]] = counts.get(row["candidate_list"], 0) + 1
    return counts


def list_out(row: dict[str, Any], included: int) -> ListOut:
    return ListOut(
        id=row["id"],
        unit_id=row["unit"],
        unit_name=row["unit.name"],
        unit_kind=row["unit.kind"],
        step=row["step"],
        period=row["period_code"],
        period_opens=row["period_opens"],
        period_deadline=row["period_deadline"],
        state=row["state"],
        receiver_unit_id=row["receiver_unit"],
        receiver_unit_name=row["receiver_unit.name"],
        package=row["package"],
        package_version=row["package_version"],
        return_comment=row["return_comment"],
        version=row["version"],
        submitted_at=row["submitted_at"],
        included_count=included,
    )


def _entry_out(row: dict[str, Any]) -> EntryOut:
    return EntryOut(
        candidate_id=row["candidate"],
        full_name=row["full_name"],
        unit_id=row["candidate.unit"],
        unit_name=row["unit.name"],
        source=row["source"],
        source_list_id=row["source_list"],
        outcome=row["outcome"],
        reasons=[
            ReasonOut(code=r.code, clause_id=r.clause_id, message_vi=r.message_vi)
            for r in reasons_from_json(row["reasons"])
        ],
        included=row["included"],
        override_justification=row["override_justification"],
        removal_reason=row["removal_reason"],
    )


def allowed_actions(access: Access, row: dict[str, Any]) -> list[str]:
    state = row["state"]
    actions: list[str] = []
    if acts_for(access, row["unit_path"], WRITE):
        if state in EDITABLE:
            actions += ["edit", "adopt"]
        if state == "adopted":
            actions.append("submit")
    receiver_path = row["receiver_unit.path"]
    if state == "submitted" and acts_for(access, receiver_path, APPROVE):
        actions += ["return", "accept"]
    return actions


async def may_act(read: list_read.ListRead, on: dt.date | None = None) -> list[MayAct]:
    """The users who may take the list's next step (on ``on``, by default today)."""
    turn = list_read.next_step(read.row)
    if turn is None:
        return []
    least = RANK[turn[1]]
    return [
        MayAct(
            user_id=r["user"],
            full_name=r["full_name"],
            role=r["role"],
            unit_name=r["unit.name"],
        )
        for r in await list_read.members_acting(read, on or today_in_vietnam())
        if r["role"] in RANK and RANK[r["role"]] >= least and r["is_active"]
    ]


async def read_list(access: Access, list_id: int) -> list_read.ListRead:
    """The list ``list_id`` and its entries, if the caller may see it."""
    return await read_of(await visible_list(access, list_id))


async def whole_list(
    access: Access, list_id: int, on: dt.date, *, digest: bool = False
) -> tuple[list_read.ListRead, str]:
    """Postgres: the list and all its page shows in one statement (``list_read.whole_read``),
    if the caller may see it, with the page's digest if asked for."""
    read, seen = await list_read.whole_read(list_id, on, digest=digest)
    _seen(access, read.row if read else None)
    assert read is not None
    return read, seen


async def read_of(row: dict[str, Any]) -> list_read.ListRead:
    return list_read.ListRead(row=row, entries=await list_read.entries_of(row))


async def get_list(access: Access, list_id: int) -> ListDetail:
    return await detail_of(access, await read_list(access, list_id))


async def _detail(access: Access, row: dict[str, Any]) -> ListDetail:
    return await detail_of(access, await read_of(row))


async def _counts_by_source(read: list_read.ListRead) -> list[SourceCount]:
    """Included people per source: each accepted list below, then the list's own entries."""
    counts = Counter(e["source_list"] for e in read.entries if e["included"])
    source_ids = sorted(k for k in counts if k is not None)
    sources = await list_read.source_units(read) if source_ids else {}
    result = [
        SourceCount(
            unit_id=sources[k]["unit"],
            unit_name=sources[k]["unit.name"],
            source_list_id=k,
            count=counts[k],
        )
        for k in source_ids
        if k in sources
    ]
    if counts.get(None):
        result.append(
            SourceCount(
                unit_id=read.row["unit"],
                unit_name=read.row["unit.name"],
                source_list_id=None,
                count=counts[None],
            )
        )
    return result


class ListFacts(msgspec.Struct, kw_only=True):
    """A list's detail without its entries: what a page shows around the people."""

    summary: ListOut
    counts_by_unit: list[SourceCount]
    transitions: list[TransitionOut]
    resolutions: list[ResolutionOut]
    allowed_actions: list[str]
    may_act: list[MayAct]


async def facts_of(
    access: Access, read: list_read.ListRead, on: dt.date | None = None
) -> ListFacts:
    row = read.row
    return ListFacts(
        summary=list_out(row, sum(1 for e in read.entries if e["included"])),
        counts_by_unit=await _counts_by_source(read),
        transitions=[
            TransitionOut(
                from_state=t["from_state"],
                to_state=t["to_state"],
                actor=t["actor"],
                actor_id=t["actor_id"],
                comment=t["comment"],
                at=t["at"],
                actor_name=t["actor_name"] or "",
            )
            for t in await list_read.transitions_of(read)
        ],
        resolutions=[resolution_out(r) for r in await list_read.resolutions_of(read)],
        allowed_actions=allowed_actions(access, row),
        may_act=await may_act(read, on),
    )


async def detail_of(access: Access, read: list_read.ListRead) -> ListDetail:
    entries = read.entries
    facts = await facts_of(access, read)
    return ListDetail(
        summary=facts.summary,
        entries=[_entry_out(e) for e in entries if e["included"]],
        refused=[_entry_out(e) for e in entries if not e["included"] and not e["removal_reason"]],
        removed=[_entry_out(e) for e in entries if not e["included"] and e["removal_reason"]],
        counts_by_unit=facts.counts_by_unit,
        transitions=facts.transitions,
        resolutions=facts.resolutions,
        allowed_actions=facts.allowed_actions,
        may_act=facts.may_act,
    )


async def search_lists(
    access: Access,
    unit_id: int | None = None,
    step: str | None = None,
    period: str | None = None,
) -> ListPage:
    """Lists of the units the caller sees, optionally of one unit, step or period."""
    if unit_id is not None:
        await unit_in_reach(access, unit_id)
    clause = access.visibility(CandidateList.unit_path)
    if clause is None:
        return ListPage(items=[])
    query = CandidateList.select(
        *CandidateList.all_columns(),
        CandidateList.unit.name,
        CandidateList.unit.kind,
        CandidateList.receiver_unit.name,
        CandidateList.receiver_unit.path,
    ).where(in_tenant(CandidateList), clause)
    if unit_id is not None:
        query = query.where(CandidateList.unit == unit_id)
    if step is not None:
        query = query.where(CandidateList.step == step)
    if period is not None:
        query = query.where(CandidateList.period_code == period)
    rows = await query.order_by(CandidateList.period_opens).order_by(CandidateList.id).run()
    counts = await _included_counts([r["id"] for r in rows])
    return ListPage(items=[list_out(r, counts.get(r["id"], 0)) for r in rows])


async def inbox(access: Access) -> ListPage:
    """Lists submitted to the caller's own units, which they may return or accept."""
    clause = access.visibility(CandidateList.receiver_unit.path)
    if clause is None:
        return ListPage(items=[])
    rows = await (
        CandidateList.select(
            *CandidateList.all_columns(),
            CandidateList.unit.name,
            CandidateList.unit.kind,
            CandidateList.receiver_unit.name,
            CandidateList.receiver_unit.path,
        )
        .where(in_tenant(CandidateList), CandidateList.state == "submitted", clause)
        .order_by(CandidateList.submitted_at)
        .order_by(CandidateList.id)
        .run()
    )
    # Addressed to one of the caller's own units, not to a unit somewhere below them.
    rows = [r for r in rows if addressed_to(access, r["receiver_unit.path"])]
    counts = await _included_counts([r["id"] for r in rows])
    return ListPage(items=[list_out(r, counts.get(r["id"], 0)) for r in rows])


# --- creating --------------------------------------------------------------------------


async def _unit_row(access: Access, unit_id: int) -> dict[str, Any]:
    unit = await unit_in_reach(access, unit_id)
    if not acts_for(access, unit["path"], WRITE):
        raise Forbidden(f"{NOT_OWN_UNIT} / Only the unit's own users make its lists")
    return unit


async def _prefill_from_rules(
    package: RulesPackage,
    list_row: dict[str, Any],
    unit: dict[str, Any],
    on: dt.date,
    stats: DecisionStats | None = None,
) -> None:
    """Evaluate the unit's own candidates: eligible ones on the list, the others beside it."""
    candidates = await (
        Candidate.select()
        .where(
            in_tenant(Candidate),
            Candidate.unit == unit["id"],
            Candidate.is_party_member == False,  # noqa: E712
        )
        .order_by(Candidate.id)
        .run()
    )
    decision = STEP_DECISIONS[list_row["step"]]
    facts_unit = {**unit, "bloc": await chain.effective_bloc(unit)}
    outcomes = await decide(package, candidates, {unit["id"]: facts_unit}, on, decision, stats)
    excluded = await active_exclusions(outcomes)
    tenant_id = require_tenant()
    entries = [
        ListEntry(
            tenant_id=tenant_id,
            candidate_list=list_row["id"],
            candidate=candidate_id,
            source="rules",
            unit=unit["id"],
            outcome=result.outcome,
            reasons=reasons_to_json(result.reasons),
            included=result.outcome == "eligible" and candidate_id not in excluded,
            removal_reason=exclusion_note(excluded[candidate_id])
            if candidate_id in excluded
            else None,
            inputs_hash=result.inputs_hash,
        )
        for candidate_id, result in sorted(outcomes.items())
    ]
    if entries:
        await ListEntry.insert(*entries).run()


async def _record_transition(
    actor: Actor,
    list_id: int,
    from_state: str,
    to_state: str,
    version: int,
    comment: str = "",
    action: str | None = None,
) -> None:
    await ListTransition.insert(
        ListTransition(
            tenant_id=require_tenant(),
            candidate_list=list_id,
            from_state=from_state,
            to_state=to_state,
            actor_id=actor.user_id,
            actor=actor.label,
            comment=comment,
        )
    ).run()
    await record_event(
        actor,
        action or (f"list_{to_state}" if from_state else "list_created"),
        "candidate_list",
        list_id,
        {"state": from_state, "version": version - 1} if from_state else None,
        {"state": to_state, "version": version, **({"comment": comment} if comment else {})},
    )


async def create_list(
    access: Access, data: ListCreate, stats: DecisionStats | None = None
) -> ListDetail:
    """A new draft list of a unit for a step and period, prefilled from the rules and from
    the accepted lists of the units below."""
    unit = await _unit_row(access, data.unit_id)
    package = await tenant_package()
    period = resolve_period(package, data.period_code)
    on = evaluation_day(period.opens, period.deadline)
    try:
        version = package.version_on(on)
    except RulesError as error:
        raise InvalidInput(f"{error}: period", field="period") from error
    if closed_by(unit, today_in_vietnam()):
        raise InvalidInput(
            f"«{unit['name']}» đã kết thúc hoạt động (sắp xếp lại tổ chức): danh sách của đơn vị "
            f"chỉ còn để tra cứu / The unit was closed by a restructuring: unit_id",
            field="unit_id",
        )
    if not in_force_during(unit, period.opens, period.deadline):
        raise InvalidInput(
            f"«{unit['name']}» không hoạt động trong kỳ {period.code} "
            f"({period.opens:%d/%m/%Y}–{period.deadline:%d/%m/%Y}); danh sách của kỳ này do "
            f"đơn vị hoạt động khi đó lập / The unit does not exist in that period: period",
            field="period",
        )
    try:
        receiver = await chain.receiver_for(package, unit, period.opens)
    except chain.ChainBroken as error:
        raise InvalidInput(f"{error}: unit_id", field="unit_id") from error
    existing = await (
        CandidateList.select(CandidateList.id)
        .where(
            in_tenant(CandidateList),
            CandidateList.unit == unit["id"],
            CandidateList.step == data.step,
            CandidateList.period_code == period.code,
        )
        .first()
        .run()
    )
    if existing is not None:
        raise Conflict(
            f"Đơn vị đã có danh sách này cho kỳ {period.code} (số {existing['id']}) / "
            f"The unit already has this list for the period: list {existing['id']}",
            field="period",
        )
    candidate_list = CandidateList(
        tenant_id=require_tenant(),
        unit=unit["id"],
        unit_path=unit["path"],
        step=data.step,
        period_code=period.code,
        period_opens=period.opens,
        period_deadline=period.deadline,
        state="draft",
        receiver_unit=receiver["id"] if receiver else None,
        package=package.id,
        package_version=version.id,
    )
    await candidate_list.save().run()
    row = await list_read.list_row(candidate_list.id)
    assert row is not None
    await _prefill_from_rules(package, row, unit, on, stats)
    await aggregation.pull_entries(row, await aggregation.accepted_lists_below(row))
    await _record_transition(actor_of(access), row["id"], "", "draft", 1)
    return await _detail(access, row)


# --- changing --------------------------------------------------------------------------


async def _bump(row: dict[str, Any], expected: int, values: dict[Any, Any] | None = None) -> int:
    """Move the list to ``expected + 1`` if nobody else did first; the new version."""
    if expected != row["version"]:
        raise _stale(row["version"])
    changes = {
        CandidateList.version: expected + 1,
        CandidateList.updated_at: dt.datetime.now(dt.UTC),
        **(values or {}),
    }
    updated = await (
        CandidateList.update(changes)
        .where(
            in_tenant(CandidateList),
            CandidateList.id == row["id"],
            CandidateList.version == expected,
        )
        .returning(CandidateList.id)
        .run()
    )
    if not updated:
        latest = await list_read.list_row(row["id"])
        raise _stale(latest["version"] if latest else expected + 1)
    return expected + 1


async def _editable(access: Access, list_id: int) -> dict[str, Any]:
    row = await visible_list(access, list_id)
    if not acts_for(access, row["unit_path"], WRITE):
        raise Forbidden(f"{NOT_OWNER} / Only the owning unit's users edit this list")
    return row


def _require_state(row: dict[str, Any], states: frozenset[str] | set[str], action: str) -> None:
    if row["state"] not in states:
        raise Conflict(
            f"Không thể {action} danh sách {LIST_STATE_LABELS.get(row['state'], row['state'])} / "
            f"A list in state {row['state']} cannot be changed this way: state",
            field="state",
        )


async def _candidate_in_scope(row: dict[str, Any], candidate_id: int, field: str) -> dict[str, Any]:
    candidate = await (
        Candidate.select()
        .where(
            in_tenant(Candidate),
            Candidate.id == candidate_id,
            Candidate.unit_path.like(f"{row['unit_path']}%"),
        )
        .first()
        .run()
    )
    if candidate is None:
        raise InvalidInput(
            f"Quần chúng không thuộc đơn vị của danh sách / "
            f"The candidate is not in the list's unit: {field}",
            field=field,
        )
    return candidate


async def change_list(access: Access, list_id: int, data: ListChange) -> ListDetail:
    """Add people (a refused one only with a justification the rules allow) and remove
    people (with a reason), in one step on the version the caller read. A change with
    nothing to add or remove writes nothing: the list comes back as it is, same version."""
    row = await _editable(access, list_id)
    _require_state(row, EDITABLE, "sửa")
    if not data.add and not data.remove:
        return await _detail(access, row)
    expected = _require_version(data.version)
    version = await _bump(row, expected)
    entries = {
        e["candidate"]: e
        for e in await ListEntry.select()
        .where(in_tenant(ListEntry), ListEntry.candidate_list == list_id)
        .run()
    }
    package = await tenant_package()
    on = evaluation_day(row["period_opens"], row["period_deadline"])
    added: list[dict[str, Any]] = []
    removed: list[dict[str, Any]] = []
    for index, item in enumerate(data.add):
        field = f"add[{index}]"
        added.append(await _add(actor_of(access), package, row, entries, item, on, field))
    for index, item in enumerate(data.remove):
        field = f"remove[{index}]"
        reason = nfc(item.reason).strip()
        if not reason:
            raise InvalidInput(
                f"Cần ghi lý do đưa ra khỏi danh sách / A reason is required: {field}.reason",
                field=f"{field}.reason",
            )
        entry = entries.get(item.candidate_id)
        if entry is None or not entry["included"]:
            raise InvalidInput(
                f"Người này không có trong danh sách / Not on the list: {field}.candidate_id",
                field=f"{field}.candidate_id",
            )
        await (
            ListEntry.update({ListEntry.included: False, ListEntry.removal_reason: reason})
            .where(in_tenant(ListEntry), ListEntry.id == entry["id"])
            .run()
        )
        person = await _candidate_in_scope(row, item.candidate_id, f"{field}.candidate_id")
        await record_higher_removal(actor_of(access), row, person["id"], person["unit"], reason)
        entry["included"] = False
        removed.append({"candidate_id": item.candidate_id, "reason": reason})
    await record_event(
        actor_of(access),
        "list_edited",
        "candidate_list",
        list_id,
        {"version": expected},
        {"version": version, "added": added, "removed": removed},
    )
    return await get_list(access, list_id)


async def _add(
    actor: Actor,
    package: RulesPackage,
    row: dict[str, Any],
    entries: dict[int, dict[str, Any]],
    item: Any,
    on: dt.date,
    field: str,
) -> dict[str, Any]:
    current = entries.get(item.candidate_id)
    if current is not None and current["included"]:
        raise InvalidInput(
            f"Người này đã có trong danh sách / Already on the list: {field}.candidate_id",
            field=f"{field}.candidate_id",
        )
    candidate = await _candidate_in_scope(row, item.candidate_id, f"{field}.candidate_id")
    unit = await OrgUnit.select().where(in_tenant(OrgUnit), OrgUnit.id == candidate["unit"]).run()
    facts_unit = {**unit[0], "bloc": await chain.effective_bloc(unit[0])}
    decision = STEP_DECISIONS[row["step"]]
    outcomes = await decide(package, [candidate], {candidate["unit"]: facts_unit}, on, decision)
    result = outcomes[candidate["id"]]
    justification = nfc(item.override_justification or "").strip() or None
    exclusion = (await active_exclusions([candidate["id"]])).get(candidate["id"])
    if exclusion is not None and justification is None:
        raise InvalidInput(
            f"{exclusion_note(exclusion)}. Muốn đưa lại vào danh sách, hãy ghi lý do / "
            f"A higher level took this person off a list; re-adding needs a reason: "
            f"{field}.override_justification",
            field=f"{field}.override_justification",
        )
    if result.outcome == "not_eligible":
        reasons = "; ".join(r.message_vi for r in result.reasons)
        raise InvalidInput(
            f"Không đủ điều kiện theo quy định, không thể đưa vào danh sách: {reasons} / "
            f"The rules refuse this candidate: {field}.candidate_id",
            field=f"{field}.candidate_id",
        )
    if result.outcome == "needs_review" and justification is None:
        reasons = "; ".join(r.message_vi for r in result.reasons)
        raise InvalidInput(
            f"Cần ghi lý do khi đưa vào danh sách người chưa được quy định xác nhận: {reasons} / "
            f"An override_justification is required: {field}.override_justification",
            field=f"{field}.override_justification",
        )
    values = {
        ListEntry.included: True,
        ListEntry.outcome: result.outcome,
        ListEntry.reasons: reasons_to_json(result.reasons),
        ListEntry.override_justification: justification
        if result.outcome != "eligible" or exclusion is not None
        else None,
        ListEntry.removal_reason: None,
        ListEntry.inputs_hash: result.inputs_hash,
    }
    if current is not None:
        await (
            ListEntry.update(values)
            .where(in_tenant(ListEntry), ListEntry.id == current["id"])
            .run()
        )
        current["included"] = True
    else:
        await ListEntry.insert(
            ListEntry(
                tenant_id=require_tenant(),
                candidate_list=row["id"],
                candidate=candidate["id"],
                source="manual",
                unit=candidate["unit"],
                **{column._meta.name: value for column, value in values.items()},
            )
        ).run()
        entries[candidate["id"]] = {"candidate": candidate["id"], "included": True, "id": None}
    if exclusion is not None and justification is not None:
        await lift(actor, exclusion, row["id"], justification)
    return {
        "candidate_id": candidate["id"],
        "outcome": result.outcome,
        **(
            {"override_justification": justification}
            if result.outcome != "eligible" or exclusion is not None
            else {}
        ),
        **({"readded_after_removal_by_list": exclusion["removed_by_list"]} if exclusion else {}),
    }


async def refresh_list(
    access: Access, list_id: int, version: int | None, stats: DecisionStats | None = None
) -> ListDetail:
    """Apply the rules again after candidates' data was corrected: the rules' own entries
    follow the new outcomes and new candidates appear; users' additions and removals stay."""
    row = await _editable(access, list_id)
    _require_state(row, EDITABLE, "cập nhật")
    expected = _require_version(version)
    new_version = await _bump(row, expected)
    package = await tenant_package()
    on = evaluation_day(row["period_opens"], row["period_deadline"])
    unit = (await OrgUnit.select().where(in_tenant(OrgUnit), OrgUnit.id == row["unit"]).run())[0]
    candidates = await (
        Candidate.select()
        .where(
            in_tenant(Candidate),
            Candidate.unit == unit["id"],
            Candidate.is_party_member == False,  # noqa: E712
        )
        .run()
    )
    facts_unit = {**unit, "bloc": await chain.effective_bloc(unit)}
    outcomes = await decide(
        package, candidates, {unit["id"]: facts_unit}, on, STEP_DECISIONS[row["step"]], stats
    )
    entries = {
        e["candidate"]: e
        for e in await ListEntry.select()
        .where(in_tenant(ListEntry), ListEntry.candidate_list == list_id)
        .run()
    }
    excluded = await active_exclusions(outcomes)
    changed: list[int] = []
    for candidate_id, result in sorted(outcomes.items()):
        values = {
            ListEntry.outcome: result.outcome,
            ListEntry.reasons: reasons_to_json(result.reasons),
            ListEntry.included: result.outcome == "eligible",
            ListEntry.inputs_hash: result.inputs_hash,
        }
        entry = entries.get(candidate_id)
        if candidate_id in excluded and (entry is None or entry["included"]):
            values[ListEntry.included] = False
            values[ListEntry.removal_reason] = exclusion_note(excluded[candidate_id])
            if entry is not None:
                # On the list before the higher level's removal: the removal wins.
                await (
                    ListEntry.update(values)
                    .where(in_tenant(ListEntry), ListEntry.id == entry["id"])
                    .run()
                )
                changed.append(candidate_id)
                continue
        if entry is None:
            await ListEntry.insert(
                ListEntry(
                    tenant_id=require_tenant(),
                    candidate_list=list_id,
                    candidate=candidate_id,
                    source="rules",
                    unit=unit["id"],
                    **{column._meta.name: value for column, value in values.items()},
                )
            ).run()
            changed.append(candidate_id)
        elif (
            entry["source"] == "rules"
            and entry["removal_reason"] is None
            and entry["override_justification"] is None
            and (entry["outcome"], entry["inputs_hash"]) != (result.outcome, result.inputs_hash)
        ):
            await (
                ListEntry.update(values)
                .where(in_tenant(ListEntry), ListEntry.id == entry["id"])
                .run()
            )
            changed.append(candidate_id)
    await record_event(
        actor_of(access),
        "list_refreshed",
        "candidate_list",
        list_id,
        {"version": expected},
        {"version": new_version, "changed": changed},
    )
    return await get_list(access, list_id)


def _summary(row: dict[str, Any], state: str, version: int) -> ListSummary:
    return ListSummary(
        id=row["id"],
        tenant_id=row["tenant_id"],
        unit_id=row["unit"],
        step=row["step"],
        period=row["period_code"],
        state=state,
        version=version,
        receiver_unit_id=row["receiver_unit"],
    )


async def adopt_list(
    access: Access, list_id: int, resolution: ResolutionIn, version: int | None
) -> ListDetail:
    """Adopt the list by a resolution of its cell or committee (thresholds from the rules)."""
    row = await _editable(access, list_id)
    _require_state(row, EDITABLE, "thông qua")
    expected = _require_version(version)
    new_version = await _bump(row, expected, {CandidateList.state: "adopted"})
    package = await tenant_package()
    actor = actor_of(access)
    adopted = await record_resolution(
        package, actor, row["unit"], "list_adoption", resolution, row["id"]
    )
    comment = f"Nghị quyết số {adopted.number} ngày {adopted.adopted_on:%d/%m/%Y}"
    await _record_transition(actor, list_id, row["state"], "adopted", new_version, comment)
    return await get_list(access, list_id)


async def submit_list(access: Access, list_id: int, version: int | None) -> ListDetail:
    """Send an adopted list to the unit the reporting chain names."""
    row = await _editable(access, list_id)
    _require_state(row, {"adopted"}, "gửi")
    expected = _require_version(version)
    package = await tenant_package()
    unit = await OrgUnit.select().where(in_tenant(OrgUnit), OrgUnit.id == row["unit"]).run()
    try:
        receiver = await chain.receiver_for(package, unit[0], row["period_opens"])
    except chain.ChainBroken as error:
        raise InvalidInput(f"{error}: receiver", field="receiver") from error
    if receiver is None:
        raise InvalidInput(
            "Không tìm thấy cấp nhận báo cáo theo quy định / No receiving unit: receiver",
            field="receiver",
        )
    new_version = await _bump(
        row,
        expected,
        {
            CandidateList.state: "submitted",
            CandidateList.receiver_unit: receiver["id"],
            CandidateList.submitted_at: dt.datetime.now(dt.UTC),
            CandidateList.return_comment: "",
        },
    )
    actor = actor_of(access)
    await _record_transition(actor, list_id, "adopted", "submitted", new_version, receiver["name"])
    row = {**row, "receiver_unit": receiver["id"]}
    emit(
        ListEvent(
            kind="submitted", candidate_list=_summary(row, "submitted", new_version), actor=actor
        )
    )
    return await get_list(access, list_id)


async def _receivable(access: Access, list_id: int) -> dict[str, Any]:
    row = await visible_list(access, list_id)
    receiver_path = row["receiver_unit.path"]
    if not acts_for(access, receiver_path, APPROVE):
        raise Forbidden(f"{NOT_RECEIVER} / Only an approver of the receiving unit may act")
    _require_state(row, {"submitted"}, "trả lại hoặc tiếp nhận")
    return row


async def return_list(
    access: Access, list_id: int, comment: str, version: int | None
) -> ListDetail:
    """Send a submitted list back to its unit with a comment; it is edited and sent again."""
    comment = nfc(comment).strip()
    if not comment:
        raise InvalidInput(
            "Cần ghi ý kiến khi trả lại danh sách / A comment is required: comment",
            field="comment",
        )
    row = await _receivable(access, list_id)
    expected = _require_version(version)
    new_version = await _bump(
        row, expected, {CandidateList.state: "returned", CandidateList.return_comment: comment}
    )
    actor = actor_of(access)
    await _record_transition(actor, list_id, "submitted", "returned", new_version, comment)
    emit(
        ListEvent(
            kind="returned",
            candidate_list=_summary(row, "returned", new_version),
            actor=actor,
            comment=comment,
        )
    )
    return await get_list(access, list_id)


async def _reopen(actor: Actor, upper: dict[str, Any], late: dict[str, Any]) -> dict[str, Any]:
    """Send the receiver's adopted list back to draft: its resolution did not cover the
    people of ``late``, accepted after it."""
    unit = await OrgUnit.select(OrgUnit.name).where(in_tenant(OrgUnit), OrgUnit.id == late["unit"])
    reason = (
        f"Tiếp nhận thêm danh sách của {unit[0]['name']} (số {late['id']}) sau khi đã thông qua; "
        "cần thông qua lại"
    )
    version = await _bump(upper, upper["version"], {CandidateList.state: "draft"})
    await _record_transition(
        actor, upper["id"], "adopted", "draft", version, reason, action="list_reopened"
    )
    return {**upper, "state": "draft", "version": version}


async def accept_list(
    access: Access, list_id: int, version: int | None, comment: str = ""
) -> ListDetail:
    """Accept a submitted list: its people join the receiver's own list for the period.

    An upper level aggregates what it accepted. A list from below that arrives after the
    receiver adopted its own list (not yet sent up) reopens that list: it goes back to
    draft, grows by the people accepted, and is adopted again by a new resolution. Once
    the receiver's list was sent up it cannot change: the upper level returns it first,
    or, if it was already accepted above, the late list is returned to be made again in
    the next (supplement) period.
    """
    row = await _receivable(access, list_id)
    expected = _require_version(version)
    upper = await (
        CandidateList.select()
        .where(
            in_tenant(CandidateList),
            CandidateList.unit == row["receiver_unit"],
            CandidateList.step == row["step"],
            CandidateList.period_code == row["period_code"],
        )
        .first()
        .run()
    )
    if upper is not None and upper["state"] == "submitted":
        raise Conflict(
            f"Danh sách tổng hợp của cấp nhận (số {upper['id']}) đã gửi lên cấp trên; "
            "đề nghị cấp trên trả lại danh sách đó rồi tiếp nhận danh sách này. / "
            "The receiver's own list was submitted; have it returned first: state",
            field="state",
        )
    if upper is not None and upper["state"] == "accepted":
        raise Conflict(
            f"Danh sách tổng hợp của cấp nhận (số {upper['id']}) đã được cấp trên tiếp nhận; "
            "hãy trả lại danh sách này để đơn vị lập trong kỳ bổ sung sau. / "
            "The receiver's own list was accepted above; return this one for the next "
            "period: state",
            field="state",
        )
    new_version = await _bump(row, expected, {CandidateList.state: "accepted"})
    actor = actor_of(access)
    await _record_transition(actor, list_id, "submitted", "accepted", new_version, nfc(comment))
    await list_stage_events.apply_accepted_list(actor, row, today_in_vietnam())
    if upper is not None:
        # The receiver's draft grows by the accepted people: a new version of it too.
        added = await aggregation.pull_entries(upper, [row])
        if added and upper["state"] == "adopted":
            upper = await _reopen(actor, upper, row)
        if added:
            upper_version = await _bump(upper, upper["version"])
            await record_event(
                actor,
                "list_aggregated",
                "candidate_list",
                upper["id"],
                {"version": upper_version - 1},
                {"version": upper_version, "source_list": list_id, "added": added},
            )
    emit(
        ListEvent(
            kind="accepted", candidate_list=_summary(row, "accepted", new_version), actor=actor
        )
    )
    return await get_list(access, list_id)


__all__ = [
    "EDITABLE",
    "STEP_DECISIONS",
    "accept_list",
    "adopt_list",
    "change_list",
    "create_list",
    "get_list",
    "inbox",
    "refresh_list",
    "resolve_period",
    "return_list",
    "search_lists",
    "submit_list",
    "visible_list",
]
