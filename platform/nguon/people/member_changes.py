"""A Party member's life in the tenant: added, transferred between cells, membership
ended; each change dated, with its reason and who recorded it (by full name), audited.

A transfer stays inside the caller's subtree: the member's current cell and the
receiving cell must both be units the caller may edit. A member who leaves the
candidate's cell, or whose membership ends, stops helping the candidates of that cell:
those helper assignments end on the same day, with the reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from nguon.accounts.permissions import WRITE, Access, visible_row
from nguon.audit.service import Actor, record_event
from nguon.clock import today_in_vietnam
from nguon.errors import Conflict, Forbidden, InvalidInput, NotFound
from nguon.org.tables import OrgUnit
from nguon.org.validity import in_force_on
from nguon.people.labels import END_REASON_LABELS
from nguon.people.schemas import (
    MemberChangeOut,
    MemberEnd,
    MemberHistory,
    MemberTransfer,
)
from nguon.people.tables import Candidate, Member, MemberChange
from nguon.pipeline.tables import HelperAssignment
from nguon.tenancy.context import require_tenant
from nguon.tenancy.package import tenant_package
from nguon.tenancy.scoped import in_tenant
from nguon.text import nfc

SYSTEM_NAME = "Hệ thống"


class ChangeActor(Actor, frozen=True):
    """Who records a change: the audit label and id, and the full name history shows."""

    full_name: str = SYSTEM_NAME


def change_actor(access: Access) -> ChangeActor:
    return ChangeActor(label=access.username, user_id=access.user_id, full_name=access.full_name)


def stale_member_message(latest: int) -> str:
    return (
        f"Hồ sơ đảng viên đã được người khác sửa (phiên bản hiện tại {latest}); hãy tải lại. / "
        f"The member was changed by someone else (current version {latest}); reload it: version"
    )


async def ensure_card_free(card_number: str, except_id: int | None = None) -> None:
    query = Member.select(Member.id, Member.full_name).where(
        in_tenant(Member), Member.card_number == card_number
    )
    if except_id is not None:
        query = query.where(Member.id != except_id)
    taken = await query.first().run()
    if taken is not None:
        raise Conflict(
            f"Số thẻ đảng viên {card_number} đã được ghi cho {taken['full_name']} / "
            "This Party card number is already recorded: card_number",
            field="card_number",
        )


async def record_change(
    actor: ChangeActor,
    member_id: int,
    kind: str,
    on: dt.date,
    *,
    from_unit: int | None = None,
    to_unit: int | None = None,
    reason: str = "",
) -> None:
    await MemberChange.insert(
        MemberChange(
            tenant_id=require_tenant(),
            member=member_id,
            kind=kind,
            changed_on=on,
            from_unit=from_unit,
            to_unit=to_unit,
            reason=reason,
            actor_id=actor.user_id,
            actor_name=actor.full_name,
        )
    ).run()


async def visible_member_row(access: Access, member_id: int) -> dict[str, Any]:
    return await visible_row(access, Member, Member.unit_path, member_id, "member")


async def _editable_active(access: Access, member_id: int, version: int) -> dict[str, Any]:
    member = await visible_member_row(access, member_id)
    if not access.can(member["unit_path"], WRITE):
        raise Forbidden(
            "Bạn không có quyền quản lý đảng viên của chi bộ này / "
            "Your role cannot manage this cell's members"
        )
    if member["ended_on"] is not None:
        raise Conflict(
            f"Đảng viên {member['full_name']} đã kết thúc sinh hoạt ngày "
            f"{member['ended_on'].strftime('%d/%m/%Y')} / The membership has already ended: on",
            field="on",
        )
    if version != member["version"]:
        raise Conflict(stale_member_message(member["version"]), field="version")
    return member


async def _last_change_on(member_id: int) -> dt.date | None:
    row = await (
        MemberChange.select(MemberChange.changed_on)
        .where(
            in_tenant(MemberChange),
            MemberChange.member == member_id,
            MemberChange.kind.is_in(["transferred", "ended"]),
        )
        .order_by(MemberChange.changed_on, ascending=False)
        .first()
        .run()
    )
    return row["changed_on"] if row else None


async def _check_change_date(member: dict[str, Any], on: dt.date) -> None:
    if on > today_in_vietnam():
        raise InvalidInput("Ngày không được ở sau hôm nay / The date is in the future: on", "on")
    if on < member["admitted_on"]:
        raise InvalidInput(
            f"Ngày phải từ ngày vào Đảng ({member['admitted_on'].strftime('%d/%m/%Y')}) trở đi / "
            "The date is before the admission: on",
            field="on",
        )
    last = await _last_change_on(member["id"])
    if last is not None and on < last:
        raise InvalidInput(
            f"Ngày phải từ ngày thay đổi gần nhất ({last.strftime('%d/%m/%Y')}) trở đi / "
            "The date is before the member's latest change: on",
            field="on",
        )


async def receiving_unit(access: Access, unit_id: int) -> dict[str, Any]:
    """A cell in the caller's subtree that may take members today.

    Outside what the caller sees it is NotFound, as anything of another subtree; seen
    but not editable, Forbidden."""
    unit = await OrgUnit.select().where(in_tenant(OrgUnit), OrgUnit.id == unit_id).first().run()
    if unit is None or not access.can_see(unit["path"]):
        raise NotFound("unit")
    if not access.can(unit["path"], WRITE):
        raise Forbidden(
            "Chi bộ nhận không thuộc phạm vi bạn quản lý / "
            "The receiving cell is outside the units you manage: to_unit_id"
        )
    if not in_force_on(unit, today_in_vietnam()):
        raise InvalidInput(
            f"«{unit['name']}» đã kết thúc hoạt động / The receiving unit is closed: to_unit_id",
            field="to_unit_id",
        )
    if unit["kind"] not in (await tenant_package()).people_holding_kinds:
        raise InvalidInput(
            f"«{unit['name']}» không phải chi bộ / The receiving unit is not a cell: to_unit_id",
            field="to_unit_id",
        )
    return unit


async def _end_helping(
    actor: ChangeActor, member_id: int, on: dt.date, reason: str, still_in: str | None = None
) -> int:
    """End the member's helper assignments in force, except for candidates of cells under
    ``still_in`` (the receiving cell's path); returns how many ended."""
    rows = await (
        HelperAssignment.select(
            HelperAssignment.id, HelperAssignment.assigned_on, HelperAssignment.candidate
        )
        .where(
            in_tenant(HelperAssignment),
            HelperAssignment.member == member_id,
            HelperAssignment.ended_on.is_null() | (HelperAssignment.ended_on > on),
        )
        .run()
    )
    ended = 0
    for row in rows:
        if still_in is not None:
            candidate = await (
                Candidate.select(Candidate.unit_path)
                .where(in_tenant(Candidate), Candidate.id == row["candidate"])
                .first()
                .run()
            )
            if candidate is not None and still_in.startswith(candidate["unit_path"]):
                continue
        ended_on = max(on, row["assigned_on"])
        await (
            HelperAssignment.update({"ended_on": ended_on, "end_reason": reason})
            .where(in_tenant(HelperAssignment), HelperAssignment.id == row["id"])
            .run()
        )
        await record_event(
            actor,
            "end",
            "helper_assignment",
            row["id"],
            {"ended_on": None},
            {"ended_on": ended_on, "end_reason": reason},
        )
        ended += 1
    return ended


async def _bump(member: dict[str, Any], values: dict[str, Any]) -> None:
    updated = await (
        Member.update({**values, "version": member["version"] + 1})
        .where(
            in_tenant(Member),
            Member.id == member["id"],
            Member.version == member["version"],
        )
        .returning(Member.id)
        .run()
    )
    if not updated:
        raise Conflict(stale_member_message(member["version"] + 1), field="version")


async def transfer_member(access: Access, member_id: int, data: MemberTransfer) -> None:
    member = await _editable_active(access, member_id, data.version)
    target = await receiving_unit(access, data.to_unit_id)
    if target["id"] == member["unit"]:
        raise InvalidInput(
            "Đảng viên đang sinh hoạt ở chi bộ này / "
            "The member is already in this cell: to_unit_id",
            field="to_unit_id",
        )
    await _check_change_date(member, data.on)
    actor = change_actor(access)
    reason = nfc(data.reason).strip()
    await _bump(member, {"unit": target["id"], "unit_path": target["path"]})
    await record_change(
        actor,
        member_id,
        "transferred",
        data.on,
        from_unit=member["unit"],
        to_unit=target["id"],
        reason=reason,
    )
    await record_event(
        actor,
        "transfer",
        "member",
        member_id,
        {"unit": member["unit"]},
        {"unit": target["id"], "on": data.on, "reason": reason},
    )
    await _end_helping(
        actor,
        member_id,
        data.on,
        f"Đảng viên giúp đỡ chuyển sinh hoạt sang {target['name']}",
        still_in=target["path"],
    )


async def end_membership(access: Access, member_id: int, data: MemberEnd) -> None:
    member = await _editable_active(access, member_id, data.version)
    await _check_change_date(member, data.on)
    note = nfc(data.note).strip()
    if data.reason == "other" and not note:
        raise InvalidInput("Hãy ghi rõ lý do / Explain the reason: note", field="note")
    label = END_REASON_LABELS[data.reason]
    reason = f"{label}: {note}" if note else label
    actor = change_actor(access)
    await _bump(member, {"ended_on": data.on, "end_reason": data.reason})
    await record_change(actor, member_id, "ended", data.on, from_unit=member["unit"], reason=reason)
    await record_event(
        actor,
        "end",
        "member",
        member_id,
        {"ended_on": None},
        {"ended_on": data.on, "end_reason": data.reason, "note": note},
    )
    await _end_helping(actor, member_id, data.on, f"Đảng viên giúp đỡ kết thúc sinh hoạt: {label}")


async def member_history(access: Access, member_id: int) -> MemberHistory:
    """Every change of a member the caller may see, in the order it was recorded (a
    transfer may be recorded after the fact, dated before the member was added here)."""
    await visible_member_row(access, member_id)
    rows = await (
        MemberChange.select()
        .where(in_tenant(MemberChange), MemberChange.member == member_id)
        .order_by(MemberChange.id)
        .run()
    )
    unit_ids = {r[k] for r in rows for k in ("from_unit", "to_unit") if r[k] is not None}
    names: dict[int, str] = {}
    if unit_ids:
        units = await (
            OrgUnit.select(OrgUnit.id, OrgUnit.name)
            .where(in_tenant(OrgUnit), OrgUnit.id.is_in(sorted(unit_ids)))
            .run()
        )
        names = {u["id"]: u["name"] for u in units}
    return MemberHistory(
        items=[
            MemberChangeOut(
                id=r["id"],
                kind=r["kind"],
                changed_on=r["changed_on"],
                from_unit_id=r["from_unit"],
                from_unit_name=names.get(r["from_unit"]),
                to_unit_id=r["to_unit"],
                to_unit_name=names.get(r["to_unit"]),
                reason=r["reason"],
                actor_name=r["actor_name"],
                at=r["at"],
            )
            for r in rows
        ]
    )


async def helping_count(member_id: int, on: dt.date) -> int:
    """How many candidates the member helps on ``on`` (for the forms' warnings)."""
    return await HelperAssignment.count().where(
        in_tenant(HelperAssignment),
        HelperAssignment.member == member_id,
        HelperAssignment.assigned_on <= on,
        HelperAssignment.ended_on.is_null() | (HelperAssignment.ended_on > on),
    )
