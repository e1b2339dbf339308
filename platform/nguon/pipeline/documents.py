"""A list as a document: what a renderer (XLSX, PDF, …) needs, and nothing else.

Built from a stored list and the rules package's form for its step and level; renderers
are registered by plugins through ``register_list_renderers``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import msgspec


class DocumentColumn(msgspec.Struct, frozen=True):
    code: str
    header: str


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
    list_id: int = 0
    list_version: int = 0


class ListRenderer(msgspec.Struct, frozen=True):
    """A way to turn a ListDocument into a file, offered by a plugin."""

    format: str
    """The ``?format=`` value, e.g. "xlsx"."""
    media_type: str
    file_extension: str
    render: Callable[[ListDocument], bytes]
