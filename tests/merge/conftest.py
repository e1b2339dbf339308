"""Three small provinces onboarded from manifest texts, with a little of everything.

Each province (``prefix`` = tb, hy or bg; slugs are fresh, the database is shared):

    {prefix}            Tỉnh ủy …                 province_committee
    ├── {prefix}.btc    Ban Tổ chức Tỉnh ủy …     organisation_board
    └── {prefix}.d1     Huyện ủy …                district_committee
        └── ….xa        Đảng ủy xã …              grassroots_committee
            └── ….thon-1  Chi bộ thôn …           subordinate_cell

Users: ``admin.{prefix}`` (tenant admin), ``{prefix}.cell`` (cell editor),
``{prefix}.commune`` (commune approver). Filled over the API: candidates (one with a
national ID), a member, a 2024-Q2 survey list of the cell adopted, submitted and accepted
by the commune; written with the tables: a course with an enrolment, a helper, a plan, a
stage change, a restructuring with a succession, a webhook delivery, a reminder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
import uuid
from collections.abc import AsyncIterator

import msgspec
import pytest
from piccolo.table import Table

from nguon.api.idempotency_tables import IdempotencyRecord
from nguon.org.tables import OrgUnit, Restructuring, UnitSuccession
from nguon.people.moves import CandidateMove
from nguon.people.upload_tables import MemberUpload
from nguon.pipeline.export_tables import ListExport
from nguon.pipeline.road_tables import AdmissionIntroducer, AdmissionStep
from nguon.pipeline.rules_tables import RulesPublication, RulesWhatIf
from nguon.pipeline.tables import (
    AdmissionPlan,
    Course,
    CourseEnrolment,
    HelperAssignment,
    ListExclusion,
    StageChange,
)
from nguon.plugins_builtin.reminders.tables import DeadlineReminder
from nguon.plugins_builtin.webhooks.tables import WebhookDelivery
from nguon.reports.tables import FigureRollup
from nguon.tenancy.context import tenant_context
from nguon.tenancy.manifest import parse_manifest
from nguon.tenancy.merge import MergeReport, merge_tenants
from nguon.tenancy.onboarding import onboard
from nguon.tenancy.scoped import switch_tenant_in_transaction
from nguon.tenancy.tables import Tenant
from nguon.tenancy.tenant_tables import TENANT_COLUMN, tenant_tables
from tests.conftest import Database
from tests.http.conftest import _PASSWORD_HASH, AppClient, candidate_body, serving, token_for

MERGED_ON = dt.date(2025, 7, 1)
PERIOD = "2024-Q2"
RESOLUTION = {
    "number": "05-NQ/CB",
    "adopted_on": "2024-06-20",
    "members_total": 9,
    "members_present": 8,
    "members_agreeing": 7,
}
_counter = itertools.count(1)
_national_ids = itertools.count(1)

MANIFEST = """
slug = "{slug}"
name = "{name}"
rules_package = "hungyen"

[admin]
username = "admin.{prefix}"
full_name = "Quản trị {name}"
password_hash = "{password_hash}"

[[units]]
code = "{prefix}"
name = "Tỉnh ủy {place}"
kind = "province_committee"
valid_from = 2020-01-01

[[units.children]]
code = "{prefix}.btc"
name = "Ban Tổ chức Tỉnh ủy {place}"
kind = "organisation_board"
valid_from = 2020-01-01

[[units.children]]
code = "{prefix}.d1"
name = "Huyện ủy {district}"
kind = "district_committee"
valid_from = 2020-01-01

[[units.children.children]]
code = "{prefix}.d1.xa"
name = "Đảng ủy xã {commune}"
kind = "grassroots_committee"
bloc = "commune"
valid_from = 2020-01-01

[[units.children.children.children]]
code = "{prefix}.d1.xa.thon-1"
name = "Chi bộ thôn {village}"
kind = "subordinate_cell"
bloc = "commune"
valid_from = 2020-01-01

[[users]]
username = "{prefix}.cell"
full_name = "Bí thư Chi bộ thôn {village}"
password_hash = "{password_hash}"
[[users.memberships]]
unit = "{prefix}.d1.xa.thon-1"
role = "editor"

[[users]]
username = "{prefix}.commune"
full_name = "Phó Bí thư Đảng ủy xã {commune}"
password_hash = "{password_hash}"
[[users.memberships]]
unit = "{prefix}.d1.xa"
role = "approver"

{plugins}
"""

PLACES = {
    "tb": ("Thái Bình", "Vũ Thư", "Song An", "Trung An"),
    "hy": ("Hưng Yên", "Văn Lâm", "Lạc Hồng", "Ngọc Đà"),
    "bg": ("Bắc Giang", "Yên Dũng", "Tư Mại", "Đông Hương"),
}
PLUGINS = {
    "tb": "[plugins.deadline_reminders]\ndays_before = 10\n",
    "hy": "[plugins.webhooks]\nenabled = false\n",
    "bg": "[plugins.deadline_reminders]\ndays_before = 5\n",
}


class Province(msgspec.Struct):
    prefix: str
    slug: str
    name: str
    tenant_id: int
    units: dict[str, int]
    """By code."""
    candidates: list[int] = []
    members: list[int] = []
    list_id: int = 0

    def api(self, path: str = "") -> str:
        return f"/t/{self.slug}/api/v1{path}"


def manifest_text(prefix: str, slug: str, plugins: str | None = None) -> str:
    place, district, commune, village = PLACES[prefix]
    return MANIFEST.format(
        slug=slug,
        name=f"Tỉnh {place}",
        prefix=prefix,
        place=place,
        district=district,
        commune=commune,
        village=village,
        password_hash=_PASSWORD_HASH,
        plugins=PLUGINS[prefix] if plugins is None else plugins,
    )


async def onboard_province(db: Database, prefix: str, plugins: str | None = None) -> Province:
    slug = f"merge-{prefix}-{os.getpid()}-{next(_counter)}"
    manifest = parse_manifest(manifest_text(prefix, slug, plugins))
    with db.as_owner():
        report = await onboard(manifest)
        with tenant_context(report.tenant_id):
            units = await OrgUnit.select(OrgUnit.id, OrgUnit.code).where(
                OrgUnit.tenant_id == report.tenant_id
            )
    return Province(
        prefix=prefix,
        slug=slug,
        name=manifest.name,
        tenant_id=report.tenant_id,
        units={row["code"]: row["id"] for row in units},
    )


def national_id() -> str:
    return f"0340{os.getpid() % 100000:05d}{next(_national_ids):03d}"


async def fill(
    client: AppClient, db: Database, province: Province, national_ids: tuple[str, ...] = ()
) -> Province:
    """Candidates, a member and an accepted 2024 list over the API; the rest with tables."""
    p = province.prefix
    cell = province.units[f"{p}.d1.xa.thon-1"]
    admin = await token_for(client, province.slug, f"admin.{p}")
    names = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"]
    for index, name in enumerate(names):
        body = candidate_body(
            cell, full_name=f"{name} {p}", political_standard="passed", date_of_birth="2000-03-01"
        )
        if index < len(national_ids):
            body["national_id"] = national_ids[index]
        response = await client.post(province.api("/candidates"), json=body, headers=admin)
        assert response.status_code == 201, response.text
        province.candidates.append(response.json()["id"])
    member = {
        "unit_id": cell,
        "full_name": f"Phạm Văn Đức {p}",
        "date_of_birth": "1980-03-02",
        "sex": "male",
        "admitted_on": "2005-09-02",
        "official_on": "2006-09-02",
    }
    response = await client.post(province.api("/members"), json=member, headers=admin)
    assert response.status_code == 201, response.text
    province.members.append(response.json()["id"])

    editor = await token_for(client, province.slug, f"{p}.cell")
    approver = await token_for(client, province.slug, f"{p}.commune")
    body = {"unit_id": cell, "step": "survey", "period": PERIOD}
    response = await client.post(province.api("/lists"), json=body, headers=editor)
    assert response.status_code in {200, 201}, response.text
    list_id = response.json()["list"]["id"]
    version = response.json()["list"]["version"]
    for action, payload, headers in (
        ("adopt", {"version": version, "resolution": RESOLUTION}, editor),
        ("submit", {"version": version + 1}, editor),
        ("accept", {"version": version + 2}, approver),
    ):
        response = await client.post(
            province.api(f"/lists/{list_id}/{action}"), json=payload, headers=headers
        )
        assert response.status_code == 200, (action, response.text)
    province.list_id = list_id
    await _tables(db, province)
    return province


async def _tables(db: Database, province: Province) -> None:
    p, t = province.prefix, province.tenant_id
    district = province.units[f"{p}.d1"]
    cell = province.units[f"{p}.d1.xa.thon-1"]
    candidate = province.candidates[0]
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(t)
            path = (await OrgUnit.select(OrgUnit.path).where(OrgUnit.id == district).first())[
                "path"
            ]
            course = Course(
                tenant_id=t,
                organiser_unit=district,
                organiser_path=path,
                title="Lớp bồi dưỡng nhận thức về Đảng khóa 1/2024",
                opens_on=dt.date(2024, 8, 1),
                closes_on=dt.date(2024, 8, 10),
                sessions_total=10,
            )
            await course.save().run()
            rows: list[Table] = [
                CourseEnrolment(
                    tenant_id=t,
                    course=course.id,
                    candidate=candidate,
                    source_list=province.list_id,
                    attended_sessions=10,
                    completed=True,
                    certificate_number=f"GCN-{p}-01",
                    certificate_date=dt.date(2024, 8, 10),
                ),
                HelperAssignment(
                    tenant_id=t,
                    candidate=candidate,
                    member=province.members[0],
                    assigned_on=dt.date(2024, 9, 1),
                ),
                AdmissionPlan(
                    tenant_id=t,
                    unit=cell,
                    unit_path=f"{path}",
                    year=2024,
                    target_year=2,
                    target_q4=2,
                ),
                CandidateMove(
                    tenant_id=t,
                    candidate=candidate,
                    from_unit=cell,
                    to_unit=cell,
                    moved_on=dt.date(2024, 1, 1),
                    cause="transfer",
                ),
                StageChange(
                    tenant_id=t,
                    candidate=candidate,
                    from_stage="surveyed",
                    to_stage="course_nominee",
                    changed_on=dt.date(2024, 7, 1),
                    actor="test",
                ),
                ListExclusion(
                    tenant_id=t,
                    candidate=candidate,
                    removed_by_list=province.list_id,
                    removed_by_unit=district,
                    reason="Không đủ tiêu chuẩn",
                    removed_actor="test",
                ),
                WebhookDelivery(
                    tenant_id=t,
                    delivery_id=str(uuid.uuid4()),
                    event_type="list.accepted",
                    endpoint_url="https://example.org/hook",
                    body="{}",
                    status="delivered",
                ),
                DeadlineReminder(
                    tenant_id=t,
                    unit=cell,
                    period_code=PERIOD,
                    kind="due",
                    deadline=dt.date(2024, 6, 30),
                ),
                AdmissionStep(
                    tenant_id=t,
                    candidate=candidate,
                    step="cell_resolution",
                    taken_on=dt.date(2024, 10, 1),
                    document_number="07-NQ/CB",
                    clause_id="qd24.admission.proposal",
                    actor="test",
                    created_at=dt.datetime(2024, 10, 1, tzinfo=dt.UTC),
                ),
                AdmissionIntroducer(
                    tenant_id=t,
                    candidate=candidate,
                    kind="member",
                    member=province.members[0],
                    member_status="full",
                    months_together=24,
                    recorded_on=dt.date(2024, 10, 1),
                ),
                IdempotencyRecord(
                    tenant_id=t,
                    user_id=1,
                    idempotency_key=f"{p}-tao-ho-so-1",
                    method="POST",
                    path=f"/t/{p}/api/v2/candidates",
                    fingerprint="0" * 64,
                    status=201,
                    content_type="application/json",
                    response_body="{}",
                    created_at=dt.datetime(2024, 10, 1, tzinfo=dt.UTC),
                    expires_at=dt.datetime(2024, 10, 2, tzinfo=dt.UTC),
                ),
                RulesPublication(
                    tenant_id=t,
                    package="hungyen",
                    version=f"{p}-du-thao",
                    effective_from=dt.date(2024, 11, 1),
                    published_at=dt.datetime(2024, 10, 1, tzinfo=dt.UTC),
                    published_by="admin",
                ),
                RulesWhatIf(
                    tenant_id=t,
                    job_id=f"{p}-thu-ap-dung",
                    package="hungyen",
                    version=f"{p}-du-thao",
                    on_date=dt.date(2024, 10, 1),
                    state="done",
                    report="",
                    started_by="admin",
                ),
                MemberUpload(
                    tenant_id=t,
                    unit_id=cell,
                    user_id=0,
                    filename="dang-vien.csv",
                    digest=hashlib.sha256(f"{p}-members".encode()).hexdigest(),
                    content=b"ho_ten\n",
                    job_id=f"{p}-nhap-dang-vien",
                    state="imported",
                    created=0,
                ),
                FigureRollup(
                    tenant_id=t,
                    unit=cell,
                    year=2024,
                    as_of=dt.date(2024, 12, 31),
                    version=0,
                    tree="",
                    figures="{}",
                ),
                ListExport(
                    tenant_id=t,
                    list_id=0,
                    user_id=0,
                    format="xlsx",
                    job_id=f"{p}-tai-danh-sach",
                    state="done",
                    filename="danh-sach.xlsx",
                    content=b"PK",
                ),
            ]
            for row in rows:
                await row.save().run()
            restructuring = Restructuring(
                tenant_id=t,
                effective_on=dt.date(2023, 1, 1),
                reference="Nghị quyết thử",
                source="test",
                digest=hashlib.sha256(p.encode()).hexdigest(),
            )
            await restructuring.save().run()
            closed = OrgUnit(
                tenant_id=t,
                code=f"{p}.btc-2020",
                name="Ban Tổ chức Tỉnh ủy (trước năm 2023)",
                kind="organisation_board",
                parent=province.units[p],
                path="",
                depth=1,
                valid_from=dt.date(2020, 1, 1),
                valid_to=dt.date(2023, 1, 1),
            )
            await closed.save().run()
            root = await OrgUnit.select(OrgUnit.path).where(OrgUnit.id == province.units[p]).first()
            closed.path = f"{root['path']}{closed.id}."
            await closed.save([OrgUnit.path]).run()
            await (
                UnitSuccession(
                    tenant_id=t,
                    predecessor=closed.id,
                    successor=province.units[f"{p}.btc"],
                    effective_on=dt.date(2023, 1, 1),
                    change="renamed",
                    restructuring=restructuring.id,
                )
                .save()
                .run()
            )


class TableState(msgspec.Struct, frozen=True):
    count: int
    checksum: str
    ids: frozenset[int]


async def tenant_state(db: Database, tenant_id: int) -> dict[str, TableState]:
    """Every tenant table's rows of one tenant: count, a checksum of the rows, the ids."""
    state: dict[str, TableState] = {}
    with db.as_owner(), tenant_context(tenant_id):
        async with db.owner.transaction():
            for table in tenant_tables():
                rows = await (
                    table.select()
                    .where(getattr(table, TENANT_COLUMN) == tenant_id)
                    .order_by(table._meta.primary_key)
                    .run()
                )
                text = json.dumps(rows, default=str, sort_keys=True)
                state[table._meta.tablename] = TableState(
                    count=len(rows),
                    checksum=hashlib.sha256(text.encode()).hexdigest(),
                    ids=frozenset(row["id"] for row in rows),
                )
    return state


def counts(state: dict[str, TableState]) -> dict[str, int]:
    return {table: s.count for table, s in state.items()}


class Provinces(msgspec.Struct):
    source: Province
    target: Province
    third: Province


@pytest.fixture
async def provinces(db: Database) -> AsyncIterator[Provinces]:
    """Thái Bình (source), Hưng Yên (target) and Bắc Giang (a bystander), each filled."""
    async with serving(db) as client:
        made = []
        for prefix in ("tb", "hy", "bg"):
            province = await onboard_province(db, prefix)
            made.append(await fill(client, db, province, (national_id(),)))
    yield Provinces(*made)


async def merge_as_owner(db: Database, p: Provinces, **options: object) -> MergeReport:
    with db.as_owner():
        return await merge_tenants(p.source.slug, p.target.slug, MERGED_ON, **options)


async def tenant_row(db: Database, tenant_id: int) -> dict:
    with db.as_owner():
        return await Tenant.select().where(Tenant.id == tenant_id).first().run()


async def list_detail(client: AppClient, slug: str, username: str, list_id: int) -> dict:
    headers = await token_for(client, slug, username)
    response = await client.get(f"/t/{slug}/api/v1/lists/{list_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def list_history(detail: dict) -> dict:
    summary = detail["list"]
    return {
        "unit": (summary["unit_id"], summary["unit_name"], summary["unit_kind"]),
        "receiver": (summary["receiver_unit_id"], summary["receiver_unit_name"]),
        "period": summary["period"],
        "state": summary["state"],
        "included": summary["included_count"],
        "entries": sorted(e["candidate_id"] for e in detail["entries"]),
        "transitions": [(t["from_state"], t["to_state"]) for t in detail["transitions"]],
        "resolutions": [r["number"] for r in detail["resolutions"]],
    }
