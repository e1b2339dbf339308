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


def test_people_taken_off_follow_their_heading_boxed_and_without_a_gap() -> None:
    removed = (REMOVED, ("5", "Vũ Thị Lan", "01/02/2002", "Nữ", "Xã Minh Hải", "Đi học xa"))
    for heading, shown in (("Quần chúng đưa ra khỏi danh sách", None), ("", "—")):
        sheet = read_back(render_workbook(document(removed_rows=removed, removed_heading=heading)))
        row = FIRST_DATA_ROW + len(ROWS)
        first = sheet.cell(row=row, column=1)
        assert first.value == (shown or heading)
        assert first.font.b and first.font.i and first.font.sz == 12
        assert first.alignment.horizontal == "left" and first.alignment.vertical == "center"
        # One merged box over the table's width: its edges are the cells' outer sides.
        edges = [sheet.cell(row=row, column=c).border for c in range(1, len(COLUMNS) + 1)]
        assert all(e.top.style == e.bottom.style == "thin" for e in edges)
        assert edges[0].left.style == edges[-1].right.style == "thin"
        assert sheet.cell(row=row, column=len(COLUMNS) + 1).border.left.style is None
        assert sheet.cell(row=row + 1, column=2).value == "Trần Văn Hòa"
        assert sheet.cell(row=row + 2, column=2).value == "Vũ Thị Lan"


def test_the_header_stays_in_view_when_the_table_scrolls() -> None:
    sheet = read_back(render_workbook(document()))
    assert sheet.freeze_panes == f"A{FIRST_DATA_ROW}"


def test_the_signature_block_is_bold_and_the_recipients_left_aligned_to_the_last() -> None:
    recipients = tuple(f"Đảng ủy xã số {n}" for n in range(1, 10))
    sheet = read_back(render_workbook(document(recipients=recipients)))
    texts = {cell.value: cell for line in sheet.iter_rows(min_row=FIRST_DATA_ROW) for cell in line}
    for signature in ("T/M CHI BỘ", "BÍ THƯ", "Phạm Văn Đức"):
        assert texts[signature].font.b, signature
    label = texts["Nơi nhận:"]
    assert label.font.u == "single" and label.font.sz == 12
    assert label.alignment.horizontal == "left"
    last = texts["- Lưu."] if "- Lưu." in texts else texts[f"- {recipients[-1]}."]
    for line in (texts[f"- {recipients[0]},"], last):
        assert line.font.sz == 12 and line.alignment.horizontal == "left"
    # The recipients run below the signer's name: the print area reaches the last of them.
    assert sheet.print_area.endswith(f"${last.row}")
    assert last.row > texts["Phạm Văn Đức"].row


def test_the_page_is_a4_landscape_one_page_wide_within_the_party_margins() -> None:
    sheet = read_back(render_workbook(document()))
    assert sheet.page_setup.fitToHeight == 0  # as many pages down as the list needs
    margins = sheet.page_margins
    assert (margins.left, margins.right, margins.top, margins.bottom) == (1.18, 0.59, 0.79, 0.79)
    assert sheet.print_options.horizontalCentered


def test_the_workbook_names_the_lists_period() -> None:
    sheet = read_back(render_workbook(document()))
    assert sheet.parent.properties.subject == "Kỳ rà soát 6 tháng đầu năm 2025"


def test_a_malformed_document_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError) as no_columns:
        render_workbook(document(columns=(), rows=()))
    assert str(no_columns.value) == "ListDocument.columns: a form needs at least one column"
    with pytest.raises(ValueError, match=r"^ListDocument\.removed_rows\[0\]: 5 values"):
        render_workbook(document(removed_rows=(REMOVED[:5],)))
    with pytest.raises(ValueError, match=r"removed_rows\[0\]\[0\] \(seq\): int where text"):
        render_workbook(document(removed_rows=((4, *REMOVED[1:]),)))


def test_characters_a_workbook_cannot_hold_are_dropped() -> None:
    rows = ((*ROWS[0][:1], "Nguyễn\x07 Thị\x00 Hằng", *ROWS[0][2:]),)
    sheet = read_back(render_workbook(document(rows=rows, unit_name="Chi bộ\x0b thôn")))
    assert sheet.cell(row=FIRST_DATA_ROW, column=2).value == "Nguyễn Thị Hằng"
    assert sheet.cell(row=2, column=1).value == "CHI BỘ THÔN"


def test_values_of_up_to_ten_characters_are_centred_longer_ones_start_left() -> None:
    rows = ((*ROWS[0][:3], "Nam", "Xã Tân Lập", "Chuyển công"),)
    assert (len(rows[0][4]), len(rows[0][5])) == (10, 11)
    sheet = read_back(render_workbook(document(rows=rows)))
    assert sheet.cell(row=FIRST_DATA_ROW, column=5).alignment.horizontal == "center"
    assert sheet.cell(row=FIRST_DATA_ROW, column=6).alignment.horizontal == "left"


def test_a_cell_wraps_at_its_width_less_a_margin() -> None:
    """62 characters in the widest column (32) wrap to three lines: about 30.5 a line."""
    note = "Đã học lớp bồi dưỡng nhận thức về Đảng năm 2024 chờ chi bộ xét"
    assert len(note) == 62
    rows = ((*ROWS[0][:5], note),)
    sheet = read_back(render_workbook(document(rows=rows)))
    assert width_of(sheet, 6) == 32
    assert sheet.row_dimensions[FIRST_DATA_ROW].height == pytest.approx(3 * TABLE_LINE_POINTS)
