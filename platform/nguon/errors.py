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
        kind, _, name = entity.partition(" ")
        what = _ENTITIES_VI.get(entity) or _ENTITIES_VI.get(kind)
        shown = f"{what} {name}".strip() if what else entity
        super().__init__(
            f"Không tìm thấy {shown} (không có, hoặc ngoài phạm vi bạn được xem) / "
            f"Not found: {entity}"
        )


_ENTITIES_VI = {
    "unit": "đơn vị",
    "candidate": "người trong nguồn",
    "member": "đảng viên",
    "course": "lớp bồi dưỡng",
    "enrolment": "học viên của lớp",
    "list": "danh sách",
    "plan": "kế hoạch kết nạp",
    "job": "công việc",
    "user": "tài khoản",
    "membership": "quyền của tài khoản",
    "plugin": "tiện ích",
    "tenant": "tỉnh",
    "helper assignment": "phân công giúp đỡ",
    "export format": "mẫu xuất",
    "delivery": "lần gửi webhook",
}
"""What a 404 did not find, in Vietnamese."""


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
