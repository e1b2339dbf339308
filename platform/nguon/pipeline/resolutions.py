"""Resolutions (nghị quyết) of a cell or committee, checked against the package's thresholds.

A list is adopted by one; so are the quarterly additions and removals, and the
assignment of helpers (``record_resolution`` with another ``kind``).
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

from nguon.audit.service import Actor, record_event
from nguon.clock import today_in_vietnam
from nguon.errors import InvalidInput
from nguon.org.tables import OrgUnit
from nguon.pipeline.schemas import ResolutionIn, ResolutionOut
from nguon.pipeline.tables import Resolution
from nguon.rules.errors import RulesError
from nguon.rules.package import RulesPackage
from nguon.tenancy.context import require_tenant
from nguon.tenancy.scoped import in_tenant
from nguon.text import nfc

QUORUM_PARAMETER = "resolution_quorum_share"
APPROVAL_PARAMETER = "resolution_approval_share"

FIELD = "resolution"
"""Where a resolution sits in every request body that carries one."""

KINDS = frozenset({"list_adoption", "quarterly_review", "helper_assignment", "admission_proposal"})


def _share(package: RulesPackage, name: str, on: dt.date) -> Fraction:
    try:
        return Fraction(str(package.parameter(name, on)))
    except RulesError:
        raise InvalidInput(
            f"Ngày {on:%d/%m/%Y} chưa có quy định về biểu quyết trong gói quy tắc của tỉnh / "
            f"The province's rules say nothing about votes on {on}: resolution.adopted_on",
            field="resolution.adopted_on",
        ) from None


CELL_VOTERS = ("đảng viên chính thức", "đảng viên")
COMMITTEE_VOTERS = ("ủy viên ban chấp hành", "ủy viên")


def voters_of(package: RulesPackage, kind: str | None) -> tuple[str, str]:
    """Who votes a unit's resolutions, as (the whole body, one of them): a cell's full
    members, a committee's executive committee members."""
    spec = package.unit_kind_specs.get(kind or "")
    return CELL_VOTERS if spec is not None and spec.is_cell else COMMITTEE_VOTERS


async def unit_voters(package: RulesPackage, unit_id: int) -> tuple[str, str]:
    rows = await OrgUnit.select(OrgUnit.kind).where(in_tenant(OrgUnit), OrgUnit.id == unit_id)
    return voters_of(package, rows[0]["kind"] if rows else None)


def check_thresholds(
    package: RulesPackage, data: ResolutionIn, voters: tuple[str, str] = CELL_VOTERS
) -> None:
    """Refuse a resolution whose counts are impossible or below the package's thresholds;
    ``voters`` names who voted in the messages."""
    body, one = voters
    if not nfc(data.number).strip():
        raise InvalidInput(
            "Số nghị quyết không được để trống / number is empty", field=f"{FIELD}.number"
        )
    if data.adopted_on > today_in_vietnam():
        raise InvalidInput(
            "Ngày thông qua không được ở tương lai / adopted_on is in the future",
            field=f"{FIELD}.adopted_on",
        )
    if data.members_total < 1:
        raise InvalidInput(
            f"Tổng số {body} phải lớn hơn 0 / members_total must be positive",
            field=f"{FIELD}.members_total",
        )
    if not 0 <= data.members_present <= data.members_total:
        raise InvalidInput(
            "Số có mặt phải từ 0 đến tổng số / members_present must be between 0 and the total",
            field=f"{FIELD}.members_present",
        )
    if not 0 <= data.members_agreeing <= data.members_present:
        raise InvalidInput(
            "Số tán thành không được vượt quá số có mặt / "
            "members_agreeing must be between 0 and those present",
            field=f"{FIELD}.members_agreeing",
        )
    quorum = _share(package, QUORUM_PARAMETER, data.adopted_on)
    if Fraction(data.members_present, data.members_total) <= quorum:
        raise InvalidInput(
            f"Không đủ số {one} dự họp: có mặt {data.members_present}/{data.members_total}, "
            f"cần nhiều hơn {quorum} tổng số. / "
            f"Not enough members present: members_present must exceed {quorum} of the total",
            field=f"{FIELD}.members_present",
        )
    approval = _share(package, APPROVAL_PARAMETER, data.adopted_on)
    if Fraction(data.members_agreeing, data.members_total) < approval:
        raise InvalidInput(
            f"Nghị quyết không được thông qua: {data.members_agreeing}/{data.members_total} "
            f"{body} tán thành, cần ít nhất {approval} tổng số. / "
            f"Not adopted: members_agreeing must be at least {approval} of the total",
            field=f"{FIELD}.members_agreeing",
        )


def resolution_out(row: dict[str, Any]) -> ResolutionOut:
    return ResolutionOut(
        id=row["id"],
        kind=row["kind"],
        number=row["number"],
        adopted_on=row["adopted_on"],
        members_total=row["members_total"],
        members_present=row["members_present"],
        members_agreeing=row["members_agreeing"],
        notes=row["notes"],
    )


async def record_resolution(
    package: RulesPackage,
    actor: Actor,
    unit_id: int,
    kind: str,
    data: ResolutionIn,
    candidate_list_id: int | None = None,
) -> ResolutionOut:
    """Check and store a resolution of ``unit_id`` (the caller checked the unit's rights)."""
    if kind not in KINDS:
        raise InvalidInput(f"Loại nghị quyết không hợp lệ / Unknown kind: {kind}", field="kind")
    check_thresholds(package, data, await unit_voters(package, unit_id))
    resolution = Resolution(
        tenant_id=require_tenant(),
        unit=unit_id,
        candidate_list=candidate_list_id,
        kind=kind,
        number=nfc(data.number).strip(),
        adopted_on=data.adopted_on,
        members_total=data.members_total,
        members_present=data.members_present,
        members_agreeing=data.members_agreeing,
        notes=nfc(data.notes),
        created_by=actor.user_id,
    )
    await resolution.save().run()
    row = await Resolution.select().where(in_tenant(Resolution), Resolution.id == resolution.id)
    out = resolution_out(row[0])
    await record_event(actor, "create", "resolution", out.id, None, {"kind": kind, "unit": unit_id})
    return out
