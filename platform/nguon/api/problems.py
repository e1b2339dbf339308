"""RFC 9457 problem details: the one shape of every API error, and the registry of its types.

A problem names its type by a stable machine ``code``; ``type`` is the URI of the page
that documents it (``/errors/{code}``). Texts come in Vietnamese (``title``, ``detail``)
and English (``title_en``, ``detail_en``). Other modules add their own problem types with
``register`` (and, for field problems, ``register_field_code``).
"""

from __future__ import annotations

from typing import Any

import msgspec

from nguon.text import ascii_digits

PROBLEM_MEDIA_TYPE = "application/problem+json"
DOCS_PATH = "/errors"


class ProblemType(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    status: int
    title: str
    """Vietnamese."""
    title_en: str
    description: str
    """When it happens and what to do, in English (the documentation page)."""
    description_vi: str


class FieldCode(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    meaning: str
    """In English, for the documentation."""


PROBLEM_TYPES: dict[str, ProblemType] = {}
FIELD_CODES: dict[str, FieldCode] = {}


def register(problem: ProblemType) -> ProblemType:
    PROBLEM_TYPES[problem.code] = problem
    return problem


def register_field_code(code: str, meaning: str) -> str:
    FIELD_CODES[code] = FieldCode(code=code, meaning=meaning)
    return code


def _type(code: str, status: int, title: str, title_en: str, vi: str, en: str) -> ProblemType:
    return register(
        ProblemType(
            code=code,
            status=status,
            title=title,
            title_en=title_en,
            description=en,
            description_vi=vi,
        )
    )


VALIDATION_FAILED = _type(
    "validation_failed",
    400,
    "Dữ liệu không hợp lệ",
    "Invalid input",
    "Nội dung, tham số truy vấn hoặc tham số đường dẫn không đúng khuôn dạng. Mảng `errors` "
    "liệt kê MỌI trường sai cùng lúc, mỗi trường có con trỏ JSON, mã và lời giải thích.",
    "The body, a query or a path parameter does not have the documented shape. `errors` "
    "lists EVERY field problem at once, each with a JSON pointer (`pointer`, into the body) "
    "or a `parameter` name, a field `code` and messages in Vietnamese and English.",
)
MALFORMED_BODY = _type(
    "malformed_body",
    400,
    "Nội dung không đọc được",
    "Malformed body",
    "Nội dung không phải JSON hợp lệ.",
    "The body is not valid JSON (or not valid for its media type).",
)
INVALID_INPUT = _type(
    "invalid_input",
    400,
    "Không thực hiện được với dữ liệu này",
    "Input breaks a rule",
    "Dữ liệu đúng khuôn dạng nhưng trái một quy định (ví dụ người chưa đủ điều kiện); "
    "`errors` nêu trường liên quan.",
    "The input is well-formed but breaks a domain rule (a person not eligible, a date "
    "outside a period, …); `errors` names the field concerned when there is one.",
)
NO_RULES_IN_FORCE = _type(
    "no_rules_in_force",
    400,
    "Không có quy định có hiệu lực",
    "No rules in force on that date",
    "Không có phiên bản quy định nào của tỉnh có hiệu lực vào ngày được hỏi: hãy chọn ngày khác.",
    "No version of the province's rules is in force on the date asked: choose another date.",
)
UNAUTHENTICATED = _type(
    "unauthenticated",
    401,
    "Cần đăng nhập",
    "Authentication required",
    "Thiếu mã truy cập (bearer token), mã sai, hết hạn, của đơn vị sử dụng khác hoặc đã bị "
    "thu hồi khi đổi mật khẩu. Hãy lấy mã mới qua `POST /t/{tenant}/api/v2/auth/token`.",
    "No bearer token, or one that is wrong, expired, of another tenant or revoked by a "
    "password change. Get a new one from `POST /t/{tenant}/api/v2/auth/token`.",
)
FORBIDDEN = _type(
    "forbidden",
    403,
    "Không có quyền",
    "Forbidden",
    "Người gọi thấy đối tượng nhưng vai trò không cho phép thao tác này.",
    "The caller sees the object but its role (or its unit) does not allow this action.",
)
NOT_FOUND = _type(
    "not_found",
    404,
    "Không tìm thấy",
    "Not found",
    "Không có đối tượng này, hoặc nó thuộc đơn vị sử dụng khác, hoặc nằm ngoài phạm vi người "
    "gọi được xem: ba trường hợp trả lời giống nhau.",
    "The object does not exist, belongs to another tenant, or is outside what the caller "
    "may see: the three look the same. Also an unknown tenant or address.",
)
METHOD_NOT_ALLOWED = _type(
    "method_not_allowed",
    405,
    "Phương thức không được hỗ trợ",
    "Method not allowed",
    "Địa chỉ này không nhận phương thức HTTP đã dùng.",
    "The address exists but does not take this HTTP method.",
)
CONFLICT = _type(
    "conflict",
    409,
    "Xung đột dữ liệu",
    "Conflict",
    "Thao tác không hợp với trạng thái hiện tại của đối tượng (ví dụ danh sách đã nộp), hoặc "
    "trùng với một đối tượng đã có (ví dụ số thẻ đảng viên).",
    "The action does not fit the object's current state (a list already submitted, …) or "
    "duplicates an existing object (a card number, …).",
)
VERSION_MISMATCH = _type(
    "version_mismatch",
    409,
    "Dữ liệu đã thay đổi",
    "The object changed since it was read",
    "Đối tượng đã được người khác thay đổi từ khi bạn đọc nó: hãy đọc lại rồi gửi phiên bản mới.",
    "Someone changed the object since you read it: read it again and resend with the new "
    "`version`.",
)
STAGE_REFUSED = _type(
    "stage_refused",
    409,
    "Không chuyển được giai đoạn",
    "Stage change refused",
    "Quy trình hoặc quy định của tỉnh không cho người này chuyển sang giai đoạn được yêu cầu "
    "từ giai đoạn hiện tại; `detail` nêu lý do; khi quy định không cho phép, `reasons` liệt kê "
    "lý do của quy định kèm điều khoản.",
    "The stage machine or the province's rules refuse this change from the person's current "
    "stage; `detail` gives the reasons; when the rules refused, `reasons` lists theirs with "
    "their clauses.",
)
EXPORT_BY_JOB = _type(
    "export_by_job",
    409,
    "Danh sách lớn được xuất trong nền",
    "Large lists are exported by a job",
    "Danh sách có nhiều người hơn mức xuất ngay trong yêu cầu: gửi `POST` tới "
    "`/lists/{list_id}/exports` rồi theo dõi công việc; khi xong, `file_url` cho tải tệp.",
    "The list has more people than are exported within a request: `POST` to "
    "`/lists/{list_id}/exports`, follow the job, and download from its `file_url` when done.",
)
TENANT_MERGED = _type(
    "tenant_merged",
    410,
    "Đơn vị sử dụng đã hợp nhất",
    "Tenant merged",
    "Đơn vị sử dụng này đã hợp nhất vào đơn vị khác; `url` là địa chỉ mới (mã số không đổi).",
    "This tenant was merged into another: `merged_into` names it and `url` is the same "
    "address under the new tenant (ids did not change in the merge).",
)
PAYLOAD_TOO_LARGE = _type(
    "payload_too_large",
    413,
    "Nội dung quá lớn",
    "Payload too large",
    "Nội dung vượt giới hạn: 1 MiB cho JSON, 10 MiB cho tệp tải lên, 51 MiB cho tệp nhập"
    " quần chúng, đảng viên (tệp 50 MB).",
    "The body is larger than the limit: 1 MiB for JSON, 10 MiB for file uploads, 51 MiB for"
    " the sheet imports (a file of 50 MB).",
)
UNSUPPORTED_MEDIA_TYPE = _type(
    "unsupported_media_type",
    415,
    "Kiểu nội dung không được hỗ trợ",
    "Unsupported media type",
    "Thao tác này chỉ nhận nội dung `application/json`.",
    "The operation takes `application/json` bodies only.",
)
TOO_MANY_REQUESTS = _type(
    "too_many_requests",
    429,
    "Thao tác quá nhanh",
    "Too many requests",
    "Quá nhiều yêu cầu (ví dụ nhập sai mật khẩu nhiều lần): hãy thử lại sau số giây ở "
    "`Retry-After`.",
    "Too many requests (for instance repeated wrong passwords): retry after the seconds "
    "given in `Retry-After`.",
)
INTERNAL_ERROR = _type(
    "internal_error",
    500,
    "Lỗi hệ thống",
    "Internal error",
    "Lỗi không lường trước; đã được ghi nhật ký kèm `request_id`. Hãy báo `request_id` khi "
    "liên hệ hỗ trợ.",
    "An unexpected error; it was logged with its `request_id`. Quote the `request_id` "
    "when you contact support.",
)
SERVICE_UNAVAILABLE = _type(
    "service_unavailable",
    503,
    "Tạm thời gián đoạn",
    "Service unavailable",
    "Cơ sở dữ liệu hoặc kho phiên đăng nhập tạm thời không trả lời; dữ liệu không bị ảnh "
    "hưởng. Hãy thử lại sau số giây ở `Retry-After`.",
    "The database or the session store does not answer for now; no data was changed. "
    "Retry after the seconds given in `Retry-After`.",
)
PRECONDITION_FAILED = _type(
    "precondition_failed",
    412,
    "Điều kiện không còn đúng",
    "Precondition failed",
    "Phiên bản ghi trong `If-Match` không còn là phiên bản hiện tại: hãy đọc lại đối tượng.",
    "The version in `If-Match` is no longer the current one: read the object again.",
)
PRECONDITION_REQUIRED = _type(
    "precondition_required",
    428,
    "Thiếu điều kiện phiên bản",
    "Precondition required",
    "Thao tác này cần tiêu đề `If-Match` mang phiên bản (ETag) đã đọc.",
    "This operation needs an `If-Match` header with the version (ETag) read.",
)
HTTP_STATUS_CODES = {
    400: MALFORMED_BODY,
    401: UNAUTHENTICATED,
    403: FORBIDDEN,
    404: NOT_FOUND,
    405: METHOD_NOT_ALLOWED,
    409: CONFLICT,
    410: TENANT_MERGED,
    412: PRECONDITION_FAILED,
    413: PAYLOAD_TOO_LARGE,
    415: UNSUPPORTED_MEDIA_TYPE,
    428: PRECONDITION_REQUIRED,
    429: TOO_MANY_REQUESTS,
    500: INTERNAL_ERROR,
    503: SERVICE_UNAVAILABLE,
}
"""The problem type of a bare HTTP status (a framework's or a middleware's exception)."""


def problem_type_of_status(status: int) -> ProblemType:
    """The type of a bare status: the mapped one, else one registered with that status."""
    if status in HTTP_STATUS_CODES:
        return HTTP_STATUS_CODES[status]
    for kind in PROBLEM_TYPES.values():
        if kind.status == status:
            return kind
    fallback = _type(
        f"http_{status}",
        status,
        f"Lỗi HTTP {status}",
        f"HTTP error {status}",
        f"Yêu cầu không thực hiện được (mã HTTP {status}).",
        f"The request could not be served (HTTP status {status}).",
    )
    return fallback


REQUIRED = register_field_code("required", "A required field is missing.")
UNKNOWN_FIELD = register_field_code(
    "unknown_field", "The body has a field the operation does not take (misspelt?)."
)
INVALID_TYPE = register_field_code(
    "invalid_type", "The value has the wrong JSON type (text for a number, …)."
)
NULL_NOT_ALLOWED = register_field_code("null_not_allowed", "`null` where a value is required.")
INVALID_FORMAT = register_field_code(
    "invalid_format", "Text not in the expected form (an ID number, a URL, …)."
)
INVALID_DATE = register_field_code(
    "invalid_date", "Not a date as YYYY-MM-DD (or not a datetime as RFC 3339)."
)
INVALID_CHOICE = register_field_code("invalid_choice", "Not one of the values the field takes.")
TOO_SHORT = register_field_code("too_short", "Text or list shorter than the minimum.")
TOO_LONG = register_field_code("too_long", "Text or list longer than the maximum.")
OUT_OF_RANGE = register_field_code(
    "out_of_range", "A number below the minimum or above the maximum."
)
CONTROL_CHARACTER = register_field_code(
    "control_character", "Text holding a control character or a bidirectional override."
)
TOO_DEEP = register_field_code("too_deep", "JSON nested too deep.")
MISSING_BODY = register_field_code("missing_body", "The operation needs a body and none was sent.")
RULE = register_field_code("rule", "The value breaks a domain rule (see `detail`).")
INVALID_VALUE = register_field_code("invalid_value", "Any other invalid value (see `detail`).")


class FieldProblem(msgspec.Struct, kw_only=True, omit_defaults=True):
    field: str
    """The field's name as the API spells it: ``items[0].birth_date``, or a parameter name."""
    code: str
    detail: str
    detail_en: str
    pointer: str | None = None
    """RFC 6901 pointer into the JSON body: ``/items/0/birth_date``."""
    parameter: str | None = None
    """The query or path parameter, when the problem is not in the body."""


class ProblemReason(msgspec.Struct, kw_only=True):
    """One of the rules' reasons for refusing a stage change."""

    code: str
    clause_id: str | None
    """The clause of the guidance the reason rests on."""
    message: str
    """The reason in Vietnamese, as the portal shows it."""


class Problem(
    msgspec.Struct,
    kw_only=True,
    omit_defaults=True,
    forbid_unknown_fields=False,
):
    """An RFC 9457 problem: ``detail`` in Vietnamese, ``detail_en`` in English."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str
    title_en: str
    detail_en: str
    request_id: str | None
    """The id of the request in the logs (null when no id was given to it)."""
    errors: list[FieldProblem]
    """Every field problem of the input (400); empty for other problems."""
    retry_after: int | None = None
    """Seconds, as in the ``Retry-After`` header (429, 503)."""
    merged_into: str | None = None
    merged_on: str | None = None
    url: str | None = None
    """410 ``tenant_merged``: the same address under the tenant it was merged into."""
    current_version: int | None = None
    """412 ``precondition_failed``: the version now, to read again before retrying."""
    reasons: list[ProblemReason] | None = None
    """409 ``stage_refused`` by the province's rules: each reason with its clause."""


def type_uri(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}{DOCS_PATH}/{code}"


def pointer_of(path: list[str | int]) -> str:
    """RFC 6901: ``~`` and ``/`` inside a name are escaped."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def field_name_of(path: list[str | int]) -> str:
    name = ""
    for part in path:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else part
    return name


def path_of_field(field: str) -> list[str | int]:
    """``items[0].birth_date`` back into its parts."""
    parts: list[str | int] = []
    for token in field.replace("]", "").replace("[", ".").split("."):
        if token == "":
            continue
        parts.append(int(token) if ascii_digits(token) else token)
    return parts


def as_dict(problem: Problem) -> dict[str, Any]:
    return msgspec.to_builtins(problem)


def markdown_tables() -> str:
    """The codes tables of ``docs/api-errors.md``, from the registry (a test compares)."""
    lines = [
        "| `code` | HTTP | Title (vi) | Title (en) | When |",
        "|---|---|---|---|---|",
    ]
    for kind in sorted(PROBLEM_TYPES.values(), key=lambda k: (k.status, k.code)):
        lines.append(
            f"| `{kind.code}` | {kind.status} | {kind.title} | {kind.title_en} | "
            f"{kind.description} |"
        )
    lines += ["", "| `errors[].code` | Meaning |", "|---|---|"]
    for field in sorted(FIELD_CODES.values(), key=lambda f: f.code):
        lines.append(f"| `{field.code}` | {field.meaning} |")
    return "\n".join(lines) + "\n"
