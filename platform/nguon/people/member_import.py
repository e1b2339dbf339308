"""Import Party members from an XLSX sheet or a CSV file into the cells of a unit: every
row checked first, then all written or none (a province's members fit in one file).

The sheet's first row holds the headers (:data:`HEADERS`, in any order, diacritics and
case optional). A bad row is reported with its sheet row number and the Vietnamese name
of the column; when any row is bad nothing is written. :func:`member_template` makes the
sheet to fill in, with the unit's cells to choose from.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from asyncpg import UniqueViolationError

from nguon.accounts.permissions import Access
from nguon.clock import today_in_vietnam
from nguon.db.binding import current_engine
from nguon.db.engine import is_postgres
from nguon.people.member_bulk import CheckedRow, RowRefused, write_members
from nguon.people.member_input import FIELD_LABELS, Cell, read_member_fields, text_of
from nguon.people.sheet_files import (
    MAX_ROWS,
    CellChoice,
    ImportProblem,
    ImportRefused,
    ImportResult,
    cell_finder,
    cells_under,
    finish_template,
    problems_in_order,
    read_file,
)
from nguon.people.tables import Member
from nguon.tenancy.context import require_tenant
from nguon.tenancy.scoped import in_tenant
from nguon.text import search_key

TEMPLATE_ROWS = 500
"""Rows of the template whose date cells are formatted dd/mm/yyyy in advance."""
SHEET_TITLE = "Đảng viên"
HEADERS = ("STT", *FIELD_LABELS.values())
"""The template's columns: STT, then one per member field, the cell last."""
REQUIRED = ("full_name", "date_of_birth", "sex", "admitted_on")
_ALIASES = {
    "ngay ket nap": "admitted_on",
    "ngay ket nap dang": "admitted_on",
    "ngay cong nhan chinh thuc": "official_on",
    "ngay cong nhan dang vien chinh thuc": "official_on",
    "so the": "card_number",
    "ho ten": "full_name",
    "ma chi bo": "unit",
}
_HEADER_FIELDS = {search_key(label): field for field, label in FIELD_LABELS.items()} | _ALIASES


def _columns(header: list[Cell]) -> tuple[dict[str, int], list[ImportProblem]]:
    columns: dict[str, int] = {}
    problems: list[ImportProblem] = []
    for index, cell in enumerate(header):
        field = _HEADER_FIELDS.get(search_key(text_of(cell)))
        if field is not None and field not in columns:
            columns[field] = index
    if not columns:
        message = (
            "Không đọc được tệp: dòng đầu không có tiêu đề cột nào của mẫu "
            f"({', '.join(FIELD_LABELS.values())}); hãy dùng tệp Excel (.xlsx) theo mẫu "
            "hoặc tệp CSV có cùng tiêu đề."
        )
        return columns, [ImportProblem(row=1, column="", message=message)]
    for field in REQUIRED:
        if field not in columns:
            problems.append(
                ImportProblem(
                    row=1,
                    column=FIELD_LABELS[field],
                    message=f"Thiếu cột “{FIELD_LABELS[field]}” ở dòng tiêu đề.",
                )
            )
    return columns, problems


async def import_members(
    access: Access, unit: dict[str, Any] | Any, content: bytes, filename: str
) -> ImportResult:
    """Add every member of the sheet to the cells of ``unit`` (a cell: its own by default),
    or raise ``ImportRefused`` naming every bad row, having written nothing.

    Call inside a transaction: a row refused while writing rolls back the rows before it.
    """
    cells = await cells_under(access, unit)
    unit_id = unit["id"] if isinstance(unit, dict) else unit.id
    default = next((c for c in cells if c.id == unit_id), None)
    rows = read_file(content)
    columns, problems = _columns(rows[0][1])
    if problems:
        raise ImportRefused(problems)
    if "unit" not in columns and default is None:
        raise ImportRefused(
            [ImportProblem(row=1, column="Chi bộ", message="Thiếu cột “Chi bộ” ở dòng tiêu đề.")]
        )
    find_cell = cell_finder(cells, default)
    parsed: list[tuple[int, dict[str, Any], CellChoice]] = []
    for number, cells_of_row in rows[1:]:
        raw = {f: cells_of_row[i] if i < len(cells_of_row) else None for f, i in columns.items()}
        if all(text_of(value) == "" for value in raw.values()):
            continue
        if len(parsed) + len(problems) >= MAX_ROWS:
            raise ImportRefused(
                [ImportProblem(row=0, column="", message=f"Tệp có hơn {MAX_ROWS} dòng.")]
            )
        values, errors = read_member_fields(raw)
        cell, cell_error = find_cell(text_of(raw.get("unit")))
        if cell_error:
            errors["unit"] = cell_error
        for field, message in errors.items():
            problems.append(ImportProblem(row=number, column=FIELD_LABELS[field], message=message))
        if not errors and cell is not None:
            parsed.append((number, values, cell))
    problems += await _duplicates(parsed)
    if problems:
        raise ImportRefused(problems_in_order(problems))
    if not parsed:
        raise ImportRefused(
            [ImportProblem(row=0, column="", message="Tệp không có dòng đảng viên nào.")]
        )
    checked = [
        CheckedRow(line=number, unit_id=cell.id, unit_path=cell.path, values=values)
        for number, values, cell in parsed
    ]
    try:
        await write_members(access, require_tenant(), checked, filename, today_in_vietnam())
    except RowRefused as refused:
        column = FIELD_LABELS.get(refused.error.field or "", "")
        message = refused.error.message.split(" / ")[0]
        problem = ImportProblem(row=refused.line, column=column, message=message)
        raise ImportRefused([problem]) from refused
    except UniqueViolationError as error:
        # A card number recorded by someone else while the file was being checked.
        message = "Số thẻ đảng viên vừa được ghi cho người khác; hãy nhập lại tệp."
        problem = ImportProblem(row=0, column=FIELD_LABELS["card_number"], message=message)
        raise ImportRefused([problem]) from error
    return ImportResult(created=len(parsed), cells=len({cell.id for _, _, cell in parsed}))


async def _recorded_cards(cards: list[str]) -> list[dict[str, Any]]:
    if not cards:
        return []
    if is_postgres(current_engine()):
        # One array parameter: Piccolo's IN list renders each of a province's cards.
        return await Member.raw(
            "SELECT card_number, full_name FROM party_member "
            "WHERE tenant_id = {} AND card_number = ANY({}::text[])",
            require_tenant(),
            cards,
        ).run()
    return await (
        Member.select(Member.card_number, Member.full_name)
        .where(in_tenant(Member), Member.card_number.is_in(cards))
        .run()
    )


async def _duplicates(parsed: list[tuple[int, dict[str, Any], CellChoice]]) -> list[ImportProblem]:
    """Card numbers used twice (in the file or already recorded), and people already in
    the cell with the same name and date of birth."""
    problems: list[ImportProblem] = []
    label = FIELD_LABELS["card_number"]
    cards = sorted({v["card_number"] for _, v, _ in parsed if v["card_number"]})
    recorded = {r["card_number"]: r["full_name"] for r in await _recorded_cards(cards)}
    first_row: dict[str, int] = {}
    for number, values, _ in parsed:
        card = values["card_number"]
        if not card:
            continue
        if card in recorded:
            message = f"Số thẻ {card} đã được ghi cho đảng viên {recorded[card]}."
            problems.append(ImportProblem(row=number, column=label, message=message))
        elif card in first_row:
            message = f"Số thẻ {card} trùng với dòng {first_row[card]}."
            problems.append(ImportProblem(row=number, column=label, message=message))
        else:
            first_row[card] = number
    cell_ids = sorted({cell.id for _, _, cell in parsed})
    present: set[tuple[int, str, dt.date]] = set()
    if cell_ids:
        rows = await (
            Member.select(Member.unit, Member.name_search, Member.date_of_birth)
            .where(in_tenant(Member), Member.unit.is_in(cell_ids), Member.ended_on.is_null())
            .run()
        )
        present = {(r["unit"], r["name_search"], r["date_of_birth"]) for r in rows}
    seen: dict[tuple[int, str, dt.date], int] = {}
    for number, values, cell in parsed:
        key = (cell.id, search_key(values["full_name"]), values["date_of_birth"])
        if key in present:
            message = f"{values['full_name']} (cùng ngày sinh) đã có trong {cell.name}."
            problems.append(ImportProblem(row=number, column="Họ và tên", message=message))
        elif key in seen:
            message = f"Trùng họ tên và ngày sinh với dòng {seen[key]}."
            problems.append(ImportProblem(row=number, column="Họ và tên", message=message))
        else:
            seen[key] = number
    return problems


def member_template(cells: list[CellChoice]) -> bytes:
    """The sheet to fill in: Vietnamese headers, date cells as dd/mm/yyyy, a drop-down of
    the unit's cells and one for the sex; a second sheet lists the cells with their codes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    sheet.append(list(HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = (6, 28, 13, 10, 18, 15, 15, 36)
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    last = MAX_ROWS + 1
    for column in ("C", "F", "G"):
        for row in range(2, TEMPLATE_ROWS + 2):
            sheet[f"{column}{row}"].number_format = "dd/mm/yyyy"
    sexes = DataValidation(type="list", formula1='"Nam,Nữ"', allow_blank=True)
    sexes.add(f"D2:D{last}")
    sheet.add_data_validation(sexes)
    return finish_template(workbook, sheet, cells, "H")
