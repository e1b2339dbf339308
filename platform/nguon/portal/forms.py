"""Reading posted portal forms: numbers, dates and resolutions, with Vietnamese messages
by field. The services check again; the portal only says beside the field what is wrong."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request

from nguon.errors import DomainError
from nguon.pipeline.schemas import ResolutionIn
from nguon.portal.dates import invalid_message, parse_date
from nguon.text import ascii_digits

RESOLUTION_FIELDS = (
    "resolution.number",
    "resolution.adopted_on",
    "resolution.members_total",
    "resolution.members_present",
    "resolution.members_agreeing",
)


async def form_data(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The posted fields (the last value of a repeated one); see ``form_list`` for all."""
    form = await request.form()
    return {key: str(value) for key, value in form.items() if isinstance(value, str)}


async def form_list(request: Request[Any, Any, Any], name: str) -> list[str]:
    """Every value of a repeated field (checkboxes with one name)."""
    form = await request.form()
    return [str(v) for v in form.getall(name, []) if isinstance(v, str)]


def whole_number(
    raw: dict[str, str], name: str, errors: dict[str, str], label: str, minimum: int = 0
) -> int:
    text = raw.get(name, "").strip()
    if not text:
        errors[name] = f"Hãy nhập {label}."
        return 0
    if not ascii_digits(text):
        errors[name] = f"{label.capitalize()} phải là số nguyên không âm."
        return 0
    value = int(text)
    if value < minimum:
        errors[name] = f"{label.capitalize()} phải từ {minimum} trở lên."
    return value


def date_field(
    raw: dict[str, str], name: str, errors: dict[str, str], label: str
) -> dt.date | None:
    text = raw.get(name, "").strip()
    if not text:
        errors[name] = f"Hãy nhập {label}."
        return None
    try:
        return parse_date(text)
    except ValueError:
        errors[name] = invalid_message(label)
        return None


def version_of(raw: dict[str, str]) -> int | None:
    text = raw.get("version", "").strip()
    return int(text) if ascii_digits(text) else None


def parse_resolution(
    raw: dict[str, str], errors: dict[str, str], committee: bool = False
) -> ResolutionIn | None:
    """A resolution from the fields ``resolution.number`` … ``resolution.members_agreeing``;
    a ``committee``'s is voted by the members of its executive committee, a cell's by its
    full members."""
    who = "ủy viên ban chấp hành" if committee else "đảng viên chính thức"
    voters = "ủy viên" if committee else "đảng viên"
    number = raw.get("resolution.number", "").strip()
    if not number:
        errors["resolution.number"] = "Hãy nhập số nghị quyết."
    elif len(number) > 64:
        errors["resolution.number"] = "Số nghị quyết tối đa 64 ký tự."
    adopted_on = date_field(raw, "resolution.adopted_on", errors, "ngày thông qua")
    total = whole_number(raw, "resolution.members_total", errors, f"tổng số {who}", 1)
    present = whole_number(raw, "resolution.members_present", errors, f"số {voters} có mặt")
    agreeing = whole_number(raw, "resolution.members_agreeing", errors, f"số {voters} tán thành")
    if any(field in errors for field in RESOLUTION_FIELDS) or adopted_on is None:
        return None
    return ResolutionIn(
        number=number,
        adopted_on=adopted_on,
        members_total=total,
        members_present=present,
        members_agreeing=agreeing,
    )


def message_of(error: DomainError) -> str:
    """The Vietnamese half of a service message (services write "vi / en")."""
    return error.message.split(" / ")[0]


def field_errors(error: DomainError, default: str) -> dict[str, str]:
    """A service error as a message beside its field (or beside ``default``)."""
    return {error.field or default: message_of(error)}
