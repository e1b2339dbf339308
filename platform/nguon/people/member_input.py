"""A Party member's fields as people type them (a portal form, a spreadsheet row): text or
date cells in, values for ``MemberCreate`` or Vietnamese messages by field out.

Dates are read as dd/mm/yyyy (also d/m/yyyy, with - or . between), as yyyy-mm-dd, or
as date cells. An empty recognition date means a probationary member.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from typing import Any

from nguon.clock import today_in_vietnam
from nguon.text import nfc

Cell = str | dt.date | dt.datetime | int | float | None

FIELD_LABELS = {
    "full_name": "Họ và tên",
    "date_of_birth": "Ngày sinh",
    "sex": "Giới tính",
    "card_number": "Số thẻ đảng viên",
    "admitted_on": "Ngày vào Đảng",
    "official_on": "Ngày chính thức",
    "unit": "Chi bộ",
}
SEX_WORDS = {"nam": "male", "nữ": "female", "nu": "female", "male": "male", "female": "female"}
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_CARD = re.compile(r"^[0-9A-Za-z][0-9A-Za-z./-]{0,31}$")
NAME_LIMIT = 200


def parse_day(value: Cell) -> dt.date:
    """A date from a cell or text; ValueError if it is none."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return _day_of_text(str(value or "").strip())


@functools.lru_cache(maxsize=65_536)
def _day_of_text(text: str) -> dt.date:
    # A province's sheet repeats its dates (admission days above all) thousands of times.
    if match := _DAY_FIRST.match(text):
        day, month, year = (int(part) for part in match.groups())
        return dt.date(year, month, day)
    if match := _ISO.match(text):
        year, month, day = (int(part) for part in match.groups())
        return dt.date(year, month, day)
    raise ValueError(text)


def text_of(value: Cell) -> str:
    if value is None:
        return ""
    if type(value) is str:  # most cells: a CSV file's are all text
        return nfc(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    return nfc(str(value)).strip()


def read_day(
    raw: Mapping[str, Cell], field: str, errors: dict[str, str], today: dt.date, required: bool
) -> dt.date | None:
    value = raw.get(field)
    label = FIELD_LABELS[field]
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[field] = f"Hãy nhập {label.lower()}."
        return None
    try:
        day = parse_day(value)
    except ValueError:
        errors[field] = f"{label} không hợp lệ: “{text_of(value)}” (ghi theo ngày/tháng/năm)."
        return None
    if day > today:
        errors[field] = f"{label} “{day:%d/%m/%Y}” không được ở sau hôm nay ({today:%d/%m/%Y})."
        return None
    return day


def read_person(
    raw: Mapping[str, Cell], errors: dict[str, str], today: dt.date
) -> tuple[str, dt.date | None, str | None]:
    """The name, birthday and sex every person's row has (messages into ``errors``)."""
    full_name = " ".join(text_of(raw.get("full_name")).split())
    if not full_name:
        errors["full_name"] = "Hãy nhập họ và tên."
    elif len(full_name) > NAME_LIMIT:
        errors["full_name"] = f"Họ và tên tối đa {NAME_LIMIT} ký tự."
    born = read_day(raw, "date_of_birth", errors, today, required=True)
    sex_text = text_of(raw.get("sex"))
    sex = SEX_WORDS.get(sex_text.lower())
    if sex is None:
        errors["sex"] = (
            f"Giới tính “{sex_text}” không đúng: hãy ghi Nam hoặc Nữ."
            if sex_text
            else "Hãy ghi giới tính: Nam hoặc Nữ."
        )
    return full_name, born, sex


def read_member_fields(
    raw: Mapping[str, Cell], today: dt.date | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """``MemberCreate`` values (without the unit) and messages by field, empty if valid."""
    today = today or today_in_vietnam()
    errors: dict[str, str] = {}
    full_name, born, sex = read_person(raw, errors, today)
    card = "".join(text_of(raw.get("card_number")).split()).upper()
    if card and not _CARD.match(card):
        errors["card_number"] = "Số thẻ đảng viên chỉ gồm chữ số, chữ cái và dấu . / - (tối đa 32)."
    admitted = read_day(raw, "admitted_on", errors, today, required=True)
    official = read_day(raw, "official_on", errors, today, required=False)
    if born and admitted and admitted < (adult := _years_after(born, 18)):
        errors["admitted_on"] = (
            f"Ngày vào Đảng “{admitted:%d/%m/%Y}” phải từ khi đủ 18 tuổi ({adult:%d/%m/%Y})."
        )
    if admitted and official and official < admitted:
        errors["official_on"] = (
            f"Ngày chính thức “{official:%d/%m/%Y}” phải sau ngày vào Đảng ({admitted:%d/%m/%Y})."
        )
    values = {
        "full_name": full_name,
        "date_of_birth": born,
        "sex": sex,
        "card_number": card or None,
        "admitted_on": admitted,
        "official_on": official,
        "status": "full" if official else "probationary",
    }
    return values, errors


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
