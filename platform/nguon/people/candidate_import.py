"""Import the people of a survey (candidates, stage "surveyed") from an XLSX sheet or a CSV
file into the cells of a unit: every row checked first, then all written or none.

The columns are those of the tenant's package: every header its list forms use
(``forms.toml``, "Ngày, tháng, năm sinh", "Đoàn viên" …) is read, with the fields a
form does not print (the national ID, the hardship area) under their own headers. The
header row may sit under a heading and a title, so a list printed from the forms (or one
the cell kept in Excel in the same form) imports as it is; the table ends at a row with
words in one cell only (the heading of the people taken off), and rows after the last
with a name or a birthday are the list's foot ("Nơi nhận", the signature block).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from nguon.accounts.permissions import Access
from nguon.clock import today_in_vietnam
from nguon.crypto import NationalIdSealer
from nguon.db.binding import current_engine
from nguon.db.engine import is_postgres
from nguon.people.candidate_bulk import write_candidates
from nguon.people.candidate_input import CANDIDATE_LABELS, read_candidate_fields
from nguon.people.labels import EDUCATION_LABELS
from nguon.people.member_bulk import CheckedRow, RowRefused
from nguon.people.member_input import text_of
from nguon.people.sheet_files import (
    HEADER_SEARCH_ROWS,
    MAX_ROWS,
    CellChoice,
    ImportProblem,
    ImportRefused,
    ImportResult,
    Row,
    cell_finder,
    cells_under,
    ends_table,
    find_header,
    finish_template,
    last_person,
    problems_in_order,
    read_file,
)
from nguon.people.tables import Candidate
from nguon.rules.errors import RulesError
from nguon.rules.package import RulesPackage
from nguon.tenancy.context import require_tenant
from nguon.tenancy.package import tenant_package
from nguon.tenancy.scoped import in_tenant
from nguon.text import search_key

SURVEY_STEP = "survey"
SHEET_TITLE = "Quần chúng"
TEMPLATE_ROWS = 500
REQUIRED = ("full_name", "date_of_birth", "sex", "education")
FORM_FIELDS = {
    "full_name": "full_name",
    "date_of_birth": "date_of_birth",
    "sex": "sex",
    "ethnicity": "ethnicity",
    "religion": "religion",
    "home_town": "home_town",
    "residence": "residence",
    "education": "education",
    "occupation": "occupation",
    "youth_union": "youth_union_member",
    "trade_union": "trade_union_member",
    "unit": "unit",
    "notes": "notes",
}
"""A package form column's code → the candidate field it shows (the others are not read)."""
_ALIASES = {
    "ho ten": "full_name",
    "ngay thang nam sinh": "date_of_birth",
    "so cccd": "national_id",
    "cccd": "national_id",
    "so can cuoc": "national_id",
    "so can cuoc cong dan": "national_id",
    "so dinh danh": "national_id",
    "so cmnd": "national_id",
    "noi o hien nay": "residence",
    "trinh do van hoa": "education",
    "doan vien thanh nien": "youth_union_member",
    "doan vien cong doan": "trade_union_member",
    "vung kho khan": "hardship_area",
    "chi bo dang bo": "unit",
    "ma chi bo": "unit",
}
_UNREAD = frozenset({"seq", "helper", "certificate"})
"""Form columns an import skips: the row number, and what only later steps record."""


def known_headers(package: RulesPackage) -> dict[str, str]:
    """Each header a candidate sheet may use (search key) → its field."""
    known = {search_key(label): field for field, label in CANDIDATE_LABELS.items()} | _ALIASES
    for code, column in package.form_columns.items():
        if code in FORM_FIELDS:
            known[search_key(column.header)] = FORM_FIELDS[code]
    return known


def _header_problems(
    rows: list[Row], known: dict[str, str]
) -> tuple[int, dict[str, int], list[ImportProblem]]:
    index, columns = find_header(rows, known, "full_name")
    if index < 0:
        message = (
            "Không đọc được tệp: không thấy dòng tiêu đề có cột “Họ và tên” trong "
            f"{min(len(rows), HEADER_SEARCH_ROWS)} dòng đầu; hãy dùng mẫu nhập quần chúng "
            "hoặc danh sách theo mẫu của tỉnh (tệp Excel .xlsx hoặc CSV)."
        )
        return index, columns, [ImportProblem(row=rows[0][0], column="", message=message)]
    header_row = rows[index][0]
    problems = [
        ImportProblem(
            row=header_row,
            column=CANDIDATE_LABELS[field],
            message=f"Thiếu cột “{CANDIDATE_LABELS[field]}” ở dòng tiêu đề (dòng {header_row}).",
        )
        for field in REQUIRED
        if field not in columns
    ]
    return index, columns, problems


async def import_candidates(
    access: Access, unit: dict[str, Any] | Any, content: bytes, filename: str
) -> ImportResult:
    """Add every person of the sheet, surveyed, to the cells of ``unit`` (a cell: its own
    by default), or raise ``ImportRefused`` naming every bad row, having written nothing.

    Call inside a transaction: a row refused while writing rolls back the rows before it.
    """
    cells = await cells_under(access, unit)
    unit_id = unit["id"] if isinstance(unit, dict) else unit.id
    default = next((c for c in cells if c.id == unit_id), None)
    rows = read_file(content)
    index, columns, problems = _header_problems(rows, known_headers(await tenant_package()))
    if problems:
        raise ImportRefused(problems)
    header = rows[index][1]
    titles = {field: text_of(header[column]) for field, column in columns.items()}
    if "unit" not in columns and default is None:
        message = (
            "Thiếu cột “Chi bộ, đảng bộ” (hoặc “Chi bộ”) ở dòng tiêu đề: nhập vào "
            f"{_name_of(unit)} thì mỗi dòng phải ghi chi bộ của người đó. Danh sách của một "
            "chi bộ (không có cột này) hãy nhập từ trang của chi bộ đó."
        )
        problem = ImportProblem(row=rows[index][0], column="Chi bộ, đảng bộ", message=message)
        raise ImportRefused([problem])
    find_cell = cell_finder(cells, default)
    today = today_in_vietnam()
    parsed: list[tuple[int, dict[str, Any], CellChoice]] = []
    for number, cells_of_row in rows[index + 1 : last_person(rows, _person_columns(columns)) + 1]:
        raw = {f: cells_of_row[i] if i < len(cells_of_row) else None for f, i in columns.items()}
        if ends_table(cells_of_row, columns["full_name"]):
            break
        if all(text_of(value) == "" for value in raw.values()):
            continue
        if len(parsed) + len(problems) >= MAX_ROWS:
            message = f"Tệp có hơn {MAX_ROWS} dòng."
            raise ImportRefused([ImportProblem(row=0, column="", message=message)])
        values, errors = read_candidate_fields(raw, today)
        cell, cell_error = find_cell(text_of(raw.get("unit")))
        if cell_error:
            errors["unit"] = cell_error
        for field, message in sorted(errors.items(), key=lambda item: columns.get(item[0], 0)):
            column = titles.get(field) or CANDIDATE_LABELS[field]
            problems.append(ImportProblem(row=number, column=column, message=message))
        if not errors and cell is not None:
            parsed.append((number, values, cell))
    keys = {number: search_key(values["full_name"]) for number, values, _ in parsed}
    problems += await _duplicates(parsed, keys, titles)
    if problems:
        raise ImportRefused(problems_in_order(problems))
    if not parsed:
        message = "Tệp không có dòng quần chúng nào."
        raise ImportRefused([ImportProblem(row=0, column="", message=message)])
    checked = [
        CheckedRow(
            line=number,
            unit_id=cell.id,
            unit_path=cell.path,
            values=values,
            name_search=keys[number],
        )
        for number, values, cell in parsed
    ]
    try:
        await write_candidates(access, require_tenant(), checked)
    except RowRefused as refused:
        field = refused.error.field or ""
        column = titles.get(field) or CANDIDATE_LABELS.get(field, "")
        message = refused.error.message.split(" / ")[0]
        problem = ImportProblem(row=refused.line, column=column, message=message)
        raise ImportRefused([problem]) from refused
    return ImportResult(created=len(parsed), cells=len({cell.id for _, _, cell in parsed}))


async def _recorded_national_ids(hashes: list[str]) -> set[str]:
    if not hashes:
        return set()
    if is_postgres(current_engine()):
        rows = await Candidate.raw(
            "SELECT national_id_hash FROM candidate "
            "WHERE tenant_id = {} AND national_id_hash = ANY({}::text[])",
            require_tenant(),
            hashes,
        ).run()
    else:
        rows = await (
            Candidate.select(Candidate.national_id_hash)
            .where(in_tenant(Candidate), Candidate.national_id_hash.is_in(hashes))
            .run()
        )
    return {row["national_id_hash"] for row in rows}


def _person_columns(columns: dict[str, int]) -> list[int]:
    """The columns only a person's row fills: the name and the birthday."""
    return [columns[field] for field in ("full_name", "date_of_birth") if field in columns]


def _name_of(unit: dict[str, Any] | Any) -> str:
    name = unit.get("name") if isinstance(unit, dict) else getattr(unit, "name", None)
    return str(name or "đơn vị này")


async def _on_the_lists(cell_ids: list[int]) -> set[tuple[int, str, dt.date]]:
    """(cell, name key, birthday) of the people on the cells' lists (not taken off, not
    admitted)."""
    if not cell_ids:
        return set()
    if is_postgres(current_engine()):
        rows = await Candidate.raw(
            "SELECT unit, name_search, date_of_birth FROM candidate WHERE tenant_id = {} "
            "AND unit = ANY({}::int[]) AND stage NOT IN ('removed', 'admitted')",
            require_tenant(),
            cell_ids,
        ).run()
    else:
        rows = await (
            Candidate.select(Candidate.unit, Candidate.name_search, Candidate.date_of_birth)
            .where(
                in_tenant(Candidate),
                Candidate.unit.is_in(cell_ids),
                Candidate.stage.not_in(["removed", "admitted"]),
            )
            .run()
        )
    return {(r["unit"], r["name_search"], r["date_of_birth"]) for r in rows}


async def _duplicates(
    parsed: list[tuple[int, dict[str, Any], CellChoice]],
    keys: dict[int, str],
    titles: dict[str, str],
) -> list[ImportProblem]:
    """National IDs used twice (in the file or already recorded), and people already on
    the cell's survey (not taken off, not admitted) with the same name and date of birth."""
    problems: list[ImportProblem] = []
    id_column = titles.get("national_id") or CANDIDATE_LABELS["national_id"]
    sealer = NationalIdSealer()
    hashes = {
        number: sealer.lookup_hashes(values["national_id"])
        for number, values, _ in parsed
        if values["national_id"]
    }
    recorded = await _recorded_national_ids(sorted({h for row in hashes.values() for h in row}))
    first_row: dict[str, int] = {}
    for number, values, _ in parsed:
        national_id = values["national_id"]
        if not national_id:
            continue
        if recorded.intersection(hashes[number]):
            message = f"Số định danh {national_id} đã có trong hệ thống."
            problems.append(ImportProblem(row=number, column=id_column, message=message))
        elif national_id in first_row:
            message = f"Số định danh {national_id} trùng với dòng {first_row[national_id]}."
            problems.append(ImportProblem(row=number, column=id_column, message=message))
        else:
            first_row[national_id] = number
    name_column = titles.get("full_name") or CANDIDATE_LABELS["full_name"]
    cell_ids = sorted({cell.id for _, _, cell in parsed})
    present = await _on_the_lists(cell_ids)
    seen: dict[tuple[int, str, dt.date], int] = {}
    for number, values, cell in parsed:
        key = (cell.id, keys[number], values["date_of_birth"])
        if key in present:
            message = (
                f"{values['full_name']} (cùng ngày sinh) đã có trong danh sách của {cell.name}."
            )
            problems.append(ImportProblem(row=number, column=name_column, message=message))
        elif key in seen:
            message = f"Trùng họ tên và ngày sinh với dòng {seen[key]}."
            problems.append(ImportProblem(row=number, column=name_column, message=message))
        else:
            seen[key] = number
    return problems


def template_columns(package: RulesPackage, on: dt.date) -> list[tuple[str, str]]:
    """(field, header) of the template: the package's survey summary form as it prints
    (headers and order), without the columns an import skips, then the fields the form
    lacks; a package without such a form gets the built-in headers."""
    specs = sorted(
        (spec for spec, _ in package.forms if spec.step == SURVEY_STEP),
        key=lambda spec: "unit" not in spec.columns,
    )
    form = None
    for spec in specs:
        try:
            form = package.form(SURVEY_STEP, spec.levels[0], on)
        except RulesError:
            continue
        break
    columns = [("seq", "STT")]
    if form is not None:
        columns += [
            (FORM_FIELDS[c.code], c.header)
            for c in form.columns
            if c.code not in _UNREAD and c.code in FORM_FIELDS
        ]
    present = {field for field, _ in columns}
    extras = [(f, label) for f, label in CANDIDATE_LABELS.items() if f not in present]
    if "notes" in present:
        notes = next(i for i, (field, _) in enumerate(columns) if field == "notes")
        return [*columns[:notes], *extras, *columns[notes:]]
    return columns + extras


def candidate_template(cells: list[CellChoice], columns: list[tuple[str, str]]) -> bytes:
    """The sheet to fill in: the package's headers, date cells as dd/mm/yyyy, drop-downs
    for the sex, the education, the marks and the cell; a second sheet lists the cells."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    sheet.append([header for _, header in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    last = MAX_ROWS + 1
    letters = {field: get_column_letter(i) for i, (field, _) in enumerate(columns, start=1)}
    for field, letter in letters.items():
        wide = field in ("full_name", "home_town", "residence", "occupation", "unit", "notes")
        sheet.column_dimensions[letter].width = 30 if wide else 14
    for row in range(2, TEMPLATE_ROWS + 2):
        sheet[f"{letters['date_of_birth']}{row}"].number_format = "dd/mm/yyyy"
        sheet[f"{letters['national_id']}{row}"].number_format = "@"
    choices = {
        "sex": '"Nam,Nữ"',
        "education": '"' + ",".join(EDUCATION_LABELS.values()) + '"',
        "youth_union_member": '"x"',
        "trade_union_member": '"x"',
        "hardship_area": '"x"',
    }
    for field, formula in choices.items():
        if field in letters:
            validation = DataValidation(type="list", formula1=formula, allow_blank=True)
            validation.add(f"{letters[field]}2:{letters[field]}{last}")
            sheet.add_data_validation(validation)
    return finish_template(workbook, sheet, cells, letters.get("unit", ""))
