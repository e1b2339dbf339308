"""A ``ListDocument`` laid out as an official Party form in one XLSX worksheet.

The layout follows the Party's document conventions (Hướng dẫn 36-HD/VPTW): the issuing
committee top left with a "*" and the document number below it, "ĐẢNG CỘNG SẢN VIỆT NAM"
top right with the place-and-date line below it, the title centred in capitals, the
table, "Nơi nhận" bottom left and the signature block bottom right. The columns come from
the document, that is from the rules package's form for the list's step and level, so
this module knows no column by name; a column's kind says whether its texts are numbers or
dates, written as real numbers and dates (shown ``dd/mm/yyyy``) so sorting and sums work.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date, datetime
from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from nguon.pipeline.documents import DATE_TEXT_FORMAT, CellKind, ListDocument

PARTY_HEADING = "ĐẢNG CỘNG SẢN VIỆT NAM"
FONT_NAME = "Times New Roman"
HEADING_SIZE = 13
TABLE_SIZE = 12

SUPERIOR_ROW = 1
UNIT_ROW = 2
STAR_ROW = 3
NUMBER_ROW = 4
TITLE_ROW = 6
PERIOD_ROW = 7
HEADER_ROW = 9
FIRST_DATA_ROW = HEADER_ROW + 1
SIGNATURE_GAP = 1  # empty rows between the table and the signature block
SIGNATURE_SPACE = 4  # empty rows left for the handwritten signature and the seal

MIN_WIDTH = 5
MAX_WIDTH = 32
POINTS_PER_LINE = {HEADING_SIZE: 17.0, TABLE_SIZE: 15.75}

DATE_NUMBER_FORMAT = "DD/MM/YYYY"
RECIPIENTS_LABEL = "Nơi nhận:"

SHEET_TITLE_MAX = 31
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def place_and_date(place: str, day: date) -> str:
    """ "Lạc Hồng, ngày 05 tháng 3 năm 2025": days 1–9 and months 1–2 get a leading zero.

    That is the convention of the Party's own guidance (36-HD/VPTW is dated "ngày 03
    tháng 4 năm 2018") and of state documents (Nghị định 30/2020/NĐ-CP): a zero in front
    keeps "ngày 5" from being turned into "ngày 15", and months from 3 on cannot grow so.
    """
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def sheet_title(name: str) -> str:
    """A worksheet name Excel accepts: no ``[]:*?/\\``, no edge apostrophes, ≤ 31 chars."""
    title = _SHEET_TITLE_FORBIDDEN.sub("-", name).strip().strip("'")[:SHEET_TITLE_MAX]
    return title.strip() or "Danh sách"


def recipient_lines(recipients: Sequence[str]) -> list[str]:
    """ "- Đảng ủy xã Lạc Hồng," … "- Lưu." (each line a recipient, the last one closed)."""
    return [
        f"- {name}{'.' if index == len(recipients) - 1 else ','}"
        for index, name in enumerate(recipients)
    ]


def cell_value(text: str, kind: CellKind) -> str | int | date:
    """The value a cell holds: an int for a number's digits, a date for ``dd/mm/yyyy``,
    otherwise the text as it is (a number column may hold a note, it stays readable)."""
    if kind == "number" and text.isascii() and text.isdigit():
        return int(text)
    if kind == "date":
        try:
            return datetime.strptime(text, DATE_TEXT_FORMAT).date()
        except ValueError:
            return text
    return text


def render_workbook(document: ListDocument) -> bytes:
    """The document as the bytes of an XLSX file with one worksheet."""
    _check_shape(document)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title(document.sheet_name or document.step)
    columns = max(len(document.columns), 2)
    left, right = _header_blocks(columns)
    widths = _column_widths(document)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width

    _write_heading(sheet, document, left, right)
    _write_title(sheet, document, columns, sum(widths))
    after_table = _write_table(sheet, document, widths)
    last_row = _write_signature(sheet, document, left, right, after_table)
    _set_up_page(sheet, columns, last_row)

    workbook.properties.title = document.title
    workbook.properties.subject = document.period_label
    workbook.properties.creator = "Nguồn"
    if document.list_id:
        workbook.properties.identifier = f"list-{document.list_id}-v{document.list_version}"
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _check_shape(document: ListDocument) -> None:
    if not document.columns:
        raise ValueError("ListDocument.columns: a form needs at least one column")
    width = len(document.columns)
    for name, rows in (("rows", document.rows), ("removed_rows", document.removed_rows)):
        for number, row in enumerate(rows):
            if len(row) != width:
                raise ValueError(
                    f"ListDocument.{name}[{number}]: {len(row)} values for {width} columns"
                )
            for index, value in enumerate(row):
                if not isinstance(value, str):
                    raise ValueError(
                        f"ListDocument.{name}[{number}][{index}] ({document.columns[index].code}):"
                        f" {type(value).__name__} where text is expected"
                    )


def _header_blocks(columns: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Column ranges of the issuing-committee block (left) and the Party heading (right)."""
    left_end = max(1, columns // 2)
    return (1, left_end), (left_end + 1, columns)


def _column_widths(document: ListDocument) -> list[float]:
    widths = []
    for index, column in enumerate(document.columns):
        longest_word = max((len(word) for word in column.header.split()), default=0)
        values = [len(row[index]) for row in (*document.rows, *document.removed_rows)]
        wanted = max([longest_word, min(len(column.header), 14), *values]) + 2
        widths.append(float(min(max(wanted, MIN_WIDTH), MAX_WIDTH)))
    if len(widths) == 1:
        widths.append(float(MAX_WIDTH))
    return widths


def _lines(text: str, width: float) -> int:
    """How many lines ``text`` wraps to in a cell ``width`` characters wide (an estimate)."""
    usable = max(width - 1.5, 1.0)
    return max(1, sum(math.ceil(max(len(part), 1) / usable) for part in text.split("\n")))


def _merge(
    sheet: Worksheet, row: int, span: tuple[int, int], value: str, font: Font, wrap: bool = False
) -> None:
    first, last = span
    cell = sheet.cell(row=row, column=first, value=_clean(value))
    cell.data_type = "s"
    cell.font = font
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=wrap)
    if last > first:
        sheet.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)


def _font(size: int = HEADING_SIZE, **style: object) -> Font:
    return Font(name=FONT_NAME, size=size, **style)


def _write_heading(
    sheet: Worksheet, document: ListDocument, left: tuple[int, int], right: tuple[int, int]
) -> None:
    _merge(sheet, SUPERIOR_ROW, left, document.superior_committee.upper(), _font())
    _merge(sheet, UNIT_ROW, left, document.unit_name.upper(), _font(bold=True))
    _merge(sheet, STAR_ROW, left, "*", _font())
    _merge(sheet, SUPERIOR_ROW, right, PARTY_HEADING, _font(bold=True, underline="single"))
    place_line = place_and_date(document.place, document.issued_on)
    _merge(sheet, STAR_ROW, right, place_line, _font(italic=True))
    if document.number_line:
        _merge(sheet, NUMBER_ROW, left, document.number_line, _font())


def _write_title(sheet: Worksheet, document: ListDocument, columns: int, width: float) -> None:
    title = document.title.upper()
    _merge(sheet, TITLE_ROW, (1, columns), title, _font(bold=True), wrap=True)
    sheet.row_dimensions[TITLE_ROW].height = _lines(title, width) * POINTS_PER_LINE[HEADING_SIZE]
    _merge(sheet, PERIOD_ROW, (1, columns), document.period_label, _font(italic=True), wrap=True)


def _write_table(sheet: Worksheet, document: ListDocument, widths: Sequence[float]) -> None:
    headers = [column.header for column in document.columns]
    header_font = _font(TABLE_SIZE, bold=True)
    header_alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for index, header in enumerate(headers, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=index, value=_clean(header))
        cell.data_type = "s"
        cell.font = header_font
        cell.alignment = header_alignment
        cell.border = _BOX
    header_lines = max(_lines(h, w) for h, w in zip(headers, widths, strict=False))
    sheet.row_dimensions[HEADER_ROW].height = header_lines * POINTS_PER_LINE[TABLE_SIZE]

    centred = [_is_short(document, index) for index in range(len(headers))]
    kinds = [column.kind for column in document.columns]
    row = FIRST_DATA_ROW
    for values in document.rows:
        _write_row(sheet, row, values, kinds, centred, widths)
        row += 1
    if document.removed_rows:
        heading = document.removed_heading or "—"
        _merge(sheet, row, (1, len(headers)), heading, _font(TABLE_SIZE, bold=True, italic=True))
        # A merged range is boxed by its first cell's border (openpyxl draws the edges).
        sheet.cell(row=row, column=1).border = _BOX
        sheet.cell(row=row, column=1).alignment = Alignment(horizontal="left", vertical="center")
        row += 1
        for values in document.removed_rows:
            _write_row(sheet, row, values, kinds, centred, widths)
            row += 1
    sheet.freeze_panes = sheet.cell(row=FIRST_DATA_ROW, column=1)
    return row


def _write_row(
    sheet: Worksheet,
    row: int,
    values: Sequence[str],
    kinds: Sequence[CellKind],
    centred: Sequence[bool],
    widths: Sequence[float],
) -> None:
    body_font = _font(TABLE_SIZE)
    for index, text in enumerate(values, start=1):
        value = cell_value(_clean(text), kinds[index - 1])
        cell = sheet.cell(row=row, column=index, value=value if value != "" else None)
        if isinstance(value, str) and value:
            cell.data_type = "s"  # a name starting with "=" stays text, never a formula
        elif isinstance(value, date):
            cell.number_format = DATE_NUMBER_FORMAT
        cell.font = body_font
        cell.border = _BOX
        cell.alignment = Alignment(
            horizontal="center" if centred[index - 1] else "left",
            vertical="center",
            wrap_text=True,
        )
    lines = max(_lines(v, w) for v, w in zip(values, widths, strict=False))
    if lines > 1:
        sheet.row_dimensions[row].height = lines * POINTS_PER_LINE[TABLE_SIZE]


def _is_short(document: ListDocument, index: int) -> bool:
    """Columns of short values (numbers, dates, "Nam"/"Nữ", "x") read best centred."""
    rows = (*document.rows, *document.removed_rows)
    return bool(rows) and all(len(row[index]) <= 10 for row in rows)


def _write_signature(
    sheet: Worksheet,
    document: ListDocument,
    left: tuple[int, int],
    right: tuple[int, int],
    after_table: int,
) -> int:
    """ "Nơi nhận" on the left and the signature block on the right, below the table; the
    last row written."""
    row = after_table + SIGNATURE_GAP
    _merge(sheet, row, right, document.signature_title.upper(), _font(bold=True))
    _merge(sheet, row + 1, right, document.signer_role.upper(), _font(bold=True))
    name_row = row + 2 + SIGNATURE_SPACE
    _merge(sheet, name_row, right, document.signer_name, _font(bold=True))
    last_row = name_row
    if document.recipients:
        _merge(sheet, row, left, RECIPIENTS_LABEL, _font(TABLE_SIZE, underline="single"))
        sheet.cell(row=row, column=left[0]).alignment = Alignment(horizontal="left")
        for offset, line in enumerate(recipient_lines(document.recipients), start=1):
            _merge(sheet, row + offset, left, line, _font(TABLE_SIZE))
            sheet.cell(row=row + offset, column=left[0]).alignment = Alignment(horizontal="left")
            last_row = max(last_row, row + offset)
    return last_row


def _set_up_page(sheet: Worksheet, columns: int, last_row: int) -> None:
    setup = sheet.page_setup
    setup.orientation = "landscape"
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    # Margins of Party documents, in inches: left 30 mm, right 15 mm, top and bottom 20 mm.
    sheet.page_margins.left = 1.18
    sheet.page_margins.right = 0.59
    sheet.page_margins.top = 0.79
    sheet.page_margins.bottom = 0.79
    sheet.print_options.horizontalCentered = True
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.print_area = f"A1:{get_column_letter(columns)}{last_row}"


def _clean(value: str) -> str:
    """The text without the control characters an XLSX file cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)
