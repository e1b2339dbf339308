"""The pieces of a printed list that are not its table: the place on the date line, the
notes column's reasons, the download's file names (Party document conventions, Hướng dẫn
36-HD/VPTW)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from unidecode import unidecode

# Names that start so name a locality after the prefix: the place a committee's documents
# are dated from ("Đảng ủy xã Lạc Hồng" → "Lạc Hồng", "Huyện ủy Văn Lâm" → "Văn Lâm").
_PLACE_PREFIXES = (
    "Đảng ủy xã ",
    "Đảng ủy phường ",
    "Đảng ủy thị trấn ",
    "Đảng ủy đặc khu ",
    "Huyện ủy ",
    "Thị ủy ",
    "Thành ủy ",
    "Tỉnh ủy ",
)
_PROVINCE_PREFIXES = ("Tỉnh ủy ", "Tỉnh ", "Thành ủy ", "Thành phố ")

STEP_NAMES = {
    "survey": "danh sách khảo sát (bước 1)",
    "course_nominees": "danh sách giới thiệu học lớp nhận thức về Đảng (bước 2)",
    "admission_sources": "danh sách nguồn kết nạp (bước 3)",
}
STEP_NUMBERS = {"survey": 1, "course_nominees": 2, "admission_sources": 3}
REMOVED_HEADING = "Quần chúng đưa ra khỏi danh sách"
ARCHIVE = "Lưu"

_FILE_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_ASCII_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_RUNS = re.compile(r"[\s-]+")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def locality(name: str) -> str | None:
    """The locality a committee's name ends with, or None if the name names none."""
    name = _nfc(name)
    for prefix in _PLACE_PREFIXES:
        if name.startswith(prefix) and name[len(prefix) :].strip():
            return name[len(prefix) :].strip()
    return None


def place_of(unit_names: Iterable[str], tenant_name: str) -> str:
    """Where a unit's documents are dated from: the nearest locality among the unit and its
    ancestors (``unit_names``, the unit first), else the province ("Hưng Yên").

    A village cell dates from its commune, a school's party committee from its district,
    the Police committee and the organisation board from the province.
    """
    for name in unit_names:
        found = locality(name)
        if found:
            return found
    province = _nfc(tenant_name).strip()
    for prefix in _PROVINCE_PREFIXES:
        if province.startswith(prefix):
            return province[len(prefix) :].strip()
    return province


def entry_notes(entry: dict[str, Any]) -> str:
    """The notes column of an entry: the person's own notes, then why they were put on
    the list against the rules' first answer, or why they were taken off."""
    parts = [(entry.get("notes") or "").strip()]
    if entry.get("override_justification"):
        parts.append(f"Lý do đưa vào danh sách: {entry['override_justification'].strip()}")
    if not entry.get("included") and entry.get("removal_reason"):
        parts.append(f"Lý do đưa ra khỏi danh sách: {entry['removal_reason'].strip()}")
    return "; ".join(part for part in parts if part)


def default_sheet(step: str) -> str:
    """The worksheet's name when the form names none: "Danh sách bước 1"."""
    number = STEP_NUMBERS.get(step)
    return f"Danh sách bước {number}" if number else "Danh sách"


def period_slug(code: str) -> str:
    """ "2026-Q4" → "Q4-2026", "2026-annual" → "Khảo-sát-2026" (the file name's period)."""
    year, _, part = code.partition("-")
    if part.startswith("Q"):
        return f"{part}-{year}"
    if part == "annual":
        return f"Khảo-sát-{year}"
    return code


def file_stem(sheet: str, unit_name: str, period_code: str) -> str:
    """ "Danh-sách-bước-1_Chi-bộ-thôn-1_Q4-2026": words joined by "-", parts by "_"."""
    parts = (sheet, unit_name, period_slug(period_code))
    cleaned = (_RUNS.sub("-", _FILE_FORBIDDEN.sub(" ", _nfc(p))).strip("-") for p in parts)
    return "_".join(part for part in cleaned if part) or "Danh-sách"


def ascii_file_name(name: str) -> str:
    """The name without diacritics, for clients that read only ``filename=``."""
    plain = unidecode(_nfc(name)).replace(" ", "-")
    return _ASCII_UNSAFE.sub("", plain) or "danh-sach"


def attachment_disposition(name: str) -> str:
    """``Content-Disposition`` for a download named ``name`` (RFC 6266): an ASCII
    ``filename`` for old clients and the Vietnamese name as ``filename*`` (RFC 5987)."""
    name = _FILE_FORBIDDEN.sub("-", _nfc(name))
    return (
        f"attachment; filename=\"{ascii_file_name(name)}\"; filename*=UTF-8''{quote(name, safe='')}"
    )
