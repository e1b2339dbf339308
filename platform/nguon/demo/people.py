"""Demo candidates and Party members spread over a tenant's cells, from a seed."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

import msgspec

from nguon.clock import today_in_vietnam
from nguon.crypto import current_key_id, encrypt_national_id, national_id_lookup_hash
from nguon.db.binding import current_engine
from nguon.demo.names import full_name
from nguon.org.tables import OrgUnit
from nguon.people.tables import Candidate, Member, MemberChange
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant, switch_tenant_in_transaction
from nguon.text import search_key

CELL_KINDS = ("grassroots_cell", "subordinate_cell")
BATCH_SIZE = 200
HUNGYEN_ID_PREFIX = "033"
"""The province code that starts a Hưng Yên citizen ID (căn cước công dân)."""
THAIBINH_ID_PREFIX = "034"
"""Thái Bình's: people of the two old provinces never share a number."""

EDUCATION = (
    ("primary", 3),
    ("lower_secondary", 12),
    ("upper_secondary", 42),
    ("intermediate", 9),
    ("college", 10),
    ("university", 21),
    ("postgraduate", 3),
)
STAGES = (
    ("surveyed", 45),
    ("course_nominee", 20),
    ("certified", 14),
    ("admission_source", 11),
    ("admission_in_progress", 5),
    ("admitted", 3),
    ("removed", 2),
)
POLITICAL_STANDARD = (("unchecked", 50), ("passed", 45), ("failed", 5))
OCCUPATIONS = {
    "commune": ("Nông dân", "Công nhân", "Kinh doanh tự do", "Sinh viên", "Thợ may"),
    "education": ("Giáo viên", "Nhân viên văn phòng trường"),
    "health": ("Bác sĩ", "Điều dưỡng", "Dược sĩ", "Kỹ thuật viên xét nghiệm"),
    "police": ("Chiến sĩ công an",),
    "military": ("Quân nhân", "Công nhân viên quốc phòng"),
    "agency": ("Chuyên viên", "Cán sự"),
    "enterprise": ("Công nhân", "Kỹ sư", "Nhân viên kế toán"),
    "industrial_zone_enterprise": ("Công nhân", "Kỹ sư", "Tổ trưởng sản xuất"),
}
CERTIFIED_STAGES = {"certified", "admission_source", "admission_in_progress", "admitted"}


def _pick(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights=weights)[0]


def _birth_date(rng: random.Random, today: dt.date, lowest: int, highest: int) -> dt.date:
    """A date of birth for someone aged ``lowest``…``highest`` full years on ``today``."""
    days = rng.randint(lowest * 365 + 1, (highest + 1) * 365 - 1)
    return today - dt.timedelta(days=days)


def _age_band(rng: random.Random) -> tuple[int, int]:
    roll = rng.random()
    if roll < 0.08:
        return 16, 17
    if roll < 0.86:
        return 18, 35
    if roll < 0.95:
        return 36, 59
    return 61, 66


def _education(rng: random.Random, age: int) -> str:
    if age < 18:
        return "lower_secondary"
    education = _pick(rng, EDUCATION)
    if age < 22 and education in {"university", "postgraduate"}:
        return "upper_secondary"
    return education


def _national_id(rng: random.Random, birth: dt.date, sex: str, prefix: str) -> str:
    century = 0 if birth.year < 2000 else 2
    return (
        f"{prefix}{century + (1 if sex == 'female' else 0)}"
        f"{birth.year % 100:02d}{rng.randint(0, 999_999):06d}"
    )


PLACE_COMMITTEES = ("Đảng ủy xã ", "Đảng ủy phường ", "Đảng ủy thị trấn ")
"""A cell under a committee named so lives in that commune, ward or township."""
VILLAGE_CELLS = ("Chi bộ thôn ", "Chi bộ tổ dân phố ")


class Cell(msgspec.Struct, frozen=True):
    id: int
    path: str
    name: str
    bloc: str | None
    parent_name: str | None = None

    @property
    def place(self) -> str | None:
        """ "xã Lạc Hồng" for a cell of Đảng ủy xã Lạc Hồng; None for an agency's cell."""
        parent = self.parent_name or ""
        if parent.startswith(PLACE_COMMITTEES):
            return parent.removeprefix("Đảng ủy ")
        return None

    @property
    def village(self) -> str | None:
        """ "thôn 1" for Chi bộ thôn 1 (the village or residential group it stands for)."""
        if self.name.startswith(VILLAGE_CELLS):
            return self.name.removeprefix("Chi bộ ")
        return None


async def _cells() -> list[Cell]:
    rows = await (
        OrgUnit.select(
            OrgUnit.id,
            OrgUnit.path,
            OrgUnit.name,
            OrgUnit.bloc,
            OrgUnit.parent.name.as_alias("parent_name"),
        )
        .where(in_tenant(OrgUnit), OrgUnit.kind.is_in(list(CELL_KINDS)))
        .order_by(OrgUnit.id)
    )
    return [Cell(**row) for row in rows]


class Province(msgspec.Struct, frozen=True):
    """Where the demo people live: the name in their home town, their ID numbers' prefix."""

    name: str = "tỉnh Hưng Yên"
    id_prefix: str = HUNGYEN_ID_PREFIX


HUNG_YEN = Province()
THAI_BINH = Province(name="tỉnh Thái Bình", id_prefix=THAIBINH_ID_PREFIX)


def candidate_row(
    rng: random.Random,
    tenant_id: int,
    cell: Cell,
    today: dt.date,
    used_ids: set[str],
    province: Province = HUNG_YEN,
) -> dict[str, Any]:
    sex = rng.choice(("male", "female"))
    name = full_name(rng, sex)
    lowest, highest = _age_band(rng)
    birth = _birth_date(rng, today, lowest, highest)
    age = (today - birth).days // 365
    stage = _pick(rng, STAGES)
    if lowest < 18 and stage != "surveyed":
        stage = "surveyed"
    certificate_date = certificate_number = None
    if stage in CERTIFIED_STAGES:
        months_ago = rng.choice((3, 8, 14, 22, 30, 41, 50, 58, 63, 70))
        certificate_date = today - dt.timedelta(days=months_ago * 30 + rng.randint(0, 20))
        certificate_number = f"{rng.randint(10, 999)}-GCN/TTCT"
    national_id = None
    if rng.random() < 0.12:
        candidate_id = _national_id(rng, birth, sex, province.id_prefix)
        if candidate_id not in used_ids:
            used_ids.add(candidate_id)
            national_id = candidate_id
    occupation = rng.choice(OCCUPATIONS.get(cell.bloc or "commune", OCCUPATIONS["commune"]))
    if age < 18:
        occupation = "Học sinh"
    return {
        "tenant_id": tenant_id,
        "unit": cell.id,
        "unit_path": cell.path,
        "full_name": name,
        "name_search": search_key(name),
        "date_of_birth": birth,
        "sex": sex,
        "ethnicity": "Kinh" if rng.random() < 0.97 else rng.choice(("Mường", "Tày", "Nùng")),
        "religion": "Không" if rng.random() < 0.9 else rng.choice(("Công giáo", "Phật giáo")),
        "home_town": ", ".join(p for p in (cell.place, province.name) if p),
        "residence": ", ".join(p for p in (cell.village, cell.place, province.name) if p),
        "education": _education(rng, age),
        "occupation": occupation,
        "youth_union_member": age <= 30 and rng.random() < 0.85,
        "trade_union_member": age >= 18 and cell.bloc != "commune" and rng.random() < 0.6,
        "hardship_area": rng.random() < 0.05,
        "political_standard": _pick(rng, POLITICAL_STANDARD),
        "provincial_consent_over_60": age > 60 and rng.random() < 0.5,
        "certificate_number": certificate_number,
        "certificate_date": certificate_date,
        "stage": stage,
        "national_id_encrypted": None if national_id is None else encrypt_national_id(national_id),
        "national_id_hash": None if national_id is None else national_id_lookup_hash(national_id),
        "national_id_key": None if national_id is None else current_key_id(),
    }


async def generate_candidates(
    tenant_id: int,
    count: int,
    seed: int = 2024,
    today: dt.date | None = None,
    focus_paths: Sequence[str] = (),
    province: Province = HUNG_YEN,
) -> int:
    """Insert ``count`` demo candidates spread over the tenant's cells; returns ``count``.

    Cells under one of ``focus_paths`` get eight times the share of the others, so the
    demo's cell and grassroots logins have full lists to work with.
    """
    rng = random.Random(seed)
    today = today or today_in_vietnam()
    with tenant_context(None):
        async with current_engine().transaction():
            await switch_tenant_in_transaction(tenant_id)
            cells = await _cells()
            if not cells:
                raise LookupError("the tenant has no cells to put candidates in")
            weights = [8 if cell.path.startswith(tuple(focus_paths)) else 1 for cell in cells]
            used_ids: set[str] = set()
            rows = [
                Candidate(**candidate_row(rng, tenant_id, cell, today, used_ids, province))
                for cell in rng.choices(cells, weights=weights, k=count)
            ]
            for start in range(0, len(rows), BATCH_SIZE):
                await Candidate.insert(*rows[start : start + BATCH_SIZE]).run()
    return count


DEMO_ACTOR = "Dữ liệu mẫu"
"""Who the members' history says recorded the demo's members."""


async def generate_members(
    tenant_id: int,
    seed: int = 2024,
    today: dt.date | None = None,
    province: Province = HUNG_YEN,
    per_cell: tuple[int, int] = (2, 4),
) -> int:
    """Party members in every cell that holds candidates, so that each candidate's cell
    has official members to help them: ``per_cell`` full members, and a probationary one
    in about one cell in three. Returns how many were inserted."""
    rng = random.Random(seed + 1)
    today = today or today_in_vietnam()
    with tenant_context(None):
        async with current_engine().transaction():
            await switch_tenant_in_transaction(tenant_id)
            held = {
                row["unit"]
                for row in await Candidate.select(Candidate.unit).where(in_tenant(Candidate)).run()
            }
            cells = [cell for cell in await _cells() if cell.id in held]
            rows: list[Member] = []
            for cell in cells:
                count = rng.randint(*per_cell)
                for index in range(count + (1 if rng.random() < 1 / 3 else 0)):
                    rows.append(_member_row(rng, tenant_id, cell, today, full=index < count))
            for number, row in enumerate(rows, start=1):
                row.card_number = f"{province.id_prefix[1:]}.{number:06d}"
            for start in range(0, len(rows), BATCH_SIZE):
                await Member.insert(*rows[start : start + BATCH_SIZE]).run()
            inserted = await Member.select(Member.id, Member.unit).where(in_tenant(Member)).run()
            changes = [
                MemberChange(
                    tenant_id=tenant_id,
                    member=row["id"],
                    kind="added",
                    changed_on=today,
                    to_unit=row["unit"],
                    reason="Dữ liệu mẫu của bản chạy thử",
                    actor_name=DEMO_ACTOR,
                )
                for row in inserted
            ]
            for start in range(0, len(changes), BATCH_SIZE):
                await MemberChange.insert(*changes[start : start + BATCH_SIZE]).run()
    return len(rows)


def _member_row(
    rng: random.Random, tenant_id: int, cell: Cell, today: dt.date, *, full: bool
) -> Member:
    sex = rng.choice(("male", "female"))
    name = full_name(rng, sex)
    if full:
        birth = _birth_date(rng, today, 26, 64)
        earliest = birth + dt.timedelta(days=19 * 365)
        admitted = earliest + dt.timedelta(days=rng.randint(0, (today - earliest).days - 2 * 365))
        official: dt.date | None = admitted + dt.timedelta(days=365)
    else:
        birth = _birth_date(rng, today, 20, 35)
        admitted = today - dt.timedelta(days=rng.randint(30, 330))
        official = None
    return Member(
        tenant_id=tenant_id,
        unit=cell.id,
        unit_path=cell.path,
        full_name=name,
        name_search=search_key(name),
        date_of_birth=birth,
        sex=sex,
        status="full" if full else "probationary",
        admitted_on=admitted,
        official_on=official,
    )
