"""The form as it prints: every table cell in the form's font, boxed, wrapped and centred
in its height; each row tall enough for its most wrapped cell; each column wide enough for
its longest word and value; the heading blocks side by side over the whole width.

The sizes are stated here as the rules they follow (a row is as many lines of 15.75 pt as
its most wrapped cell needs, a cell of width W holding about W − 1.5 characters a line),
not read from the module, so a changed rule shows as a failing test."""

from __future__ import annotations

import math

import pytest
from list_forms_xlsx_readback import COLUMNS, ROWS, document, read_back
from nguon_list_forms_xlsx.layout import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    PERIOD_ROW,
    TITLE_ROW,
    render_workbook,
    sheet_title,
)
from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from nguon.pipeline.documents import DocumentColumn

TABLE_LINE_POINTS = 15.75
TITLE_LINE_POINTS = 17.0
LONG_NOTE = (
    "Đã tham gia lớp bồi dưỡng nhận thức về Đảng, có đơn xin vào Đảng và lý lịch đã thẩm tra "
    "xong, chờ chi bộ xét"
)
TWO_LINE_ADDRESS = "Thôn Ngọc Đà\nxã Lạc Hồng"
REMOVED = ("4", "Trần Văn Hòa", "12/09/2000", "Nam", "Xã Minh Hải", "Chuyển công tác")


def lines(text: str, width: float) -> int:
    per_line = width - 1.5
    return max(1, sum(math.ceil(max(len(part), 1) / per_line) for part in text.split("\n")))


def width_of(sheet: Worksheet, column: int) -> float:
    return float(sheet.column_dimensions[get_column_letter(column)].width)


def boxed(cell: Cell) -> bool:
    sides = (cell.border.left, cell.border.right, cell.border.top, cell.border.bottom)
    return all(side is not None and side.style == "thin" for side in sides)


def short_column(index: int, rows: tuple[tuple[str, ...], ...]) -> bool:
    return all(len(row[index]) <= 10 for row in rows)


def test_every_table_cell_is_boxed_in_the_forms_font_and_wraps_centred_in_its_height() -> None:
    rows = (*ROWS[:2], (*ROWS[2][:5], ""))
    sheet = read_back(
        render_workbook(document(rows=rows, removed_rows=(REMOVED,), removed_heading="Đưa ra"))
    )
    every_row = (*rows, REMOVED)
    for header in sheet[HEADER_ROW][: len(COLUMNS)]:
        assert header.font.name == "Times New Roman" and header.font.sz == 12
        assert header.font.b and boxed(header)
        assert header.alignment.vertical == "center" and header.alignment.wrap_text
    body_rows = [FIRST_DATA_ROW + i for i in range(len(rows))]
    body_rows.append(FIRST_DATA_ROW + len(rows) + 1)  # under the "removed" heading
    for row, values in zip(body_rows, every_row, strict=True):
        for index, text in enumerate(values):
            cell = sheet.cell(row=row, column=index + 1)
            assert cell.font.name == "Times New Roman" and cell.font.sz == 12, cell.coordinate
            assert not cell.font.b and boxed(cell), cell.coordinate
            assert cell.alignment.vertical == "center" and cell.alignment.wrap_text
            wanted = "center" if short_column(index, every_row) else "left"
            assert cell.alignment.horizontal == wanted, (cell.coordinate, text)
    # An empty text leaves the cell empty, not holding an empty string.
    assert sheet.cell(row=FIRST_DATA_ROW + 2, column=len(COLUMNS)).value is None


def test_a_row_is_as_tall_as_its_most_wrapped_cell() -> None:
    rows = (
        ROWS[0],
        (*ROWS[1][:4], TWO_LINE_ADDRESS, "Đảng viên dự bị"),
        (*ROWS[2][:5], LONG_NOTE),
    )
    sheet = read_back(render_workbook(document(rows=rows)))
    widths = [width_of(sheet, i + 1) for i in range(len(COLUMNS))]
    for offset, values in enumerate(rows):
        needed = max(lines(text, width) for text, width in zip(values, widths, strict=True))
        height = sheet.row_dimensions[FIRST_DATA_ROW + offset].height
        if needed == 1:
            assert height is None, values  # one line: the sheet's own height
        else:
            assert height == pytest.approx(needed * TABLE_LINE_POINTS), values
    assert sheet.row_dimensions[FIRST_DATA_ROW + 1].height == pytest.approx(2 * 15.75)
    assert sheet.row_dimensions[FIRST_DATA_ROW + 2].height > 2 * TABLE_LINE_POINTS
    header_lines = max(
        lines(column.header, width) for column, width in zip(COLUMNS, widths, strict=True)
    )
    assert sheet.row_dimensions[HEADER_ROW].height == pytest.approx(
        header_lines * TABLE_LINE_POINTS
    )


def test_the_title_wraps_over_the_width_and_its_row_holds_its_lines() -> None:
    title = "Danh sách quần chúng ưu tú đề nghị cử đi học lớp bồi dưỡng nhận thức về Đảng " * 2
    sheet = read_back(render_workbook(document(title=title)))
    total = sum(width_of(sheet, i + 1) for i in range(len(COLUMNS)))
    cell = sheet.cell(row=TITLE_ROW, column=1)
    assert cell.alignment.wrap_text and cell.alignment.vertical == "center" and cell.font.b
    assert sheet.row_dimensions[TITLE_ROW].height == pytest.approx(
        lines(title.upper(), total) * TITLE_LINE_POINTS
    )
    assert lines(title.upper(), total) > 1
    period = sheet.cell(row=PERIOD_ROW, column=1)
    assert period.font.i and period.alignment.wrap_text
    # The heading blocks are one line each: they never wrap.
    for row in (1, 2, 3):
        for cell in sheet[row]:
            if cell.value:
                assert not cell.alignment.wrap_text, cell.coordinate
                assert cell.alignment.vertical == "center", cell.coordinate


def test_each_column_fits_its_longest_word_and_value_within_the_bounds() -> None:
    columns = (*COLUMNS, DocumentColumn("extra", ""))
    rows = tuple((*row, "") for row in ROWS)
    sheet = read_back(render_workbook(document(columns=columns, rows=rows)))
    for index, column in enumerate(columns):
        longest_word = max((len(w) for w in column.header.split()), default=0)
        longest_value = max(len(row[index]) for row in rows)
        wanted = max(longest_word, min(len(column.header), 14), longest_value) + 2
        assert width_of(sheet, index + 1) == min(max(wanted, 5), 32), column.header


def test_a_one_column_form_gets_a_second_column_for_the_heading_blocks() -> None:
    columns = (DocumentColumn("full_name", "Họ và tên"),)
    rows = (("Nguyễn Thị Hằng",), ("Đặng Quốc Việt",))
    sheet = read_back(render_workbook(document(columns=columns, rows=rows)))
    assert width_of(sheet, 1) == len("Nguyễn Thị Hằng") + 2
    assert width_of(sheet, 2) == 32
    assert sheet.cell(row=1, column=1).value == "HUYỆN ỦY VĂN LÂM"
    assert sheet.cell(row=1, column=2).value == "ĐẢNG CỘNG SẢN VIỆT NAM"


@pytest.mark.parametrize("count", range(2, 12))
def test_the_heading_blocks_share_the_width_side_by_side(count: int) -> None:
    columns = tuple(DocumentColumn(f"c{i}", f"Cột {i}") for i in range(count))
    rows = (tuple(str(i) for i in range(count)),)
    sheet = read_back(render_workbook(document(columns=columns, rows=rows)))
    spans = {
        sheet.cell(row=r.min_row, column=r.min_col).value: (r.min_col, r.max_col)
        for r in sheet.merged_cells.ranges
        if r.min_row == 1
    }
    left_end = max(1, count // 2)
    left = spans.get("HUYỆN ỦY VĂN LÂM", (1, 1))
    right = spans.get("ĐẢNG CỘNG SẢN VIỆT NAM", (left_end + 1, left_end + 1))
    assert left == (1, left_end)
    assert right == (left_end + 1, count)
    assert sheet.cell(row=1, column=left_end + 1).value == "ĐẢNG CỘNG SẢN VIỆT NAM"


def test_texts_that_look_like_formulas_stay_texts_in_headers_and_headings() -> None:
    columns = (*COLUMNS[:5], DocumentColumn("notes", "=Ghi chú"))
    sheet = read_back(render_workbook(document(columns=columns, unit_name="=Chi bộ thôn Ngọc Đà")))
    header = sheet.cell(row=HEADER_ROW, column=6)
    assert header.value == "=Ghi chú" and header.data_type == "s"
    unit = sheet.cell(row=2, column=1)
    assert unit.value == "=CHI BỘ THÔN NGỌC ĐÀ" and unit.data_type == "s"


def test_a_sheet_name_keeps_its_own_letters_at_the_ends() -> None:
    assert sheet_title("Danh sách khối X") == "Danh sách khối X"
    assert sheet_title("'XX Danh sách'") == "XX Danh sách"
