"""A stored list laid out as its official form (``ListDocument``), and the renderers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from nguon.accounts.permissions import Access
from nguon.org.tables import OrgUnit
from nguon.people.labels import EDUCATION_LABELS, SEX_LABELS
from nguon.people.tables import Candidate, Member
from nguon.pipeline.chain import ancestor_ids
from nguon.pipeline.documents import DocumentColumn, ListDocument, ListRenderer
from nguon.pipeline.lists import tenant_package, visible_list
from nguon.pipeline.tables import HelperAssignment, ListEntry, Resolution
from nguon.plugins import get_plugin_manager
from nguon.tenancy.context import require_tenant
from nguon.tenancy.scoped import in_tenant
from nguon.tenancy.tables import Tenant

QUARTERS_VI = {1: "I", 2: "II", 3: "III", 4: "IV"}
# Words that name a unit's kind, dropped to print the place ("Đảng ủy xã Lạc Hồng" → "Lạc Hồng").
_PLACE_PREFIXES = (
    "Đảng ủy xã ",
    "Đảng ủy phường ",
    "Đảng ủy thị trấn ",
    "Huyện ủy ",
    "Thị ủy ",
    "Thành ủy ",
    "Tỉnh ủy ",
    "Đảng ủy ",
    "Chi bộ thôn ",
    "Chi bộ ",
)
_SIGNATURES = {
    "grassroots_cell": ("T/M CHI BỘ", "BÍ THƯ"),
    "subordinate_cell": ("T/M CHI BỘ", "BÍ THƯ"),
    "grassroots_committee": ("T/M ĐẢNG ỦY", "BÍ THƯ"),
    "organisation_board": ("BAN TỔ CHỨC TỈNH ỦY", "TRƯỞNG BAN"),
}


def yes_mark(value: bool) -> str:
    return "x" if value else ""


def vi_date(value: dt.date | None) -> str:
    return f"{value:%d/%m/%Y}" if value else ""


def period_label(code: str) -> str:
    """ "2024-Q2" → "Quý II năm 2024"; "2024-annual" → "Khảo sát năm 2024 (cho năm 2025)"."""
    year, _, part = code.partition("-")
    if part.startswith("Q") and part[1:].isdigit():
        return f"Quý {QUARTERS_VI.get(int(part[1:]), part[1:])} năm {year}"
    if part == "annual" and year.isdigit():
        return f"Khảo sát quý IV năm {year} (cho năm {int(year) + 1})"
    return code


def place_of(name: str) -> str:
    for prefix in _PLACE_PREFIXES:
        if name.startswith(prefix):
            return name.removeprefix(prefix)
    return name


def _certificate(row: dict[str, Any]) -> str:
    if not row["certificate_number"] and not row["certificate_date"]:
        return ""
    parts = []
    if row["certificate_number"]:
        parts.append(f"Số {row['certificate_number']}")
    if row["certificate_date"]:
        parts.append(f"ngày {vi_date(row['certificate_date'])}")
    return ", ".join(parts)


def cell_value(code: str, seq: int, row: dict[str, Any], unit_name: str, helper: str) -> str:
    """One form cell of a candidate, in Vietnamese."""
    values: dict[str, Callable[[], str]] = {
        "seq": lambda: str(seq),
        "full_name": lambda: row["full_name"],
        "date_of_birth": lambda: vi_date(row["date_of_birth"]),
        "sex": lambda: SEX_LABELS.get(row["sex"], row["sex"]),
        "ethnicity": lambda: row["ethnicity"] or "",
        "religion": lambda: row["religion"] or "",
        "home_town": lambda: row["home_town"] or "",
        "residence": lambda: row["residence"] or "",
        "education": lambda: EDUCATION_LABELS.get(row["education"], row["education"]),
        "occupation": lambda: row["occupation"] or "",
        "youth_union": lambda: yes_mark(row["youth_union_member"]),
        "trade_union": lambda: yes_mark(row["trade_union_member"]),
        "unit": lambda: unit_name,
        "helper": lambda: helper,
        "certificate": lambda: _certificate(row),
        "notes": lambda: row["notes"] or "",
    }
    getter = values.get(code)
    return getter() if getter else ""


async def _helpers(candidate_ids: list[int], on: dt.date) -> dict[int, str]:
    if not candidate_ids:
        return {}
    rows = await (
        HelperAssignment.select(HelperAssignment.candidate, HelperAssignment.member)
        .where(
            in_tenant(HelperAssignment),
            HelperAssignment.candidate.is_in(candidate_ids),
            HelperAssignment.assigned_on <= on,
            HelperAssignment.ended_on.is_null() | (HelperAssignment.ended_on > on),
        )
        .order_by(HelperAssignment.assigned_on)
        .run()
    )
    if not rows:
        return {}
    members = {
        m["id"]: m["full_name"]
        for m in await Member.select(Member.id, Member.full_name)
        .where(in_tenant(Member), Member.id.is_in([r["member"] for r in rows]))
        .run()
    }
    return {r["candidate"]: members.get(r["member"], "") for r in rows}


async def build_list_document(access: Access, list_id: int) -> ListDocument:
    """The list ``list_id`` (as the caller may see it) laid out as the package's form."""
    row = await visible_list(access, list_id)
    package = await tenant_package()
    unit = (await OrgUnit.select().where(in_tenant(OrgUnit), OrgUnit.id == row["unit"]).run())[0]
    form = package.form(row["step"], unit["kind"], row["period_opens"])
    tenant = await Tenant.select(Tenant.name).where(Tenant.id == require_tenant()).first().run()
    ancestors = {
        a["id"]: a
        for a in await OrgUnit.select()
        .where(in_tenant(OrgUnit), OrgUnit.id.is_in(ancestor_ids(unit["path"])))
        .run()
    }
    parent = ancestors.get(unit["parent"]) if unit["parent"] else None
    place_unit = next(
        (
            ancestors[i]
            for i in reversed(ancestor_ids(unit["path"]))
            if ancestors.get(i, {}).get("kind") not in {"grassroots_cell", "subordinate_cell"}
        ),
        unit,
    )
    entries = await (
        ListEntry.select(ListEntry.candidate)
        .where(
            in_tenant(ListEntry),
            ListEntry.candidate_list == list_id,
            ListEntry.included == True,  # noqa: E712
        )
        .run()
    )
    ids = [e["candidate"] for e in entries]
    candidates = (
        await Candidate.select(*Candidate.all_columns(), Candidate.unit.name)
        .where(in_tenant(Candidate), Candidate.id.is_in(ids))
        .run()
        if ids
        else []
    )
    candidates.sort(key=lambda c: (c["unit.name"], c["name_search"], c["id"]))
    resolution = await (
        Resolution.select(Resolution.adopted_on)
        .where(in_tenant(Resolution), Resolution.candidate_list == list_id)
        .order_by(Resolution.id, ascending=False)
        .first()
        .run()
    )
    issued_on = resolution["adopted_on"] if resolution else dt.date.today()
    helpers = await _helpers(ids, row["period_deadline"])
    codes = [c.code for c in form.columns]
    rows = tuple(
        tuple(cell_value(code, seq, c, c["unit.name"], helpers.get(c["id"], "")) for code in codes)
        for seq, c in enumerate(candidates, start=1)
    )
    signature_title, signer_role = _SIGNATURES.get(unit["kind"], ("T/M BAN THƯỜNG VỤ", "BÍ THƯ"))
    return ListDocument(
        tenant_name=tenant["name"] if tenant else "",
        superior_committee=(parent["name"] if parent else "").upper(),
        unit_name=unit["name"].upper(),
        place=place_of(place_unit["name"]),
        issued_on=issued_on,
        title=form.title,
        step=row["step"],
        period_code=row["period_code"],
        period_label=period_label(row["period_code"]),
        columns=tuple(DocumentColumn(code=c.code, header=c.header) for c in form.columns),
        rows=rows,
        signature_title=signature_title,
        signer_role=signer_role,
        list_id=row["id"],
        list_version=row["version"],
    )


def list_renderers() -> dict[str, ListRenderer]:
    """Renderers offered by plugins, by ``format``."""
    found: dict[str, ListRenderer] = {}
    for batch in get_plugin_manager().hook.register_list_renderers():
        for renderer in batch or []:
            found.setdefault(renderer.format, renderer)
    return found
