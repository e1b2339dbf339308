"""A list as a document: what a renderer (XLSX, PDF, …) needs, and nothing else.

Built from a stored list and the rules package's form for its step and level; renderers
are registered by plugins through ``register_list_renderers``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Literal

import msgspec

CellKind = Literal["text", "number", "date"]
"""How a column's texts are meant: "number" cells hold decimal digits ("12"), "date"
cells ``dd/mm/yyyy`` ("05/02/2001"); a renderer that knows types writes real numbers and
dates, any other may print the text as it is. An empty text is an empty cell."""

DATE_TEXT_FORMAT = "%d/%m/%Y"


class DocumentColumn(msgspec.Struct, frozen=True):
    code: str
    header: str
    kind: CellKind = "text"


class ListDocument(msgspec.Struct, frozen=True, kw_only=True):
    """One list laid out as the official form: header, columns, rows, signature."""

    tenant_name: str
    superior_committee: str
    """The committee above the unit, printed on the first header line (e.g. "HUYỆN ỦY VĂN LÂM")."""
    unit_name: str
    """The unit that makes the list, on the second header line (e.g. "CHI BỘ THÔN 1")."""
    place: str
    """The place on the place-and-date line (e.g. "Lạc Hồng")."""
    issued_on: date
    title: str
    step: str
    period_code: str
    period_label: str
    columns: tuple[DocumentColumn, ...]
    rows: tuple[tuple[str, ...], ...]
    """One row per included candidate, one string per column, in column order."""
    signature_title: str
    """e.g. "T/M CHI BỘ" above the signer's role "BÍ THƯ"."""
    signer_role: str
    signer_name: str = ""
    """Empty when unknown: the form leaves the line for the name to be written by hand."""
    list_id: int = 0
    list_version: int = 0
    document_number: str = ""
    """The number from the issuing committee's register ("05"); empty: left blank to fill
    in by hand ("Số     -DS/CB")."""
    document_symbol: str = ""
    """The document type and issuer abbreviations after the number ("DS/CB")."""
    recipients: tuple[str, ...] = ()
    """"Nơi nhận": who receives the document, the file copy last ("Đảng ủy xã Lạc Hồng",
    "Lưu")."""
    removed_heading: str = ""
    removed_rows: tuple[tuple[str, ...], ...] = ()
    """People taken off the list, with the reason in the notes column, under
    ``removed_heading``; same columns as ``rows``."""
    sheet_name: str = ""
    """The worksheet's name in Vietnamese ("Danh sách bước 1"); empty: derived from ``step``."""
    file_stem: str = ""
    """The download's name without extension ("Danh-sách-bước-1_Chi-bộ-thôn-1_Q4-2026")."""

    @property
    def number_line(self) -> str:
        """ "Số 05-DS/CB", or "Số      -DS/CB" with room to write the number by hand."""
        number = self.document_number.strip() or "\u00a0" * 6
        return f"Số {number}-{self.document_symbol}" if self.document_symbol else ""


class ListRenderer(msgspec.Struct, frozen=True):
    """A way to turn a ListDocument into a file, offered by a plugin."""

    format: str
    """The ``?format=`` value, e.g. "xlsx"."""
    media_type: str
    file_extension: str
    render: Callable[[ListDocument], bytes]
