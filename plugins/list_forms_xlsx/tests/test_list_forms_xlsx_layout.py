"""The XLSX holds exactly the list's rows under the form's headers, laid out as a Party form."""

from __future__ import annotations

from datetime import date

import pytest
from list_forms_xlsx_readback import (
    COLUMNS,
    ROWS,
    document,
    header_texts,
    read_back,
    table_rows,
    texts_from,
)
from nguon_list_forms_xlsx.layout import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    PARTY_HEADING,
    place_and_date,
    render_workbook,
    sheet_title,
)
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.worksheet import Worksheet

from nguon.pipeline.documents import DocumentColumn


def _block_of(sheet: Worksheet, text: str) -> CellRange:
    """The cells of the first-row header block showing ``text`` (merged or a single cell)."""
    for cell in sheet[1]:
        if cell.value == text:
            for cells in sheet.merged_cells.ranges:
                if cell.coordinate in cells:
                    return cells
            return CellRange(cell.coordinate)
    raise AssertionError(f"no header block shows {text!r}")


def test_header_row_holds_the_forms_headers_in_order() -> None:
    sheet = read_back(render_workbook(document()))

    assert header_texts(sheet) == [column.header for column in COLUMNS]
    assert sheet.cell(row=HEADER_ROW, column=len(COLUMNS) + 1).value is None
    for cell in sheet[HEADER_ROW][: len(COLUMNS)]:
        assert cell.font.bold
        assert cell.alignment.horizontal == "center"
        assert cell.alignment.wrap_text


def test_data_rows_are_exactly_the_lists_rows_as_text() -> None:
    sheet = read_back(render_workbook(document()))

    assert table_rows(sheet, len(COLUMNS)) == list(ROWS)
    for row in sheet.iter_rows(
        min_row=FIRST_DATA_ROW, max_row=FIRST_DATA_ROW + len(ROWS) - 1, max_col=len(COLUMNS)
    ):
        for cell in row:
            assert cell.data_type == "s", (
                cell.coordinate
            )  # "=SUM(…)" is no formula, "0123" no number
            assert cell.border.left.style == "thin"


def test_empty_values_stay_empty_cells_in_their_column() -> None:
    rows = (("1", "Vũ Thị Lý", "", "Nữ", "", ""),)
    sheet = read_back(render_workbook(document(rows=rows)))

    assert table_rows(sheet, len(COLUMNS)) == list(rows)


def test_party_heading_and_issuing_committee_sit_on_top() -> None:
    sheet = read_back(render_workbook(document()))
    top = {(cell.row, cell.value): cell for row in sheet.iter_rows(max_row=3) for cell in row}

    heading = top[(1, PARTY_HEADING)]
    assert heading.font.bold and heading.font.underline == "single"
    assert heading.column > 1, "the Party heading is on the right"
    superior = top[(1, "HUYỆN ỦY VĂN LÂM")]
    unit = top[(2, "CHI BỘ THÔN NGỌC ĐÀ")]
    assert superior.column == unit.column == top[(3, "*")].column == 1
    assert unit.font.bold and not superior.font.bold
    dated = top[(3, "Lạc Hồng, ngày 05 tháng 3 năm 2025")]
    assert dated.font.italic and dated.column == heading.column


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 2, 5), "Lạc Hồng, ngày 05 tháng 02 năm 2025"),
        (date(2025, 2, 25), "Lạc Hồng, ngày 25 tháng 02 năm 2025"),
        (date(2024, 11, 5), "Lạc Hồng, ngày 05 tháng 11 năm 2024"),
        (date(2024, 11, 25), "Lạc Hồng, ngày 25 tháng 11 năm 2024"),
        (date(2026, 1, 1), "Lạc Hồng, ngày 01 tháng 01 năm 2026"),
        (date(2025, 9, 10), "Lạc Hồng, ngày 10 tháng 9 năm 2025"),
    ],
)
def test_place_and_date_line(day: date, expected: str) -> None:
    assert place_and_date("Lạc Hồng", day) == expected
    sheet = read_back(render_workbook(document(issued_on=day)))
    assert expected in [cell.value for cell in sheet[3]]


def test_title_and_period_are_centred_across_the_table() -> None:
    sheet = read_back(render_workbook(document()))
    last = get_column_letter(len(COLUMNS))

    title = sheet["A5"]
    assert title.value == "DANH SÁCH QUẦN CHÚNG ĐỂ THEO DÕI, GIÁO DỤC"
    assert title.font.bold and title.alignment.horizontal == "center"
    assert sheet["A6"].value == "Kỳ rà soát 6 tháng đầu năm 2025"
    merged = {str(cells) for cells in sheet.merged_cells.ranges}
    assert {f"A5:{last}5", f"A6:{last}6"} <= merged


def test_signature_block_follows_the_table_on_the_right() -> None:
    sheet = read_back(render_workbook(document()))
    below = texts_from(sheet, FIRST_DATA_ROW + len(ROWS))

    assert [text for _, _, text in below] == ["T/M CHI BỘ", "BÍ THƯ", "Phạm Văn Đức"]
    rows = [row for row, _, _ in below]
    assert rows[0] > FIRST_DATA_ROW + len(ROWS) - 1
    assert rows[2] - rows[1] >= 4, "room for the handwritten signature and the seal"
    assert all(column > len(COLUMNS) // 2 for _, column, _ in below)


def test_a_list_without_rows_still_has_headers_and_signature() -> None:
    sheet = read_back(render_workbook(document(rows=())))

    assert header_texts(sheet) == [column.header for column in COLUMNS]
    assert table_rows(sheet, len(COLUMNS)) == []
    below = [text for _, _, text in texts_from(sheet, FIRST_DATA_ROW)]
    assert below == ["T/M CHI BỘ", "BÍ THƯ", "Phạm Văn Đức"]


@pytest.mark.parametrize("width", [3, 20])
def test_three_to_twenty_columns(width: int) -> None:
    columns = tuple(DocumentColumn(f"c{i}", f"Cột số {i} – ghi đủ") for i in range(1, width + 1))
    rows = tuple(tuple(f"Giá trị {r}.{c}" for c in range(1, width + 1)) for r in range(1, 4))
    sheet = read_back(render_workbook(document(columns=columns, rows=rows)))

    assert header_texts(sheet) == [column.header for column in columns]
    assert table_rows(sheet, width) == list(rows)
    last = get_column_letter(width)
    merged = {str(cells) for cells in sheet.merged_cells.ranges}
    assert f"A5:{last}5" in merged
    left, right = (_block_of(sheet, text) for text in ("HUYỆN ỦY VĂN LÂM", PARTY_HEADING))
    assert left.min_col == 1 and left.max_col < right.min_col and right.max_col == width
    assert sheet.print_area == f"'{sheet.title}'!$A$1:${last}${FIRST_DATA_ROW + 3 + 1 + 6}"


def test_prints_on_landscape_a4_fitted_to_width_with_repeated_headers() -> None:
    sheet = read_back(render_workbook(document()))

    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == 9  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    fonts = {
        (cell.font.name, cell.font.sz) for row in sheet.iter_rows() for cell in row if cell.value
    }
    assert fonts == {("Times New Roman", 13), ("Times New Roman", 12)}
    for index in range(1, len(COLUMNS) + 1):
        width = sheet.column_dimensions[get_column_letter(index)].width
        assert 5 <= width <= 32


def test_workbook_properties_name_the_list() -> None:
    data = render_workbook(document())
    sheet = read_back(data)

    properties = sheet.parent.properties
    assert properties.title == "Danh sách quần chúng để theo dõi, giáo dục"
    assert properties.creator == "Nguồn"
    assert properties.identifier == "list-42-v3"
    assert sheet.title == "survey"


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ("admission_sources", "admission_sources"),
        ("a/b:c*d?e[f]g\\h", "a-b-c-d-e-f-g-h"),
        ("'quoted'", "quoted"),
        ("x" * 40, "x" * 31),
        ("///", "---"),
        ("", "Danh sách"),
    ],
)
def test_sheet_name_is_safe_for_excel(step: str, expected: str) -> None:
    assert sheet_title(step) == expected
    assert read_back(render_workbook(document(step=step))).title == expected


def test_a_row_of_the_wrong_length_is_refused_naming_it() -> None:
    rows = (ROWS[0], ROWS[1][:-1])
    with pytest.raises(ValueError, match=r"rows\[1\]: 5 values for 6 columns"):
        render_workbook(document(rows=rows))


def test_a_value_that_is_not_text_is_refused_naming_it() -> None:
    rows = (ROWS[0], (*ROWS[1][:2], None, *ROWS[1][3:]))
    with pytest.raises(ValueError, match=r"rows\[1\]\[2\] \(date_of_birth\): NoneType"):
        render_workbook(document(rows=rows))


def test_a_document_without_columns_is_refused() -> None:
    with pytest.raises(ValueError, match="columns"):
        render_workbook(document(columns=(), rows=()))
