"""Domain errors raised by services; the HTTP layer maps them to status codes.

Messages are shown to users: Vietnamese first, then English. ``code`` is the stable
machine code of the problem type the API answers (``nguon.api.problems``): each class has
its own, and a raise may name a more precise registered one.
"""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """Base of the errors a service raises on purpose."""

    default_code: ClassVar[str] = "invalid_input"

    def __init__(
        self,
        message: str,
        field: str | None = None,
        *,
        code: str | None = None,
        field_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code or self.default_code
        self.field_code = field_code
        """The code of ``field``'s problem when it is not a broken domain rule
        (``invalid_format``, …: the field codes of ``nguon.api.problems``)."""


class NotFound(DomainError):
    """Missing, in another tenant, or outside what the caller may see: all look the same."""

    default_code = "not_found"

    def __init__(self, entity: str) -> None:
        what = NOT_FOUND_WHAT.get(entity) or NOT_FOUND_WHAT.get(entity.partition(" ")[0])
        vi = f"Không tìm thấy {what} này, hoặc bạn không có quyền xem" if what else "Không tìm thấy"
        super().__init__(f"{vi} / Not found: {entity}")


NOT_FOUND_WHAT = {
    "unit": "đơn vị",
    "list": "danh sách",
    "candidate": "hồ sơ quần chúng",
    "member": "đảng viên",
    "course": "lớp bồi dưỡng",
    "enrolment": "học viên",
    "export format": "định dạng tải về",
    "helper assignment": "phân công người giúp đỡ",
    "job": "công việc",
    "export": "tệp tải về (tệp chỉ người yêu cầu tải được, trong 7 ngày)",
    "plan": "kế hoạch",
    "tenant": "đơn vị sử dụng",
    "user": "tài khoản",
    "membership": "quyền của tài khoản",
    "plugin": "tiện ích",
    "delivery": "lần gửi webhook",
}
"""What a 404 did not find, in Vietnamese (the API's ``detail`` and the portal's page)."""


class Forbidden(DomainError):
    """The caller sees the object but its role does not allow the action."""

    default_code = "forbidden"


class Conflict(DomainError):
    """A stale version or a duplicate natural key."""

    default_code = "conflict"

    def __init__(self, message: str, field: str | None = None, *, code: str | None = None) -> None:
        stale = field is not None and (field == "version" or field.endswith("_version"))
        super().__init__(message, field, code=code or ("version_mismatch" if stale else None))


class InvalidInput(DomainError):
    """Well-formed input that breaks a domain rule; ``field`` names the culprit."""


class InvalidFields(InvalidInput):
    """Several fields wrong at once: ``problems`` holds (field, code, Vietnamese, English)."""

    def __init__(self, problems: list[tuple[str, str, str, str]]) -> None:
        field, _, vi, en = problems[0]
        super().__init__(f"{vi} / {en}", field, code="validation_failed")
        self.problems = problems
