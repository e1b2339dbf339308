"""What the member and candidate imports share: reading an XLSX sheet or a CSV file into
numbered rows, finding the header row, the cells a user may import into and how a row
names its cell, and the located problems that refuse a file (nothing written).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import msgspec
from python_calamine import CalamineError, CalamineWorkbook

from nguon.accounts.permissions import WRITE, Access
from nguon.clock import today_in_vietnam
from nguon.org.tables import OrgUnit
from nguon.org.validity import in_force_on
from nguon.people.member_input import Cell, text_of
from nguon.tenancy.package import tenant_package
from nguon.tenancy.scoped import in_tenant
from nguon.text import search_key

MAX_ROWS = 200_000
MAX_MB = 50
MAX_BYTES = MAX_MB * 1024 * 1024
TOO_BIG = f"Tệp lớn hơn {MAX_MB} MB; hãy chia nhỏ tệp."
ZIP_MAGIC = b"PK\x03\x04"
"""How an XLSX file (a zip archive) begins; anything else is read as CSV."""
OLD_EXCEL_MAGIC = b"\xd0\xcf\x11\xe0"
"""How an Excel 97–2003 workbook (an OLE2 compound file) begins."""
BOMS_16 = (b"\xff\xfe", b"\xfe\xff")
"""A UTF-16 text file (told to save as UTF-8, not that it is no text)."""
HEADER_SEARCH_ROWS = 30
"""How far down a sheet its header row is looked for (a printed list has its heading,
title and period above the table)."""

Row = tuple[int, list[Cell]]
CellFinder = Callable[[str], tuple["CellChoice | None", str]]
"""A row's cell text → the cell it names, or a message saying why none."""


class ImportProblem(msgspec.Struct, frozen=True):
    row: int
    """The sheet's row number (1 is the header row); 0 for the file as a whole."""
    column: str
    """The column's Vietnamese header, or "" for the whole row or file."""
    message: str


class ImportRefused(Exception):
    """Nothing was written; ``problems`` names every bad row and column."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the import")
        self.problems = problems


class ImportResult(msgspec.Struct, kw_only=True):
    created: int
    cells: int


class CellChoice(msgspec.Struct, frozen=True):
    id: int
    code: str
    name: str
    path: str
    parent_name: str

    @property
    def label(self) -> str:
        """The name with its committee: two villages' cells may share a name."""
        return f"{self.name} — {self.parent_name}" if self.parent_name else self.name


async def cells_under(access: Access, unit: dict[str, Any] | Any | None) -> list[CellChoice]:
    """The cells in force the caller may manage in ``unit``'s subtree (itself included),
    or in all the caller's subtrees when ``unit`` is None."""
    if unit is None:
        prefixes = access.visible_prefixes()
    else:
        prefixes = [unit["path"] if isinstance(unit, dict) else unit.path]
    kinds = sorted((await tenant_package()).people_holding_kinds)
    today = today_in_vietnam()
    cells: list[CellChoice] = []
    for prefix in prefixes:
        rows = await (
            OrgUnit.select(
                OrgUnit.id,
                OrgUnit.code,
                OrgUnit.name,
                OrgUnit.path,
                OrgUnit.valid_from,
                OrgUnit.valid_to,
                OrgUnit.parent.name.as_alias("parent_name"),
            )
            .where(in_tenant(OrgUnit), OrgUnit.path.like(f"{prefix}%"), OrgUnit.kind.is_in(kinds))
            .order_by(OrgUnit.path)
            .run()
        )
        cells += [
            CellChoice(
                id=r["id"],
                code=r["code"],
                name=r["name"],
                path=r["path"],
                parent_name=r["parent_name"] or "",
            )
            for r in rows
            if in_force_on(r, today) and access.can(r["path"], WRITE)
        ]
    return cells


def _sheet_rows(content: bytes) -> Iterator[Row]:
    """The first sheet's rows from A1, numbered as the sheet numbers them (calamine reads
    a province's sheet several times faster than openpyxl)."""
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
    rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    for number, cells in enumerate(rows, start=1):
        yield number, [None if cell == "" else cell for cell in cells]


def _csv_rows(content: bytes) -> Iterator[Row]:
    """The rows of a CSV file (UTF-8, a BOM allowed; separated by commas, semicolons or
    tabs, as the first line shows), numbered by line like a sheet's rows."""
    text = content.decode("utf-8-sig")
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    for number, cells in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        yield number, list(cells)


def choice_labels(cells: list[CellChoice]) -> dict[int, str]:
    """What the template offers for each cell, one different text per cell: its name, with
    its committee when another cell has the same name (every commune has a "Chi bộ thôn
    1"), and its code when even that repeats."""
    names = Counter(search_key(cell.name) for cell in cells)
    labels = {
        cell.id: cell.name if names[search_key(cell.name)] == 1 else cell.label for cell in cells
    }
    repeated = Counter(search_key(label) for label in labels.values())
    return {
        cell.id: label if repeated[search_key(label)] == 1 else f"{label} ({cell.code})"
        for cell in cells
        for label in (labels[cell.id],)
    }


def cell_finder(cells: list[CellChoice], default: CellChoice | None) -> CellFinder:
    by_code = {search_key(c.code): c for c in cells}
    labels = choice_labels(cells)
    by_label = {search_key(labels[c.id]): c for c in cells}
    by_name: dict[str, list[CellChoice]] = {}
    for cell in cells:
        by_name.setdefault(search_key(cell.name), []).append(cell)

    def find(value: str) -> tuple[CellChoice | None, str]:
        if not value:
            if default is not None:
                return default, ""
            return None, "Hãy ghi tên hoặc mã chi bộ."
        key = search_key(value)
        if key in by_label:
            return by_label[key], ""
        named = by_name.get(key, [])
        if len(named) == 1:
            return named[0], ""
        if len(named) > 1:
            return None, (
                f"Có {len(named)} chi bộ tên “{value}”; hãy chọn chi bộ trong danh sách của "
                f"mẫu (tên kèm cấp ủy, ví dụ “{labels[named[0].id]}”) hoặc ghi mã chi bộ."
            )
        if key in by_code:
            return by_code[key], ""
        return None, f"Không có chi bộ “{value}” trong đơn vị bạn quản lý."

    return find


def read_file(content: bytes) -> list[Row]:
    if len(content) > MAX_BYTES:
        raise ImportRefused([ImportProblem(row=0, column="", message=TOO_BIG)])
    if content[:4] == OLD_EXCEL_MAGIC:
        message = (
            "Tệp Excel 97–2003 (.xls) chưa đọc được: hãy mở tệp trong Excel và lưu lại "
            "thành “Excel Workbook (.xlsx)” hoặc “CSV UTF-8”."
        )
        raise ImportRefused([ImportProblem(row=0, column="", message=message)])
    if content[:4] != ZIP_MAGIC and b"\x00" in content[:4096] and content[:2] not in BOMS_16:
        message = "Không đọc được tệp: hãy dùng tệp Excel (.xlsx) theo mẫu hoặc tệp CSV."
        raise ImportRefused([ImportProblem(row=0, column="", message=message)])
    try:
        rows = list(_sheet_rows(content) if content[:4] == ZIP_MAGIC else _csv_rows(content))
    except UnicodeDecodeError:
        message = "Tệp CSV phải được lưu với bảng mã UTF-8 (trong Excel: “CSV UTF-8”)."
        raise ImportRefused([ImportProblem(row=0, column="", message=message)]) from None
    except (CalamineError, ValueError, OSError, csv.Error):
        message = "Không đọc được tệp: hãy dùng tệp Excel (.xlsx) theo mẫu hoặc tệp CSV."
        raise ImportRefused([ImportProblem(row=0, column="", message=message)]) from None
    if not rows:
        raise ImportRefused([ImportProblem(row=0, column="", message="Tệp không có dữ liệu.")])
    return rows


def find_header(
    rows: list[Row], known: Mapping[str, str], required: str
) -> tuple[int, dict[str, int]]:
    """The index in ``rows`` of the header row and each field's column: the first of the
    top rows naming the ``required`` field and most known headers (``known``: header
    search key → field). (-1, {}) when no row names ``required``."""
    best, best_columns = -1, {}
    for index, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for position, cell in enumerate(cells):
            field = known.get(search_key(text_of(cell)))
            if field is not None and field not in columns:
                columns[field] = position
        if required in columns and len(columns) > len(best_columns):
            best, best_columns = index, columns
    return best, best_columns


def ends_table(cells: list[Cell], name_column: int) -> bool:
    """A row under the table, not a person: words in one cell only, not the name's (the
    heading of the people taken off a printed list, a signature line). A row numbered in
    advance and left empty is not one."""
    filled = [index for index, cell in enumerate(cells) if cell is not None and cell != ""]
    if len(filled) != 1 or filled[0] == name_column:
        return False
    text = text_of(cells[filled[0]])
    return bool(text) and not text.replace(".", "").isdigit()


def problems_in_order(problems: list[ImportProblem]) -> list[ImportProblem]:
    """By row; a row's problems in the order they were found (its columns' order)."""
    return sorted(problems, key=lambda p: p.row)


def last_person(rows: list[Row], person_columns: list[int]) -> int:
    """The index of the last row with a name or a birthday: what follows is a printed
    list's foot ("Nơi nhận", the signature block, whose texts stand left of the name and
    are no dates), not people."""
    for index in range(len(rows) - 1, -1, -1):
        cells = rows[index][1]
        if any(column < len(cells) and text_of(cells[column]) for column in person_columns):
            return index
    return -1


CELLS_SHEET_TITLE = "Chi bộ"


def finish_template(workbook: Any, sheet: Any, cells: list[CellChoice], cell_column: str) -> bytes:
    """The template's last part, the same for every import: a second sheet listing the
    cells (a label telling same-named cells apart, and the code), a drop-down of them in
    ``cell_column`` of ``sheet``, the header row frozen; the workbook's bytes."""
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    listing = workbook.create_sheet(CELLS_SHEET_TITLE)
    listing.append(["Tên chi bộ", "Mã"])
    for cell in listing[1]:
        cell.font = Font(bold=True)
    listing.column_dimensions["A"].width = 60
    labels = choice_labels(cells)
    for choice in cells:
        listing.append([labels[choice.id], choice.code])
    if cells and cell_column:
        names = DataValidation(
            type="list",
            formula1=f"'{CELLS_SHEET_TITLE}'!$A$2:$A${len(cells) + 1}",
            allow_blank=True,
        )
        names.add(f"{cell_column}2:{cell_column}{MAX_ROWS + 1}")
        sheet.add_data_validation(names)
    sheet.freeze_panes = "A2"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
