"""A small 2024 Hưng Yên onboarded from a manifest, people and lists in it, and the 2025 file.

hy (Tỉnh ủy)
├── hy.btc (Ban Tổ chức)
├── hy.hungyen (Thành ủy Hưng Yên, district)
│   ├── hy.hungyen.ttct (training centre)
│   ├── hy.hungyen.leloi (Đảng ủy phường Lê Lợi)      ── tdp-1, tdp-2 (subordinate cells)
│   ├── hy.hungyen.minhkhai (Đảng ủy phường Minh Khai) ── tdp-1
│   └── hy.hungyen.thpt (Chi bộ Trường THPT, grassroots cell under the district)
├── hy.ca (Đảng ủy Công an tỉnh)
│   ├── hy.ca.px01 (grassroots cell)
│   └── hy.ca.gc (grassroots committee) ── hy.ca.gc.c1 (subordinate cell)
└── hy.kcq (Đảng ủy khối, bloc committee) ── hy.kcq.iz (grassroots cell, industrial zone)
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import msgspec

from nguon.org.tables import OrgUnit
from nguon.people.tables import Candidate, Member
from nguon.pipeline.tables import AdmissionPlan, CandidateList, Course
from nguon.tenancy.context import tenant_context
from nguon.tenancy.manifest import parse_manifest
from nguon.tenancy.tables import Tenant
from nguon.text import search_key
from tests.conftest import Database
from tests.onboarding.conftest import fresh_slug, onboard_as_owner

D = dt.date(2025, 7, 1)

MANIFEST = """
slug = "{slug}"
name = "Tỉnh Hưng Yên"
rules_package = "hungyen"

[admin]
username = "admin.{slug}"
full_name = "Quản trị hệ thống"
generate_password = true

[[users]]
username = "bt.thpt.{slug}"
full_name = "Bí thư Chi bộ THPT"
generate_password = true
memberships = [{{ unit = "hy.hungyen.thpt", role = "editor" }}]

[[users]]
username = "ct.phuong.{slug}"
full_name = "Phó Bí thư phường"
generate_password = true
memberships = [
  {{ unit = "hy.hungyen.leloi", role = "approver" }},
  {{ unit = "hy.hungyen.minhkhai", role = "approver" }},
]

[[units]]
code = "hy"
name = "Tỉnh ủy Hưng Yên"
kind = "province_committee"
valid_from = 2020-01-01

[[units.children]]
code = "hy.btc"
name = "Ban Tổ chức Tỉnh ủy"
kind = "organisation_board"
valid_from = 2020-01-01

[[units.children]]
code = "hy.hungyen"
name = "Thành ủy Hưng Yên"
kind = "district_committee"
valid_from = 2020-01-01

[[units.children.children]]
code = "hy.hungyen.ttct"
name = "Trung tâm chính trị thành phố Hưng Yên"
kind = "political_training_centre"
valid_from = 2020-01-01

[[units.children.children]]
code = "hy.hungyen.leloi"
name = "Đảng ủy phường Lê Lợi"
kind = "grassroots_committee"
bloc = "commune"
valid_from = 2020-01-01

[[units.children.children.children]]
code = "hy.hungyen.leloi.tdp-1"
name = "Chi bộ tổ dân phố số 1"
kind = "subordinate_cell"
bloc = "commune"
valid_from = 2020-01-01

[[units.children.children.children]]
code = "hy.hungyen.leloi.tdp-2"
name = "Chi bộ tổ dân phố số 2"
kind = "subordinate_cell"
bloc = "commune"
valid_from = 2020-01-01

[[units.children.children]]
code = "hy.hungyen.minhkhai"
name = "Đảng ủy phường Minh Khai"
kind = "grassroots_committee"
bloc = "commune"
valid_from = 2020-01-01

[[units.children.children.children]]
code = "hy.hungyen.minhkhai.tdp-1"
name = "Chi bộ tổ dân phố số 1"
kind = "subordinate_cell"
bloc = "commune"
valid_from = 2020-01-01

[[units.children.children]]
code = "hy.hungyen.thpt"
name = "Chi bộ Trường THPT Hưng Yên"
kind = "grassroots_cell"
bloc = "education"
valid_from = 2020-01-01

[[units.children]]
code = "hy.ca"
name = "Đảng ủy Công an tỉnh"
kind = "police_committee"
bloc = "police"
valid_from = 2020-01-01

[[units.children.children]]
code = "hy.ca.px01"
name = "Chi bộ Phòng Tham mưu"
kind = "grassroots_cell"
bloc = "police"
valid_from = 2020-01-01

[[units.children.children]]
code = "hy.ca.gc"
name = "Đảng ủy Công an thành phố"
kind = "grassroots_committee"
bloc = "police"
valid_from = 2020-01-01

[[units.children.children.children]]
code = "hy.ca.gc.c1"
name = "Chi bộ Đội Cảnh sát giao thông"
kind = "subordinate_cell"
bloc = "police"
valid_from = 2020-01-01

[[units.children]]
code = "hy.kcq"
name = "Đảng ủy khối Cơ quan - Doanh nghiệp tỉnh"
kind = "bloc_committee"
valid_from = 2020-01-01

[[units.children.children]]
code = "hy.kcq.iz"
name = "Chi bộ Công ty May Phố Nối"
kind = "grassroots_cell"
bloc = "industrial_zone_enterprise"
valid_from = 2020-01-01
"""

RESTRUCTURING = """\
tenant = "{slug}"
effective_on = 2025-07-01
reference = "Nghị quyết 1666/NQ-UBTVQH15 ngày 16/6/2025; Quy định 294-QĐ/TW"

[[open]]
code = "hy.phohien"
name = "Đảng ủy phường Phố Hiến"
kind = "commune_committee"
bloc = "commune"
parent = "hy"

[[open]]
code = "hy.ubnd"
name = "Đảng bộ Ủy ban nhân dân tỉnh"
kind = "people_committee_party_committee"
parent = "hy"

[[move]]
code = "hy.hungyen.leloi.tdp-1"
parent = "hy.phohien"
new_code = "hy.phohien.tdp-1"

[[move]]
code = "hy.hungyen.leloi.tdp-2"
parent = "hy.phohien"

[[move]]
code = "hy.hungyen.minhkhai.tdp-1"
parent = "hy.phohien"
new_code = "hy.phohien.minhkhai-1"
name = "Chi bộ tổ dân phố Minh Khai 1"

[[move]]
code = "hy.hungyen.thpt"
parent = "hy.phohien"
new_code = "hy.phohien.thpt"

[[move]]
code = "hy.kcq.iz"
parent = "hy.ubnd"
new_code = "hy.ubnd.iz"

[[rename]]
code = "hy.ca.px01"
name = "Chi bộ Phòng Cảnh sát hình sự"
new_code = "hy.ca.px01-2025"

[[rename]]
code = "hy.ca.gc"
name = "Đảng ủy Công an phường Phố Hiến"
new_code = "hy.ca.phohien"

[[merge]]
codes = [
  "hy.hungyen.leloi",
  "hy.hungyen.minhkhai",
]
into = "hy.phohien"

[[close]]
code = "hy.hungyen"

[[close]]
code = "hy.kcq"
"""


class World(msgspec.Struct):
    slug: str
    tenant_id: int
    units: dict[str, dict[str, Any]]
    users: dict[str, int]
    lists: dict[str, int]


def write_file(
    tmp_path: Path, slug: str, text: str = RESTRUCTURING, name: str = "2025.toml"
) -> Path:
    path = tmp_path / name
    path.write_text(text.format(slug=slug), encoding="utf-8")
    return path


async def units_by_code(tenant_id: int) -> dict[str, dict[str, Any]]:
    with tenant_context(tenant_id):
        rows = await OrgUnit.select().where(OrgUnit.tenant_id == tenant_id).run()
    return {row["code"]: row for row in rows}


def _candidate(tenant_id: int, unit: dict[str, Any], name: str) -> Candidate:
    return Candidate(
        tenant_id=tenant_id,
        unit=unit["id"],
        unit_path=unit["path"],
        full_name=name,
        name_search=search_key(name),
        date_of_birth=dt.date(2000, 5, 1),
        sex="F",
        education="12/12",
    )


def _member(tenant_id: int, unit: dict[str, Any], name: str) -> Member:
    return Member(
        tenant_id=tenant_id,
        unit=unit["id"],
        unit_path=unit["path"],
        full_name=name,
        name_search=search_key(name),
        date_of_birth=dt.date(1980, 1, 1),
        sex="M",
        admitted_on=dt.date(2005, 3, 1),
    )


def make_list(
    tenant_id: int,
    unit: dict[str, Any],
    receiver: dict[str, Any],
    period: str,
    opens: dt.date,
    deadline: dt.date,
    state: str,
) -> CandidateList:
    return CandidateList(
        tenant_id=tenant_id,
        unit=unit["id"],
        unit_path=unit["path"],
        step="survey",
        period_code=period,
        period_opens=opens,
        period_deadline=deadline,
        state=state,
        receiver_unit=receiver["id"],
        package="hungyen",
        package_version="2024.1" if opens < D else "2025.2",
    )


async def build_world(db: Database, prefix: str = "rs") -> World:
    """The 2024 tree with candidates, members, lists, plans and courses in it."""
    slug = fresh_slug(prefix)
    report = await onboard_as_owner(db, parse_manifest(MANIFEST.format(slug=slug)))
    tenant_id = report.tenant_id
    units = await units_by_code(tenant_id)
    u = units
    with db.as_owner(), tenant_context(tenant_id):
        async with db.owner.transaction():
            await Candidate.insert(
                *[
                    _candidate(tenant_id, u["hy.hungyen.thpt"], f"Nguyễn Thị Hoa {i}")
                    for i in range(3)
                ],
                _candidate(tenant_id, u["hy.hungyen.leloi"], "Trần Văn Lợi"),
                _candidate(tenant_id, u["hy.hungyen.leloi"], "Lê Thị Lan"),
                _candidate(tenant_id, u["hy.hungyen.minhkhai"], "Phạm Minh Khải"),
                _candidate(tenant_id, u["hy.hungyen.leloi.tdp-1"], "Đỗ Văn Tư"),
                _candidate(tenant_id, u["hy.ca.gc.c1"], "Vũ Đức Giao"),
                _candidate(tenant_id, u["hy.ca.px01"], "Hoàng Văn Hình"),
            ).run()
            await Member.insert(
                _member(tenant_id, u["hy.hungyen.thpt"], "Ngô Văn Giúp"),
                _member(tenant_id, u["hy.hungyen.thpt"], "Bùi Thị Đỡ"),
                _member(tenant_id, u["hy.hungyen.minhkhai"], "Đinh Văn Đảng"),
            ).run()
            thpt, district = u["hy.hungyen.thpt"], u["hy.hungyen"]
            rows = {
                "thpt-2024": make_list(
                    tenant_id,
                    thpt,
                    district,
                    "2024-Q2",
                    dt.date(2024, 4, 1),
                    dt.date(2024, 6, 30),
                    "accepted",
                ),
                "thpt-2025-q2": make_list(
                    tenant_id,
                    thpt,
                    district,
                    "2025-Q2",
                    dt.date(2025, 4, 1),
                    dt.date(2025, 6, 30),
                    "submitted",
                ),
                "thpt-2025-q3": make_list(
                    tenant_id,
                    thpt,
                    district,
                    "2025-Q3",
                    dt.date(2025, 7, 1),
                    dt.date(2025, 9, 30),
                    "draft",
                ),
            }
            for row in rows.values():
                await row.save().run()
            await AdmissionPlan.insert(
                *[
                    AdmissionPlan(
                        tenant_id=tenant_id,
                        unit=thpt["id"],
                        unit_path=thpt["path"],
                        year=year,
                        target_year=4,
                    )
                    for year in (2024, 2025)
                ]
            ).run()
            gc = u["hy.ca.gc"]
            await Course.insert(
                *[
                    Course(
                        tenant_id=tenant_id,
                        organiser_unit=gc["id"],
                        organiser_path=gc["path"],
                        title=title,
                        opens_on=opens,
                        closes_on=closes,
                    )
                    for title, opens, closes in (
                        ("Lớp bồi dưỡng quý I/2025", dt.date(2025, 2, 1), dt.date(2025, 3, 31)),
                        ("Lớp bồi dưỡng quý III/2025", dt.date(2025, 6, 20), dt.date(2025, 8, 31)),
                    )
                ]
            ).run()
    from nguon.accounts.tables import User

    with db.as_owner(), tenant_context(tenant_id):
        users = await User.select(User.id, User.username).where(User.tenant_id == tenant_id).run()
    return World(
        slug=slug,
        tenant_id=tenant_id,
        units=units,
        users={row["username"].removesuffix(f".{slug}"): row["id"] for row in users},
        lists={key: row.id for key, row in rows.items()},
    )


async def tenant_fingerprint(db: Database, tenant_id: int) -> dict[str, Any]:
    """Row counts of the tenant's tables and a checksum of its units, candidates and lists."""
    from nguon.piccolo_app import TABLES

    fingerprint: dict[str, Any] = {}
    with db.as_owner(), tenant_context(tenant_id):
        async with db.owner.transaction():
            for table in TABLES:
                if table is Tenant or not hasattr(table, "tenant_id"):
                    continue
                fingerprint[table._meta.tablename] = await table.count().where(
                    table.tenant_id == tenant_id
                )
            for table in (OrgUnit, Candidate, CandidateList, AdmissionPlan, Course, Member):
                rows = (
                    await table.select()
                    .where(table.tenant_id == tenant_id)
                    .order_by(table._meta.primary_key)
                )
                digest = hashlib.sha256(repr(rows).encode()).hexdigest()
                fingerprint[f"{table._meta.tablename}#sha256"] = digest
    return fingerprint
