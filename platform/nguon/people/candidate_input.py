"""A candidate's fields as people type them in a spreadsheet row: text, number or date
cells in, values for ``CandidateCreate`` (without the unit) or Vietnamese messages by
field out.

Lists kept in Excel write education as the grade reached ("12/12", "9/12", or "10/10"
in the former ten-year system) or an abbreviation ("THPT", "ĐH"), and mark union
members with "x"; both are read. A citizen ID typed into a number cell loses its leading
zero (Hưng Yên's numbers start 033); such a cell is read with the zero put back.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from typing import Any

from nguon.clock import today_in_vietnam
from nguon.people.labels import EDUCATION_LABELS
from nguon.people.member_input import Cell, read_person, text_of
from nguon.text import search_key

CANDIDATE_LABELS = {
    "full_name": "Họ và tên",
    "date_of_birth": "Ngày sinh",
    "sex": "Giới tính",
    "national_id": "Số định danh cá nhân",
    "ethnicity": "Dân tộc",
    "religion": "Tôn giáo",
    "home_town": "Quê quán",
    "residence": "Nơi cư trú",
    "education": "Trình độ học vấn",
    "occupation": "Nghề nghiệp",
    "youth_union_member": "Đoàn viên",
    "trade_union_member": "Công đoàn viên",
    "hardship_area": "Vùng đặc biệt khó khăn",
    "notes": "Ghi chú",
    "unit": "Chi bộ",
}
"""Each field a candidate sheet may fill → its column's Vietnamese header."""
TEXT_LIMITS = {
    "ethnicity": 64,
    "religion": 64,
    "home_town": 300,
    "residence": 300,
    "occupation": 200,
    "notes": 4000,
}
FLAGS = ("youth_union_member", "trade_union_member", "hardship_area")
YES_WORDS = frozenset({"x", "co", "1", "true", "yes", "v", "dv", "la doan vien"})
TICKS = frozenset("✓✔☑☒")
NO_WORDS = frozenset({"", "khong", "0", "false", "no", "-"})
_EDUCATION_WORDS = {search_key(label): code for code, label in EDUCATION_LABELS.items()} | {
    code.replace("_", " "): code for code in EDUCATION_LABELS
}
_EDUCATION_WORDS |= {
    "chua di hoc": "none",
    "khong": "none",
    "cap 1": "primary",
    "cap 2": "lower_secondary",
    "thcs": "lower_secondary",
    "cap 3": "upper_secondary",
    "thpt": "upper_secondary",
    "bo tuc thpt": "upper_secondary",
    "tc": "intermediate",
    "trung cap nghe": "intermediate",
    "cd": "college",
    "cao dang nghe": "college",
    "dh": "university",
    "cu nhan": "university",
    "ky su": "university",
    "thac si": "postgraduate",
    "ths": "postgraduate",
    "tien si": "postgraduate",
    "ts": "postgraduate",
}
_GRADE = re.compile(r"^(\d{1,2})\s*/\s*(10|12)$")
_NATIONAL_ID = re.compile(r"^(\d{9}|\d{12})$")


@functools.lru_cache(maxsize=1024)
def education_of(text: str) -> str | None:
    """The education code a cell's text names, or None."""
    key = search_key(text)
    if key in _EDUCATION_WORDS:
        return _EDUCATION_WORDS[key]
    if match := _GRADE.match(key):
        grade, system = int(match[1]), int(match[2])
        if grade > system:
            return None
        if grade == system:
            return "upper_secondary"
        lower_secondary, primary = (9, 5) if system == 12 else (7, 4)
        if grade >= lower_secondary:
            return "lower_secondary"
        return "primary" if grade >= primary else "none"
    return None


def national_id_of(value: Cell) -> str:
    """The digits of an ID cell; a number cell one digit short gets its leading zero."""
    digits = "".join(text_of(value).split())
    if isinstance(value, int | float) and len(digits) in (8, 11):
        digits = "0" + digits
    return digits


def _flag(raw: Mapping[str, Cell], field: str, errors: dict[str, str]) -> bool:
    text = text_of(raw.get(field))
    if not text:
        return False
    key = search_key(text)
    if key in YES_WORDS or text in TICKS:
        return True
    if key not in NO_WORDS:
        label = CANDIDATE_LABELS[field]
        errors[field] = f"{label}: “{text}” không rõ; ghi x nếu đúng, để trống nếu không."
    return False


def read_candidate_fields(
    raw: Mapping[str, Cell], today: dt.date | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """``CandidateCreate`` values (without the unit) and messages by field, empty if valid."""
    today = today or today_in_vietnam()
    errors: dict[str, str] = {}
    full_name, born, sex = read_person(raw, errors, today)
    education_text = text_of(raw.get("education"))
    education = education_of(education_text)
    if education is None:
        errors["education"] = (
            f"Trình độ học vấn “{education_text}” không rõ: hãy ghi lớp đã học xong "
            "(ví dụ 12/12, 9/12) hoặc một trong: " + ", ".join(EDUCATION_LABELS.values()) + "."
            if education_text
            else "Hãy ghi trình độ học vấn (ví dụ 12/12, Đại học)."
        )
    values: dict[str, Any] = {
        "full_name": full_name,
        "date_of_birth": born,
        "sex": sex,
        "education": education,
    }
    for field, limit in TEXT_LIMITS.items():
        text = text_of(raw.get(field))
        if len(text) > limit:
            errors[field] = f"{CANDIDATE_LABELS[field]} tối đa {limit} ký tự (đang có {len(text)})."
        values[field] = text
    values["ethnicity"] = values["ethnicity"] or "Kinh"
    values["religion"] = values["religion"] or "Không"
    for field in FLAGS:
        values[field] = _flag(raw, field, errors)
    national_id = national_id_of(raw.get("national_id"))
    if national_id and not _NATIONAL_ID.match(national_id):
        errors["national_id"] = (
            f"Số định danh “{national_id}” phải gồm 12 chữ số (căn cước) hoặc 9 chữ số (CMND cũ)."
        )
    values["national_id"] = national_id or None
    return values, errors
