"""A stored list laid out as its official form (``ListDocument``), and the renderers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from nguon.accounts.permissions import Access
from nguon.people.labels import EDUCATION_LABELS, SEX_LABELS
from nguon.pipeline.chain import ancestor_ids
from nguon.pipeline.documents import DocumentColumn, ListDocument, ListRenderer
from nguon.pipeline.list_read import ListRead, resolutions_of, units_by_id
from nguon.pipeline.lists import read_list, tenant_package
from nguon.plugins import get_plugin_manager
from nguon.rules.package import Form, RulesPackage

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
DEFAULT_SIGNATURE = ("T/M BAN THƯỜNG VỤ", "BÍ THƯ")


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


CELL_GETTERS: dict[str, Callable[[int, dict[str, Any]], str]] = {
    "seq": lambda seq, row: str(seq),
    "full_name": lambda seq, row: row["full_name"],
    "date_of_birth": lambda seq, row: vi_date(row["date_of_birth"]),
    "sex": lambda seq, row: SEX_LABELS.get(row["sex"], row["sex"]),
    "ethnicity": lambda seq, row: row["ethnicity"] or "",
    "religion": lambda seq, row: row["religion"] or "",
    "home_town": lambda seq, row: row["home_town"] or "",
    "residence": lambda seq, row: row["residence"] or "",
    "education": lambda seq, row: EDUCATION_LABELS.get(row["education"], row["education"]),
    "occupation": lambda seq, row: row["occupation"] or "",
    "youth_union": lambda seq, row: yes_mark(row["youth_union_member"]),
    "trade_union": lambda seq, row: yes_mark(row["trade_union_member"]),
    "unit": lambda seq, row: row["unit.name"],
    "helper": lambda seq, row: row["helper"] or "",
    "certificate": lambda seq, row: _certificate(row),
    "notes": lambda seq, row: row["notes"] or "",
}
"""Each form column code → its cell of a candidate's entry row, in Vietnamese."""


def _blank(seq: int, row: dict[str, Any]) -> str:
    return ""


def form_rows(read: ListRead, package: RulesPackage) -> tuple[Form, tuple[tuple[str, ...], ...]]:
    """The package's form for the list and one row of cells per included person."""
    row = read.row
    form = package.form(row["step"], row["unit.kind"], row["period_opens"])
    getters = [CELL_GETTERS.get(c.code, _blank) for c in form.columns]
    included = [e for e in read.entries if e["included"]]
    rows = tuple(
        tuple(getter(seq, e) for getter in getters) for seq, e in enumerate(included, start=1)
    )
    return form, rows


async def build_list_document(access: Access, list_id: int) -> ListDocument:
    """The list ``list_id`` (as the caller may see it) laid out as the package's form."""
    return await document_of(await read_list(access, list_id), await tenant_package())


def _is_cell(package: RulesPackage, kind: str | None) -> bool:
    spec = package.unit_kind_specs.get(kind or "")
    return spec is not None and spec.is_cell


async def document_of(read: ListRead, package: RulesPackage) -> ListDocument:
    """A list already read, laid out as the package's form for its step and level."""
    row = read.row
    form, rows = form_rows(read, package)
    path = ancestor_ids(row["unit.path"])
    ancestors = await units_by_id(path)
    unit = {"id": row["unit"], "name": row["unit.name"], "kind": row["unit.kind"]}
    parent = ancestors.get(row["unit.parent"]) if row["unit.parent"] else None
    place_unit = next(
        (
            ancestors[i]
            for i in reversed(path)
            if not _is_cell(package, ancestors.get(i, {}).get("kind"))
        ),
        unit,
    )
    resolutions = await resolutions_of(read)
    issued_on = resolutions[-1]["adopted_on"] if resolutions else dt.date.today()
    kind_spec = package.unit_kind_specs.get(unit["kind"])
    signature_title = (kind_spec and kind_spec.signs_as) or DEFAULT_SIGNATURE[0]
    signer_role = (kind_spec and kind_spec.signer_title) or DEFAULT_SIGNATURE[1]
    return ListDocument(
        tenant_name=row["tenant.name"] or "",
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
