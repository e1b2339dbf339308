"""Helpers (đảng viên giúp đỡ): a cell's resolution assigns an official member to help
each certified candidate (Step 3); the accepted admission-source list, not the helper,
makes them an admission source.

Who may help: a full (official) member of the cell that holds the candidate or of a
unit under it; at most ``max_candidates_per_helper`` candidates at once when the
tenant's package sets that parameter.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from nguon.accounts.permissions import WRITE, Access, visible_row
from nguon.audit.service import record_event
from nguon.clock import today_in_vietnam
from nguon.errors import Conflict, Forbidden, InvalidInput, NotFound
from nguon.people.tables import Member
from nguon.pipeline.evaluation import evaluate_rows
from nguon.pipeline.helper_schemas import HelperAssign, HelperEnd, HelperList, HelperOut
from nguon.pipeline.resolutions import check_thresholds, record_resolution
from nguon.pipeline.stages import (
    actor_of,
    require_transition,
    rules_refusal,
    stale_message,
    visible_candidate,
)
from nguon.pipeline.tables import HelperAssignment, Resolution
from nguon.tenancy.context import require_tenant
from nguon.tenancy.package import tenant_package
from nguon.tenancy.scoped import in_tenant
from nguon.text import nfc

RESOLUTION_KIND = "helper_assignment"
LIMIT_PARAMETER = "max_candidates_per_helper"
CERTIFICATE_REASONS = frozenset({"certificate_missing", "certificate_expired"})


def _today() -> dt.date:
    return today_in_vietnam()


def _in_force(on: dt.date) -> Any:
    return HelperAssignment.ended_on.is_null() | (HelperAssignment.ended_on > on)


async def visible_member(access: Access, member_id: int) -> dict[str, Any]:
    return await visible_row(access, Member, Member.unit_path, member_id, "member")


def require_member(member: dict[str, Any], field: str) -> None:
    """A member whose membership has not ended (official or probationary)."""
    if member["ended_on"] is not None:
        raise InvalidInput(
            f"Đảng viên {member['full_name']} đã kết thúc sinh hoạt ngày "
            f"{member['ended_on'].strftime('%d/%m/%Y')} / The membership has ended: {field}",
            field=field,
        )


def require_official(member: dict[str, Any], field: str) -> None:
    if member["ended_on"] is not None:
        raise InvalidInput(
            f"Đảng viên {member['full_name']} đã kết thúc sinh hoạt ngày "
            f"{member['ended_on'].strftime('%d/%m/%Y')} / The membership has ended: {field}",
            field=field,
        )
    if member["status"] != "full":
        raise InvalidInput(
            f"Đảng viên {member['full_name']} chưa là đảng viên chính thức / "
            f"The member is not a full (official) member: {field}",
            field=field,
        )


async def _check_limit(member: dict[str, Any], on: dt.date) -> None:
    package = await tenant_package()
    if LIMIT_PARAMETER not in package.parameters:
        return
    limit = int(package.parameter(LIMIT_PARAMETER, on))
    helping = await HelperAssignment.count().where(
        in_tenant(HelperAssignment), HelperAssignment.member == member["id"], _in_force(on)
    )
    if helping >= limit:
        raise InvalidInput(
            f"Đảng viên {member['full_name']} đã giúp đỡ {helping} quần chúng (tối đa {limit}) / "
            "The member already helps the most candidates allowed: member_id",
            field="member_id",
        )


async def _refuse_without_valid_certificate(candidate: dict[str, Any], on: dt.date) -> None:
    decision = "admission_source_list"
    evaluation = (await evaluate_rows([candidate], on, [decision]))[candidate["id"]]
    reasons = [r for r in evaluation.decisions[decision].reasons if r.code in CERTIFICATE_REASONS]
    if reasons:
        raise rules_refusal("admission_source", "not_eligible", reasons)


async def helper_out(row: dict[str, Any]) -> HelperOut:
    member = await (
        Member.select(Member.full_name).where(in_tenant(Member), Member.id == row["member"]).first()
    ).run()
    number = None
    if row["resolution"] is not None:
        resolution = await (
            Resolution.select(Resolution.number)
            .where(in_tenant(Resolution), Resolution.id == row["resolution"])
            .first()
            .run()
        )
        number = resolution["number"] if resolution else None
    return HelperOut(
        id=row["id"],
        candidate_id=row["candidate"],
        member_id=row["member"],
        member_name=member["full_name"] if member else "",
        resolution_id=row["resolution"],
        resolution_number=number,
        assigned_on=row["assigned_on"],
        ended_on=row["ended_on"],
        end_reason=row["end_reason"],
    )


async def assign_helper(access: Access, data: HelperAssign) -> HelperOut:
    """Record the resolution and the assignment (the machine's ``helper_resolution``) for
    a person holding a valid certificate. It never changes the stage: the accepted
    admission-source list (Step 3) does."""
    candidate = await visible_candidate(access, data.candidate_id)
    if not access.can(candidate["unit_path"], WRITE):
        raise Forbidden("Bạn không có quyền sửa hồ sơ này / Your role cannot edit this record")
    if data.candidate_version != candidate["version"]:
        raise Conflict(stale_message("candidate"), field="candidate_version")
    package = await tenant_package()
    check_thresholds(package, data.resolution)
    on = data.resolution.adopted_on
    member = await visible_member(access, data.member_id)
    require_official(member, "member_id")
    if not member["unit_path"].startswith(candidate["unit_path"]):
        raise InvalidInput(
            f"Đảng viên {member['full_name']} không sinh hoạt ở chi bộ của quần chúng / "
            "The member does not belong to the candidate's cell: member_id",
            field="member_id",
        )
    current = await HelperAssignment.count().where(
        in_tenant(HelperAssignment),
        HelperAssignment.candidate == candidate["id"],
        _in_force(on),
    )
    if current:
        raise Conflict(
            "Quần chúng đã có đảng viên giúp đỡ; hãy kết thúc phân công cũ trước / "
            "The candidate already has a helper; end that assignment first: candidate_id",
            field="candidate_id",
        )
    await _check_limit(member, on)
    actor = actor_of(access)
    await require_transition(candidate, "helper_resolution", "candidate_id", on)
    await _refuse_without_valid_certificate(candidate, on)
    resolution = await record_resolution(
        package, actor, candidate["unit"], RESOLUTION_KIND, data.resolution
    )
    assignment = HelperAssignment(
        tenant_id=require_tenant(),
        candidate=candidate["id"],
        member=member["id"],
        resolution=resolution.id,
        assigned_on=on,
    )
    await assignment.save().run()
    await record_event(
        actor,
        "assign",
        "helper_assignment",
        assignment.id,
        None,
        {"candidate": candidate["id"], "member": member["id"], "resolution": resolution.id},
    )
    return await helper_out(await _assignment_row(access, assignment.id))


async def _assignment_row(access: Access, assignment_id: int) -> dict[str, Any]:
    row = await (
        HelperAssignment.select()
        .where(in_tenant(HelperAssignment), HelperAssignment.id == assignment_id)
        .first()
        .run()
    )
    if row is None:
        raise NotFound("helper assignment")
    await visible_candidate(access, row["candidate"])
    return row


async def end_helper(access: Access, assignment_id: int, data: HelperEnd) -> HelperOut:
    row = await _assignment_row(access, assignment_id)
    candidate = await visible_candidate(access, row["candidate"])
    if not access.can(candidate["unit_path"], WRITE):
        raise Forbidden("Bạn không có quyền sửa hồ sơ này / Your role cannot edit this record")
    if row["ended_on"] is not None:
        raise Conflict(
            "Phân công này đã kết thúc / The assignment has already ended: ended_on",
            field="ended_on",
        )
    if data.ended_on < row["assigned_on"] or data.ended_on > _today():
        raise InvalidInput(
            "Ngày kết thúc phải từ ngày phân công đến hôm nay / "
            "ended_on must be between the assignment and today: ended_on",
            field="ended_on",
        )
    reason = nfc(data.reason).strip()
    updated = await (
        HelperAssignment.update({"ended_on": data.ended_on, "end_reason": reason})
        .where(
            in_tenant(HelperAssignment),
            HelperAssignment.id == assignment_id,
            HelperAssignment.ended_on.is_null(),
        )
        .returning(HelperAssignment.id)
        .run()
    )
    if not updated:
        raise Conflict(stale_message("helper assignment"), field="ended_on")
    await record_event(
        actor_of(access),
        "end",
        "helper_assignment",
        assignment_id,
        {"ended_on": None},
        {"ended_on": data.ended_on, "end_reason": reason},
    )
    return await helper_out(await _assignment_row(access, assignment_id))


async def list_helpers(access: Access, candidate_id: int) -> HelperList:
    """The candidate's helper assignments, current and past, oldest first."""
    await visible_candidate(access, candidate_id)
    rows = await (
        HelperAssignment.select()
        .where(in_tenant(HelperAssignment), HelperAssignment.candidate == candidate_id)
        .order_by(HelperAssignment.id)
        .run()
    )
    return HelperList(items=[await helper_out(r) for r in rows])
