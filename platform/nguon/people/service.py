"""Candidates and members: create, update, read and search, scoped to the tenant and to
the subtrees the caller may see.

Anything outside the caller's view (another tenant, a sibling cell) is NotFound; a
unit in view where the caller's role is too weak is Forbidden. National ID numbers are
stored encrypted with a keyed lookup hash and only ever leave here masked.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import msgspec
from cryptography.fernet import InvalidToken

from nguon.accounts.permissions import READ, WRITE, Access, visible_row
from nguon.audit.service import Actor, changed_fields, record_event
from nguon.clock import today_in_vietnam
from nguon.crypto import (
    current_key_id,
    decrypt_national_id,
    encrypt_national_id,
    national_id_lookup_hash,
    national_id_lookup_hashes,
)
from nguon.errors import Conflict, Forbidden, InvalidInput, NotFound
from nguon.org.tables import OrgUnit
from nguon.org.validity import in_force_on
from nguon.org.visibility import unit_in_reach
from nguon.people.member_changes import change_actor, ensure_card_free, record_change
from nguon.people.moves import record_transfer
from nguon.people.schemas import (
    PROTECTED_FIELDS,
    CandidateCreate,
    CandidateOut,
    CandidatePage,
    CandidateUpdate,
    MemberCreate,
    MemberOut,
    MemberPage,
    MemberState,
)
from nguon.people.tables import Candidate, Member
from nguon.tenancy.context import require_tenant
from nguon.tenancy.package import tenant_package
from nguon.tenancy.scoped import in_tenant
from nguon.text import nfc, search_key

MAX_PAGE_SIZE = 100
_TEXT_FIELDS = ("full_name", "ethnicity", "religion", "home_town", "residence", "occupation")
# Fields a candidate's audit diff and API output share (the national ID is handled apart).
_CANDIDATE_FIELDS = (
    "unit",
    "full_name",
    "date_of_birth",
    "sex",
    "ethnicity",
    "religion",
    "home_town",
    "residence",
    "education",
    "occupation",
    "youth_union_member",
    "trade_union_member",
    "hardship_area",
    "political_standard",
    "provincial_consent_over_60",
    "certificate_number",
    "certificate_date",
    "stage",
    "notes",
)

logger = logging.getLogger("nguon.people")


def actor_of(access: Access) -> Actor:
    return Actor(label=access.username, user_id=access.user_id)


def mask_national_id(national_id: str) -> str:
    return "*" * (len(national_id) - 4) + national_id[-4:]


UNREADABLE_NATIONAL_ID = "************"


def masked_stored_national_id(encrypted: str | None) -> str | None:
    """The masked number, or all stars when it cannot be decrypted (the key changed)."""
    if not encrypted:
        return None
    try:
        return mask_national_id(decrypt_national_id(encrypted))
    except InvalidToken:
        logger.warning("a national ID number cannot be decrypted; was NGUON_SECRET_KEY changed?")
        return UNREADABLE_NATIONAL_ID


def _clean_national_id(value: str) -> str:
    return "".join(value.split())


async def _unit_for_people(access: Access, unit_id: int, field: str = "unit_id") -> dict[str, Any]:
    """A unit the caller may edit and that holds people; errors name ``field``."""
    unit = await unit_in_reach(access, unit_id)
    if not access.can(unit["path"], WRITE):
        raise Forbidden("Bạn không có quyền sửa ở đơn vị này / Your role cannot edit this unit")
    if not in_force_on(unit, today_in_vietnam()):
        raise InvalidInput(
            f"«{unit['name']}» đã kết thúc hoạt động (sắp xếp lại tổ chức); hãy chọn đơn vị "
            f"đang hoạt động / The unit was closed by a restructuring: {field}",
            field=field,
        )
    if unit["kind"] not in (await tenant_package()).people_holding_kinds:
        raise InvalidInput(
            f"Đơn vị loại {unit['kind']} không quản lý quần chúng / "
            f"A unit of kind {unit['kind']} does not hold people: {field}",
            field=field,
        )
    if unit["valid_to"] is not None and unit["valid_to"] < today_in_vietnam():
        raise InvalidInput(f"Đơn vị đã giải thể / The unit no longer exists: {field}", field=field)
    return unit


PROTECTED_MESSAGES = {
    "stage": (
        "Không thể đặt giai đoạn khi thêm hoặc sửa hồ sơ: giai đoạn chỉ thay đổi qua danh "
        "sách được cấp trên chấp nhận, lớp bồi dưỡng, giấy chứng nhận, nghị quyết phân công "
        "giúp đỡ và quyết định kết nạp"
    ),
    "certificate_number": (
        "Không thể ghi số giấy chứng nhận khi thêm hoặc sửa hồ sơ: giấy chứng nhận chỉ được "
        "cấp ở lớp bồi dưỡng nhận thức về Đảng mà người này đã học đủ"
    ),
    "certificate_date": (
        "Không thể ghi ngày cấp giấy chứng nhận khi thêm hoặc sửa hồ sơ: giấy chứng nhận chỉ "
        "được cấp ở lớp bồi dưỡng nhận thức về Đảng mà người này đã học đủ"
    ),
}


def refuse_protected(values: dict[str, Any]) -> None:
    """A 400 naming the first stage or certificate field a create or update tries to set."""
    for field in PROTECTED_FIELDS:
        if values.pop(field, msgspec.UNSET) is not msgspec.UNSET:
            raise InvalidInput(
                f"{PROTECTED_MESSAGES[field]} / The field is read-only: {field}", field=field
            )


def _check_dates(values: dict[str, Any]) -> None:
    today = today_in_vietnam()
    for field in ("date_of_birth", "certificate_date", "admitted_on", "official_on"):
        value = values.get(field)
        if isinstance(value, dt.date) and value > today:
            raise InvalidInput(
                f"Ngày không được ở tương lai / Date is in the future: {field}", field=field
            )


def candidate_out(row: dict[str, Any]) -> CandidateOut:
    return CandidateOut(
        id=row["id"],
        unit_id=row["unit"],
        **{f: row[f] for f in _CANDIDATE_FIELDS if f != "unit"},
        is_party_member=row["is_party_member"],
        national_id_masked=masked_stored_national_id(row["national_id_encrypted"]),
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _audit_state(row: dict[str, Any]) -> dict[str, Any]:
    state = {f: row[f] for f in _CANDIDATE_FIELDS}
    # The hash stands in for the number: the audit writer redacts it, so a diff shows
    # that the ID changed without showing it.
    state["national_id"] = row["national_id_hash"]
    return state


async def _candidate_row(access: Access, candidate_id: int) -> dict[str, Any]:
    return await visible_row(access, Candidate, Candidate.unit_path, candidate_id, "candidate")


async def _ensure_national_id_free(national_id: str, except_id: int | None = None) -> None:
    """Refuse a number already recorded, whichever key (during a rotation) it is under."""
    query = Candidate.select(Candidate.id).where(
        in_tenant(Candidate),
        Candidate.national_id_hash.is_in(national_id_lookup_hashes(national_id)),
    )
    if except_id is not None:
        query = query.where(Candidate.id != except_id)
    if await query.first().run() is not None:
        raise Conflict(
            "Số định danh đã có trong hệ thống / This national ID is already recorded: national_id",
            field="national_id",
        )


async def create_candidate(access: Access, data: CandidateCreate) -> CandidateOut:
    unit = await _unit_for_people(access, data.unit_id)
    values = msgspec.structs.asdict(data)
    refuse_protected(values)
    values.pop("unit_id")
    national_id = values.pop("national_id")
    _check_dates(values)
    for field in _TEXT_FIELDS:
        values[field] = nfc(values[field])
    if not values["full_name"]:
        raise InvalidInput("Họ tên không được để trống / full_name is empty", field="full_name")
    if national_id is not None:
        national_id = _clean_national_id(national_id)
        values["national_id_hash"] = national_id_lookup_hash(national_id)
        values["national_id_encrypted"] = encrypt_national_id(national_id)
        values["national_id_key"] = current_key_id()
        await _ensure_national_id_free(national_id)
    candidate = Candidate(
        tenant_id=require_tenant(),
        unit=unit["id"],
        unit_path=unit["path"],
        name_search=search_key(values["full_name"]),
        **values,
    )
    await candidate.save().run()
    row = await _candidate_row(access, candidate.id)
    await record_event(actor_of(access), "create", "candidate", row["id"], None, _audit_state(row))
    return candidate_out(row)


async def get_candidate(access: Access, candidate_id: int) -> CandidateOut:
    return candidate_out(await _candidate_row(access, candidate_id))


async def update_candidate(
    access: Access, candidate_id: int, data: CandidateUpdate
) -> CandidateOut:
    current = await _candidate_row(access, candidate_id)
    if not access.can(current["unit_path"], WRITE):
        raise Forbidden("Bạn không có quyền sửa hồ sơ này / Your role cannot edit this record")
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    refuse_protected(changes)
    version = changes.pop("version")
    if version != current["version"]:
        raise Conflict(_stale_message(current["version"]), field="version")
    _check_dates(changes)
    values: dict[str, Any] = {}
    if "unit_id" in changes:
        unit_id = changes.pop("unit_id")
        if unit_id != current["unit"]:
            unit = await _unit_for_people(access, unit_id)
            values["unit"] = unit["id"]
            values["unit_path"] = unit["path"]
    if "national_id" in changes:
        national_id = changes.pop("national_id")
        if national_id is None:
            values["national_id_hash"] = None
            values["national_id_encrypted"] = None
            values["national_id_key"] = None
        else:
            national_id = _clean_national_id(national_id)
            lookup = national_id_lookup_hash(national_id)
            if lookup != current["national_id_hash"]:
                await _ensure_national_id_free(national_id, except_id=candidate_id)
                values["national_id_hash"] = lookup
                values["national_id_encrypted"] = encrypt_national_id(national_id)
                values["national_id_key"] = current_key_id()
    for field, value in changes.items():
        values[field] = nfc(value) if field in _TEXT_FIELDS else value
    if "full_name" in values:
        if not values["full_name"]:
            raise InvalidInput("Họ tên không được để trống / full_name is empty", field="full_name")
        values["name_search"] = search_key(values["full_name"])
    values["version"] = current["version"] + 1
    values["updated_at"] = dt.datetime.now(dt.UTC)
    updated = await (
        Candidate.update(values)
        .where(
            in_tenant(Candidate),
            Candidate.id == candidate_id,
            Candidate.version == current["version"],
        )
        .returning(Candidate.id)
        .run()
    )
    if not updated:
        latest = await _candidate_row(access, candidate_id)
        raise Conflict(_stale_message(latest["version"]), field="version")
    if "unit" in values:
        await record_transfer(candidate_id, current["unit"], values["unit"], today_in_vietnam())
    row = await _candidate_row(access, candidate_id)
    before, after = changed_fields(_audit_state(current), _audit_state(row))
    await record_event(actor_of(access), "update", "candidate", candidate_id, before, after)
    return candidate_out(row)


def _stale_message(latest: int) -> str:
    return (
        f"Hồ sơ đã được người khác sửa (phiên bản hiện tại {latest}); hãy tải lại. / "
        f"The record was changed by someone else (current version {latest}); reload it: version"
    )


def _name_clause(table: type[Candidate] | type[Member], q: str | None) -> Any:
    if not q:
        return None
    key = "".join(ch for ch in search_key(q) if ch not in "%_\\")
    return table.name_search.like(f"%{key}%") if key else None


async def search_candidates(
    access: Access,
    q: str | None = None,
    unit_id: int | None = None,
    page: int = 1,
    page_size: int = 20,
    after: tuple[str, int] | None = None,
    *,
    stage: str | None = None,
) -> CandidatePage:
    """A page of candidates by name then id: the ``page``-th, or the one after ``after``
    (the sort key of the previous page's last row, from its ``next``); ``stage``: only
    the people at that stage."""
    page_size = min(page_size, MAX_PAGE_SIZE)
    where = await _people_scope(access, Candidate, unit_id)
    if where is None:
        return CandidatePage(items=[], total=0, page=page, page_size=page_size)
    name = _name_clause(Candidate, q)
    if name is not None:
        where.append(name)
    if stage is not None:
        where.append(Candidate.stage == stage)
    total = await Candidate.count().where(*where).run()
    if after is not None:
        where.append(_after_key(Candidate, after))
    query = Candidate.select().where(*where).order_by(Candidate.name_search, Candidate.id)
    if after is None:
        query = query.offset((page - 1) * page_size)
    rows = await query.limit(page_size + 1).run()
    return CandidatePage(
        items=[candidate_out(r) for r in rows[:page_size]],
        total=total,
        page=page,
        page_size=page_size,
        next=_next_key(rows, page_size),
    )


def _after_key(table: type[Candidate] | type[Member], after: tuple[str, int]) -> Any:
    """Rows strictly after ``(name_search, id)`` in the lists' order."""
    name, row_id = after
    return (table.name_search > name) | ((table.name_search == name) & (table.id > row_id))


def _next_key(rows: list[dict[str, Any]], page_size: int) -> str | None:
    """The sort key of a page's last row, as JSON, when more rows follow it (the API signs
    it into an opaque cursor)."""
    if len(rows) <= page_size:
        return None
    last = rows[page_size - 1]
    return msgspec.json.encode([last["name_search"], last["id"]]).decode()


async def _people_scope(
    access: Access, table: type[Candidate] | type[Member], unit_id: int | None
) -> list[Any] | None:
    """WHERE clauses for a list: the tenant, the visible subtrees, optionally one unit's."""
    clause = access.visibility(table.unit_path)
    if clause is None:
        return None
    where: list[Any] = [in_tenant(table), clause]
    if unit_id is not None:
        unit = (
            await OrgUnit.select(OrgUnit.path)
            .where(in_tenant(OrgUnit), OrgUnit.id == unit_id)
            .first()
            .run()
        )
        if unit is None or not access.can(unit["path"], READ):
            raise NotFound("unit")
        where.append(table.unit_path.like(f"{unit['path']}%"))
    return where


def member_out(row: dict[str, Any]) -> MemberOut:
    return MemberOut(
        id=row["id"],
        unit_id=row["unit"],
        full_name=row["full_name"],
        date_of_birth=row["date_of_birth"],
        sex=row["sex"],
        status=row["status"],
        admitted_on=row["admitted_on"],
        official_on=row["official_on"],
        card_number=row["card_number"],
        ended_on=row["ended_on"],
        end_reason=row["end_reason"],
        version=row["version"],
        created_at=row["created_at"],
    )


async def _member_row(access: Access, member_id: int) -> dict[str, Any]:
    return await visible_row(access, Member, Member.unit_path, member_id, "member")


async def create_member(
    access: Access, data: MemberCreate, *, kind: str = "added", reason: str = ""
) -> MemberOut:
    """Record a member in a cell the caller may edit; ``kind`` and ``reason`` go to the
    member's history (``imported`` with the file's name for an import)."""
    unit = await _unit_for_people(access, data.unit_id)
    values = msgspec.structs.asdict(data)
    values.pop("unit_id")
    _check_dates(values)
    values["full_name"] = nfc(values["full_name"])
    if not values["full_name"]:
        raise InvalidInput("Họ tên không được để trống / full_name is empty", field="full_name")
    check_member_dates(values["date_of_birth"], values["admitted_on"], values["official_on"])
    if values["official_on"] is not None and values["status"] != "full":
        raise InvalidInput(
            "Đảng viên dự bị chưa có ngày công nhận chính thức / "
            "A probationary member has no official_on: official_on",
            field="official_on",
        )
    if values["card_number"] is not None:
        values["card_number"] = values["card_number"].upper()
        await ensure_card_free(values["card_number"])
    member = Member(
        tenant_id=require_tenant(),
        unit=unit["id"],
        unit_path=unit["path"],
        name_search=search_key(values["full_name"]),
        **values,
    )
    await member.save().run()
    row = await _member_row(access, member.id)
    after = {k: row[k] for k in ("unit", *values.keys())}
    actor = change_actor(access)
    await record_event(actor, "create", "member", row["id"], None, after)
    await record_change(
        actor, row["id"], kind, today_in_vietnam(), to_unit=unit["id"], reason=nfc(reason).strip()
    )
    return member_out(row)


def check_member_dates(
    date_of_birth: dt.date, admitted_on: dt.date, official_on: dt.date | None
) -> None:
    """Admission after birth (at 18 at the earliest), recognition after admission."""
    if admitted_on < _add_years(date_of_birth, 18):
        raise InvalidInput(
            "Ngày vào Đảng phải từ khi đủ 18 tuổi / admitted_on is before the 18th birthday",
            field="admitted_on",
        )
    if official_on is not None and official_on < admitted_on:
        raise InvalidInput(
            "Ngày chính thức trước ngày kết nạp / official_on is before admitted_on",
            field="official_on",
        )


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


async def get_member(access: Access, member_id: int) -> MemberOut:
    return member_out(await _member_row(access, member_id))


async def search_members(
    access: Access,
    q: str | None = None,
    unit_id: int | None = None,
    page: int = 1,
    page_size: int = 20,
    state: MemberState = "all",
    after: tuple[str, int] | None = None,
) -> MemberPage:
    """Members in the caller's subtrees; ``state`` keeps those still here (``current``)
    or those whose membership here ended (``ended``)."""
    page_size = min(page_size, MAX_PAGE_SIZE)
    where = await _people_scope(access, Member, unit_id)
    if where is None:
        return MemberPage(items=[], total=0, page=page, page_size=page_size)
    name = _name_clause(Member, q)
    if name is not None:
        where.append(name)
    if state == "current":
        where.append(Member.ended_on.is_null())
    elif state == "ended":
        where.append(Member.ended_on.is_not_null())
    total = await Member.count().where(*where).run()
    if after is not None:
        where.append(_after_key(Member, after))
    query = Member.select().where(*where).order_by(Member.name_search, Member.id)
    if after is None:
        query = query.offset((page - 1) * page_size)
    rows = await query.limit(page_size + 1).run()
    return MemberPage(
        items=[member_out(r) for r in rows[:page_size]],
        total=total,
        page=page,
        page_size=page_size,
        next=_next_key(rows, page_size),
    )
