"""The candidate form: raw form fields in, service input or Vietnamese messages by field out.

The checks mirror ``nguon.people.schemas`` (the service validates again); the portal
only says in Vietnamese, beside the field, what the API would say about it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import msgspec

from nguon.clock import today_in_vietnam
from nguon.errors import DomainError
from nguon.people.labels import EDUCATION_LABELS, POLITICAL_LABELS, SEX_LABELS
from nguon.people.schemas import PROTECTED_FIELDS, CandidateCreate, CandidateOut, CandidateUpdate
from nguon.people.service import PROTECTED_MESSAGES
from nguon.portal.dates import invalid_message, parse_date

TEXT_LIMITS = {
    "full_name": 200,
    "ethnicity": 64,
    "religion": 64,
    "home_town": 300,
    "residence": 300,
    "occupation": 200,
    "notes": 4000,
}
CHECKBOXES = (
    "youth_union_member",
    "trade_union_member",
    "hardship_area",
    "provincial_consent_over_60",
)
_NATIONAL_ID = re.compile(r"^(\d{9}|\d{12})$")
STALE_MESSAGE = (
    "Hồ sơ đã được người khác sửa trong lúc bạn nhập. Nội dung bạn nhập vẫn còn dưới đây; "
    "hãy xem lại hồ sơ hiện tại rồi lưu lại."
)
_SERVICE_MESSAGES = {
    "national_id": "Số định danh này đã có trong hệ thống.",
    "date_of_birth": "Ngày sinh không được ở sau hôm nay.",
    "full_name": "Hãy nhập họ và tên.",
}


def _date(value: str) -> dt.date:
    return parse_date(value)


def parse_candidate_form(form: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Field values for the service and Vietnamese messages by field (empty when valid)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for field in PROTECTED_FIELDS:
        if field in form:
            errors[field] = f"{PROTECTED_MESSAGES[field]}."
    for field, limit in TEXT_LIMITS.items():
        text = form.get(field, "").strip()
        if len(text) > limit:
            errors[field] = f"Tối đa {limit} ký tự (đang có {len(text)})."
        values[field] = text
    if not values["full_name"]:
        errors["full_name"] = "Hãy nhập họ và tên."
    for field in ("ethnicity", "religion"):
        if not values[field]:
            values[field] = "Kinh" if field == "ethnicity" else "Không"
    raw_birth = form.get("date_of_birth", "").strip()
    if not raw_birth:
        errors["date_of_birth"] = "Hãy nhập ngày sinh."
    else:
        try:
            values["date_of_birth"] = _date(raw_birth)
        except ValueError:
            errors["date_of_birth"] = invalid_message("ngày sinh")
        else:
            if (born := values["date_of_birth"]) > (today := today_in_vietnam()):
                errors["date_of_birth"] = (
                    f"Ngày sinh “{born:%d/%m/%Y}” không được ở sau hôm nay ({today:%d/%m/%Y})."
                )
    sex = form.get("sex", "")
    if sex not in SEX_LABELS:
        errors["sex"] = "Hãy chọn giới tính."
    values["sex"] = sex
    education = form.get("education", "")
    if education not in EDUCATION_LABELS:
        errors["education"] = "Hãy chọn trình độ học vấn."
    values["education"] = education
    political = form.get("political_standard", "unchecked")
    if political not in POLITICAL_LABELS:
        errors["political_standard"] = "Hãy chọn kết quả thẩm tra lý lịch."
    values["political_standard"] = political
    for field in CHECKBOXES:
        values[field] = form.get(field) == "on"
    national_id = "".join(form.get("national_id", "").split())
    if national_id and not _NATIONAL_ID.match(national_id):
        errors["national_id"] = "Số định danh gồm 12 chữ số (căn cước) hoặc 9 chữ số (CMND cũ)."
    values["national_id"] = national_id or None
    return values, errors


def to_create(unit_id: int, values: dict[str, Any]) -> CandidateCreate:
    return msgspec.convert({"unit_id": unit_id, **values}, CandidateCreate)


def to_update(version: int, values: dict[str, Any]) -> CandidateUpdate:
    """Every field of the form; an empty national ID field keeps the stored one."""
    fields = dict(values)
    if fields.get("national_id") is None:
        fields.pop("national_id", None)
    return msgspec.convert({"version": version, **fields}, CandidateUpdate)


def service_message(error: DomainError) -> str:
    """The Vietnamese half of a service message, or a clearer text for known fields."""
    if error.field in _SERVICE_MESSAGES:
        return _SERVICE_MESSAGES[error.field]
    return error.message.split(" / ")[0]


def form_of(candidate: CandidateOut) -> dict[str, Any]:
    """A stored candidate as the form shows it."""
    form: dict[str, Any] = {
        field: getattr(candidate, field) for field in (*TEXT_LIMITS, *CHECKBOXES)
    }
    form.update(
        date_of_birth=candidate.date_of_birth.isoformat(),
        sex=candidate.sex,
        education=candidate.education,
        political_standard=candidate.political_standard,
        national_id="",
    )
    return form


def redisplay(raw: Mapping[str, str]) -> dict[str, Any]:
    """What the user typed, for showing the form again (checkboxes as booleans)."""
    form: dict[str, Any] = {field: raw.get(field, "") for field in TEXT_LIMITS}
    for field in ("date_of_birth", "sex", "education", "political_standard", "national_id"):
        form[field] = raw.get(field, "")
    for field in CHECKBOXES:
        form[field] = raw.get(field) == "on"
    return form
