"""The XLSX holds exactly the list's rows under the form's headers, laid out as a Party form."""

from __future__ import annotations

from datetime import date

import pytest
from list_forms_xlsx_readback import (
    CELLS,
    COLUMNS,
    ROWS,
    document,
    header_texts,
    read_back,
    table_rows,
    texts_from,
)
from nguon_list_forms_xlsx.layout import (
    DATE_NUMBER_FORMAT,
    FIRST_DATA_ROW,
    HEADER_ROW,
    NUMBER_ROW,
    PARTY_HEADING,
    PERIOD_ROW,
    TITLE_ROW,
    cell_value,
    place_and_date,
    recipient_lines,
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


def test_data_rows_hold_numbers_dates_and_texts() -> None:
    sheet = read_back(render_workbook(document()))

    assert table_rows(sheet, len(COLUMNS)) == list(CELLS)
    for row in sheet.iter_rows(
        min_row=FIRST_DATA_ROW, max_row=FIRST_DATA_ROW + len(ROWS) - 1, max_col=len(COLUMNS)
    ):
        seq, _, born, *texts = row
        assert seq.data_type == "n" and isinstance(seq.value, int)
        assert born.is_date and born.number_format == DATE_NUMBER_FORMAT
        for cell in texts:
            assert cell.data_type == "s", cell.coordinate  # "=SUM(…)" no formula, "0123" text
        assert all(cell.border.left.style == "thin" for cell in row)


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("12", "number", 12),
        ("12a", "number", "12a"),
        ("١٢", "number", "١٢"),  # digits of another script stay text
        ("05/02/2001", "date", date(2001, 2, 5)),
        ("2001", "date", "2001"),
        ("31/02/2001", "date", "31/02/2001"),
        ("05/02/2001", "text", "05/02/2001"),
        ("=1+1", "text", "=1+1"),
    ],
)
def test_cell_values_by_column_kind(text: str, kind: str, expected: object) -> None:
    assert cell_value(text, kind) == expected  # type: ignore[arg-type]


def test_empty_values_stay_empty_cells_in_their_column() -> None:
    rows = (("1", "Vũ Thị Lý", "", "Nữ", "", ""),)
    sheet = read_back(render_workbook(document(rows=rows)))

    assert table_rows(sheet, len(COLUMNS)) == [(1, "Vũ Thị Lý", "", "Nữ", "", "")]


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
    assert sheet.cell(NUMBER_ROW, 1).value == "Số 05-DS/CB"


def test_an_unknown_number_leaves_room_to_write_it_by_hand() -> None:
    sheet = read_back(render_workbook(document(document_number="")))

    assert sheet.cell(NUMBER_ROW, 1).value == "Số \u00a0\u00a0\u00a0\u00a0\u00a0\u00a0-DS/CB"


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

    title = sheet.cell(TITLE_ROW, 1)
    assert title.value == "DANH SÁCH QUẦN CHÚNG ĐỂ THEO DÕI, GIÁO DỤC"
    assert title.font.bold and title.alignment.horizontal == "center"
    assert sheet.cell(PERIOD_ROW, 1).value == "Kỳ rà soát 6 tháng đầu năm 2025"
    merged = {str(cells) for cells in sheet.merged_cells.ranges}
    assert {f"A{TITLE_ROW}:{last}{TITLE_ROW}", f"A{PERIOD_ROW}:{last}{PERIOD_ROW}"} <= merged


SIGNATURE = ["T/M CHI BỘ", "BÍ THƯ", "Phạm Văn Đức"]
RECIPIENTS = ["Nơi nhận:", "- Đảng ủy xã Lạc Hồng,", "- Lưu."]


def test_signature_block_follows_the_table_on_the_right() -> None:
    sheet = read_back(render_workbook(document()))
    below = texts_from(sheet, FIRST_DATA_ROW + len(ROWS))
    right = [(row, text) for row, column, text in below if column > len(COLUMNS) // 2]

    assert [text for _, text in right] == SIGNATURE
    rows = [row for row, _ in right]
    assert rows[0] > FIRST_DATA_ROW + len(ROWS) - 1
    assert rows[2] - rows[1] >= 4, "room for the handwritten signature and the seal"


def test_recipients_sit_bottom_left_level_with_the_signature() -> None:
    sheet = read_back(render_workbook(document()))
    below = texts_from(sheet, FIRST_DATA_ROW + len(ROWS))
    left = [(row, text) for row, column, text in below if column == 1]

    assert [text for _, text in left] == RECIPIENTS
    assert left[0][0] == next(row for row, _, text in below if text == "T/M CHI BỘ")
    label = sheet.cell(left[0][0], 1)
    assert label.font.underline == "single"
    assert recipient_lines(["Đảng ủy xã Lạc Hồng", "Lưu"]) == RECIPIENTS[1:]
    assert recipient_lines(["Lưu"]) == ["- Lưu."]


def test_a_list_without_rows_still_has_headers_and_signature() -> None:
    sheet = read_back(render_workbook(document(rows=())))

    assert header_texts(sheet) == [column.header for column in COLUMNS]
    assert table_rows(sheet, len(COLUMNS)) == []
    below = [text for _, column, text in texts_from(sheet, FIRST_DATA_ROW) if column > 1]
    assert below == SIGNATURE


def test_people_taken_off_follow_under_their_heading_with_the_reason() -> None:
    reason = "Lý do đưa ra khỏi danh sách: Đi học xa"
    removed = (("1", "Trần Văn Bình", "03/04/2000", "Nam", "", reason),)
    sheet = read_back(
        render_workbook(
            document(removed_heading="Quần chúng đưa ra khỏi danh sách", removed_rows=removed)
        )
    )
    heading_row = FIRST_DATA_ROW + len(ROWS)

    assert sheet.cell(heading_row, 1).value == "Quần chúng đưa ra khỏi danh sách"
    assert f"A{heading_row}:{get_column_letter(len(COLUMNS))}{heading_row}" in {
        str(cells) for cells in sheet.merged_cells.ranges
    }
    values = [cell.value for cell in sheet[heading_row + 1][: len(COLUMNS)]]
    assert values[0] == 1 and values[1] == "Trần Văn Bình"
    assert values[-1] == reason
    below = texts_from(sheet, heading_row + 2)
    assert [text for _, column, text in below if column > 1] == SIGNATURE


@pytest.mark.parametrize("width", [3, 20])
def test_three_to_twenty_columns(width: int) -> None:
    columns = tuple(DocumentColumn(f"c{i}", f"Cột số {i} – ghi đủ") for i in range(1, width + 1))
    rows = tuple(tuple(f"Giá trị {r}.{c}" for c in range(1, width + 1)) for r in range(1, 4))
    sheet = read_back(render_workbook(document(columns=columns, rows=rows)))

    assert header_texts(sheet) == [column.header for column in columns]
    assert table_rows(sheet, width) == list(rows)
    last = get_column_letter(width)
    merged = {str(cells) for cells in sheet.merged_cells.ranges}
    assert f"A{TITLE_ROW}:{last}{TITLE_ROW}" in merged
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
    assert sheet.title == "Danh sách bước 1"


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
    assert read_back(render_workbook(document(sheet_name=step, step=step))).title == expected


def test_without_a_sheet_name_the_step_names_the_sheet() -> None:
    assert read_back(render_workbook(document(sheet_name=""))).title == "survey"


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
