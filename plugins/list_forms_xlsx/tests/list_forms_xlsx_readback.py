"""Build list documents and read rendered workbooks back, for the plugin's tests."""

from __future__ import annotations

from datetime import date, datetime
from io import BytesIO
from typing import Any

from nguon_list_forms_xlsx.layout import FIRST_DATA_ROW, HEADER_ROW
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from nguon.pipeline.documents import DocumentColumn, ListDocument

COLUMNS = (
    DocumentColumn("seq", "STT", "number"),
    DocumentColumn("full_name", "Họ và tên"),
    DocumentColumn("date_of_birth", "Ngày, tháng, năm sinh", "date"),
    DocumentColumn("sex", "Giới tính"),
    DocumentColumn("home_town", "Quê quán"),
    DocumentColumn("notes", "Ghi chú"),
)
ROWS = (
    ("1", "Nguyễn Thị Hằng", "05/02/2001", "Nữ", "Xã Lạc Đạo, huyện Văn Lâm", "Đoàn viên ưu tú"),
    ("2", "Đặng Quốc Việt", "25/11/1999", "Nam", "Thôn Ngọc Đà, xã Lạc Hồng", "=SUM(A1:A2)"),
    ("3", "Lê Thị Ánh Tuyết", "01/01/2003", "Nữ", "Phường Hiến Nam", "0123"),
)
CELLS = (
    (1, "Nguyễn Thị Hằng", date(2001, 2, 5), "Nữ", "Xã Lạc Đạo, huyện Văn Lâm", "Đoàn viên ưu tú"),
    (2, "Đặng Quốc Việt", date(1999, 11, 25), "Nam", "Thôn Ngọc Đà, xã Lạc Hồng", "=SUM(A1:A2)"),
    (3, "Lê Thị Ánh Tuyết", date(2003, 1, 1), "Nữ", "Phường Hiến Nam", "0123"),
)
"""``ROWS`` as the workbook holds them: numbers, dates and texts."""


def document(**changes: Any) -> ListDocument:
    fields: dict[str, Any] = {
        "tenant_name": "Tỉnh ủy Hưng Yên",
        "superior_committee": "Huyện ủy Văn Lâm",
        "unit_name": "Chi bộ thôn Ngọc Đà",
        "place": "Lạc Hồng",
        "issued_on": date(2025, 3, 5),
        "title": "Danh sách quần chúng để theo dõi, giáo dục",
        "step": "survey",
        "period_code": "2025-H1",
        "period_label": "Kỳ rà soát 6 tháng đầu năm 2025",
        "columns": COLUMNS,
        "rows": ROWS,
        "signature_title": "T/M CHI BỘ",
        "signer_role": "BÍ THƯ",
        "signer_name": "Phạm Văn Đức",
        "list_id": 42,
        "list_version": 3,
        "document_number": "05",
        "document_symbol": "DS/CB",
        "recipients": ("Đảng ủy xã Lạc Hồng", "Lưu"),
        "sheet_name": "Danh sách bước 1",
    }
    fields.update(changes)
    return ListDocument(**fields)


def read_back(data: bytes) -> Worksheet:
    workbook = load_workbook(BytesIO(data))
    assert len(workbook.worksheets) == 1
    return workbook.worksheets[0]


def header_texts(sheet: Worksheet) -> list[str]:
    """The header row's texts, up to the first empty cell."""
    texts = []
    for cell in sheet[HEADER_ROW]:
        if cell.value is None:
            break
        texts.append(cell.value)
    return texts


def table_rows(sheet: Worksheet, width: int) -> list[tuple[Any, ...]]:
    """Rows under the header up to the first row empty across the table (empty cells as "",
    dates as dates)."""
    rows = []
    for values in sheet.iter_rows(min_row=FIRST_DATA_ROW, max_col=width, values_only=True):
        if all(value is None for value in values):
            break
        rows.append(tuple(_plain(value) for value in values))
    return rows


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    return value.date() if isinstance(value, datetime) else value


def texts_from(sheet: Worksheet, first_row: int) -> list[tuple[int, int, str]]:
    """(row, column, text) of every non-empty cell from ``first_row`` down."""
    return [
        (cell.row, cell.column, cell.value)
        for row in sheet.iter_rows(min_row=first_row)
        for cell in row
        if cell.value not in (None, "")
    ]
