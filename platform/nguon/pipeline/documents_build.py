"""A stored list laid out as its official form (``ListDocument``), and the renderers."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from typing import Any

import msgspec

from nguon.accounts.permissions import Access
from nguon.clock import today_in_vietnam
from nguon.errors import InvalidInput
from nguon.org.tables import OrgUnit
from nguon.people.labels import EDUCATION_LABELS, SEX_LABELS
from nguon.pipeline.chain import ancestor_ids
from nguon.pipeline.document_parts import (
    ARCHIVE,
    REMOVED_HEADING,
    STEP_NAMES,
    attachment_disposition,
    default_sheet,
    entry_notes,
    file_stem,
    place_of,
)
from nguon.pipeline.documents import CellKind, DocumentColumn, ListDocument, ListRenderer
from nguon.pipeline.list_read import ListRead, resolutions_of, units_by_id
from nguon.pipeline.lists import read_list, tenant_package
from nguon.plugins import get_plugin_manager
from nguon.rules.errors import RulesError
from nguon.rules.package import Form, RulesPackage
from nguon.tenancy.context import require_tenant
from nguon.text import ascii_digits

QUARTERS_VI = {1: "I", 2: "II", 3: "III", 4: "IV"}
ILLEGAL_TEXT = re.compile(r"[\x00-\x1f\x7f]")
DEFAULT_SIGNATURE = ("T/M BAN THƯỜNG VỤ", "BÍ THƯ")
# Columns whose texts are numbers or dates (``DocumentColumn.kind``); the rest are text.
CELL_KINDS: dict[str, CellKind] = {"seq": "number", "date_of_birth": "date"}


def yes_mark(value: bool) -> str:
    return "x" if value else ""


def vi_date(value: dt.date | None) -> str:
    return f"{value:%d/%m/%Y}" if value else ""


def period_label(code: str) -> str:
    """ "2024-Q2" → "Quý II năm 2024"; "2024-annual" → "Khảo sát năm 2024 (cho năm 2025)"."""
    year, _, part = code.partition("-")
    if part.startswith("Q") and ascii_digits(part[1:]):
        return f"Quý {QUARTERS_VI.get(int(part[1:]), part[1:])} năm {year}"
    if part == "annual" and ascii_digits(year):
        return f"Khảo sát quý IV năm {year} (cho năm {int(year) + 1})"
    return code


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
    "notes": lambda seq, row: entry_notes(row),
}
"""Each form column code → its cell of a candidate's entry row, in Vietnamese."""


def _blank(seq: int, row: dict[str, Any]) -> str:
    return ""


# The name of whoever recorded the list's latest adoption, if they hold a role on the
# list's own unit (its secretary or deputy; an administrator or a superior's clerk acting
# for the unit does not sign for it).
_ADOPTER_SQL = """
SELECT a.full_name FROM list_transition AS t
JOIN candidate_list AS l ON l.id = t.candidate_list AND l.tenant_id = t.tenant_id
JOIN app_user AS a ON a.id = t.actor_id AND a.tenant_id = t.tenant_id
WHERE t.tenant_id = {} AND t.candidate_list = {} AND t.to_state = 'adopted'
    AND EXISTS (
        SELECT 1 FROM membership AS m
        WHERE m.tenant_id = t.tenant_id AND m."user" = t.actor_id AND m.unit = l.unit
    )
ORDER BY t.id DESC LIMIT 1
"""


class ExportOptions(msgspec.Struct, frozen=True, kw_only=True):
    """What the person exporting may fill in that the stored list does not know."""

    document_number: str = ""
    """The number from the committee's register of documents ("05")."""
    signer_name: str = ""
    """Who signs, where the adopter is not the signer or is not known."""


MAX_DOCUMENT_NUMBER = 20
MAX_SIGNER_NAME = 120


def export_options(number: str, signer: str) -> ExportOptions:
    """What was typed at export, cleaned (NFC, no control characters); an empty text
    means "as the list says"."""
    number, signer = (_typed(text) for text in (number, signer))
    if "/" in number or "-" in number:
        raise InvalidInput(
            "Chỉ ghi số văn bản (ví dụ 05); ký hiệu «-DS/CB» do hệ thống ghi / "
            "Only the register number: number",
            field="number",
        )
    return ExportOptions(document_number=number, signer_name=signer)


def _typed(text: str) -> str:
    return " ".join(ILLEGAL_TEXT.sub("", unicodedata.normalize("NFC", text)).split())


def download_name(document: ListDocument, renderer: ListRenderer) -> str:
    """The download's file name, in Vietnamese."""
    stem = document.file_stem or f"Danh-sách-{document.list_id}"
    return f"{stem}.{renderer.file_extension}"


def download_disposition(document: ListDocument, renderer: ListRenderer) -> str:
    """``Content-Disposition`` naming the download in Vietnamese, with an ASCII fallback."""
    return attachment_disposition(download_name(document, renderer))


def form_of(read: ListRead, package: RulesPackage) -> Form:
    """The package's form for the list; ``InvalidInput`` on ``list_id`` saying in Vietnamese
    that the package has none for the list's step at its unit's level."""
    row = read.row
    try:
        return package.form(row["step"], row["unit.kind"], row["period_opens"])
    except RulesError as error:
        kind = package.unit_kinds.get(row["unit.kind"], row["unit.kind"])
        step = STEP_NAMES.get(row["step"], row["step"])
        raise InvalidInput(
            f"Quy định của tỉnh không có mẫu in {step} cho cấp «{kind}», nên không xuất được "
            f"danh sách của «{row['unit.name']}». Danh sách theo mẫu do chi bộ và các cấp ủy "
            f"trên chi bộ lập / {error}: list_id",
            field="list_id",
        ) from error


def _cells(
    getters: list[Callable[[int, dict[str, Any]], str]], entries: list[dict[str, Any]]
) -> tuple[tuple[str, ...], ...]:
    return tuple(
        tuple(getter(seq, e) for getter in getters) for seq, e in enumerate(entries, start=1)
    )


def form_rows(read: ListRead, package: RulesPackage) -> tuple[Form, tuple[tuple[str, ...], ...]]:
    """The package's form for the list and one row of cells per included person
    (``RulesError`` when the package has no form for it)."""
    row = read.row
    form = package.form(row["step"], row["unit.kind"], row["period_opens"])
    getters = [CELL_GETTERS.get(c.code, _blank) for c in form.columns]
    return form, _cells(getters, [e for e in read.entries if e["included"]])


def removed_rows(read: ListRead, form: Form) -> tuple[tuple[str, ...], ...]:
    """One row per person taken off the list with a reason (the reason in the notes)."""
    getters = [CELL_GETTERS.get(c.code, _blank) for c in form.columns]
    taken_off = [e for e in read.entries if not e["included"] and e["removal_reason"]]
    return _cells(getters, taken_off)


async def build_list_document(
    access: Access, list_id: int, options: ExportOptions | None = None
) -> ListDocument:
    """The list ``list_id`` (as the caller may see it) laid out as the package's form."""
    read = await read_list(access, list_id)
    return await document_of(read, await tenant_package(), options or ExportOptions())


async def adopter_name(list_id: int) -> str:
    rows = await OrgUnit.raw(_ADOPTER_SQL, require_tenant(), list_id).run()
    return rows[0]["full_name"] if rows else ""


async def document_of(
    read: ListRead, package: RulesPackage, options: ExportOptions | None = None
) -> ListDocument:
    """A list already read, laid out as the package's form for its step and level."""
    options = options or ExportOptions()
    row = read.row
    form = form_of(read, package)
    _, rows = form_rows(read, package)
    path = ancestor_ids(row["unit.path"])
    ancestors = await units_by_id(path)
    parent = ancestors.get(row["unit.parent"]) if row["unit.parent"] else None
    above = [ancestors[i]["name"] for i in reversed(path[:-1]) if i in ancestors]
    lineage = [row["unit.name"], *above]
    resolutions = await resolutions_of(read)
    issued_on = resolutions[-1]["adopted_on"] if resolutions else today_in_vietnam()
    kind_spec = package.unit_kind_specs.get(row["unit.kind"])
    signature_title = (kind_spec and kind_spec.signs_as) or DEFAULT_SIGNATURE[0]
    signer_role = (kind_spec and kind_spec.signer_title) or DEFAULT_SIGNATURE[1]
    signer = options.signer_name.strip() or await adopter_name(row["id"])
    issuer = package.issuer_code(row["unit.kind"], row["unit.name"])
    sheet = form.sheet or default_sheet(row["step"])
    taken_off = removed_rows(read, form)
    return ListDocument(
        tenant_name=row["tenant.name"] or "",
        superior_committee=(parent["name"] if parent else "").upper(),
        unit_name=row["unit.name"].upper(),
        place=place_of(lineage, row["tenant.name"] or ""),
        issued_on=issued_on,
        title=form.title,
        step=row["step"],
        period_code=row["period_code"],
        period_label=period_label(row["period_code"]),
        columns=tuple(
            DocumentColumn(c.code, c.header, CELL_KINDS.get(c.code, "text")) for c in form.columns
        ),
        rows=rows,
        signature_title=signature_title,
        signer_role=signer_role,
        signer_name=signer,
        list_id=row["id"],
        list_version=row["version"],
        document_number=options.document_number.strip(),
        document_symbol=f"{form.document_type}/{issuer}" if issuer else "",
        recipients=tuple(n for n in (row["receiver_unit.name"], ARCHIVE) if n),
        removed_heading=REMOVED_HEADING if taken_off else "",
        removed_rows=taken_off,
        sheet_name=sheet,
        file_stem=file_stem(sheet, row["unit.name"], row["period_code"]),
    )


def may_export(read: ListRead, package: RulesPackage) -> bool:
    """Whether the package has a printed form for the list (and a renderer is offered)."""
    row = read.row
    try:
        package.form(row["step"], row["unit.kind"], row["period_opens"])
    except RulesError:
        return False
    return bool(list_renderers())


def list_renderers() -> dict[str, ListRenderer]:
    """Renderers offered by plugins, by ``format``."""
    found: dict[str, ListRenderer] = {}
    for batch in get_plugin_manager().hook.register_list_renderers():
        for renderer in batch or []:
            found.setdefault(renderer.format, renderer)
    return found
