"""Errors as callers see them: an RFC 9457 problem (``application/problem+json``) for the
API, a page for the portal.

Nothing unexpected leaks: an unhandled error is logged (without the request body) and
answered with a plain 500 problem carrying the request id.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from typing import Any
from urllib.parse import quote

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState

from nguon.api.auth import LoginRequired, PasswordChangeRequired
from nguon.api.field_problems import describe, path_in_message, problem, problems_in
from nguon.api.outages import RETRY_AFTER_SECONDS, Outage, outage_message, outage_of
from nguon.api.pagination import PROBLEMS_KEY
from nguon.api.problem_text import has_vietnamese, split_message, vietnamese_labels
from nguon.api.problems import (
    INTERNAL_ERROR,
    INVALID_VALUE,
    MALFORMED_BODY,
    MISSING_BODY,
    NO_RULES_IN_FORCE,
    PROBLEM_MEDIA_TYPE,
    PROBLEM_TYPES,
    REQUIRED,
    RULE,
    SERVICE_UNAVAILABLE,
    TENANT_MERGED,
    VALIDATION_FAILED,
    FieldProblem,
    Problem,
    ProblemReason,
    ProblemType,
    path_of_field,
    problem_type_of_status,
    type_uri,
)
from nguon.api.tenant import TenantMerged
from nguon.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from nguon.portal.wording import STATUS_DETAILS, error_detail
from nguon.rules.errors import NoVersionInForce
from nguon.text import ascii_digits

logger = logging.getLogger("nguon.http")

_STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    InvalidInput: 400,
}
_PORTAL_TITLES = {
    400: "Yêu cầu không hợp lệ",
    401: "Cần đăng nhập",
    403: "Không có quyền",
    404: "Không tìm thấy",
    405: "Không được phép",
    409: "Dữ liệu đã thay đổi",
    429: "Thao tác quá nhanh",
    500: "Lỗi hệ thống",
    503: "Tạm thời gián đoạn",
}
_MISSING_PARAMETER = re.compile(r"Missing required (?P<kind>\w+) parameter '(?P<name>[^']+)'")
_NOT_INPUTS = frozenset({"tenant", "access", "request", "state", "headers", "cookies", "scope"})
"""Signature names that are not the caller's input unless Litestar says where they came
from (the tenant is the middleware's: Litestar's own check of it is bogus)."""


def is_api(request: Request[Any, Any, Any]) -> bool:
    return "/api/" in request.url.path or request.url.path.startswith("/schema")


CSRF_COOKIE = "nguon_csrf"
CSRF_FAILED = "CSRF token verification failed"
CSRF_COOKIE_NOT_SENT_OVER_HTTP = (
    "Trình duyệt không gửi lại cookie bảo vệ biểu mẫu vì trang được mở qua http://: cookie "
    "này chỉ đi qua kết nối https://. Hãy mở cổng thông tin bằng địa chỉ https:// (qua máy "
    "chủ proxy có TLS, hoặc đặt NGUON_TLS_CERTFILE và NGUON_TLS_KEYFILE). Đây không phải lỗi "
    "phân quyền của tài khoản."
)
CSRF_OVER_HTTP_TITLE = "Cần mở trang qua https://"


def _portal_page(
    request: Request[Any, Any, Any], status: int, detail: str, title: str | None = None
) -> Template:
    return Template(
        template_name="error.html",
        context={
            "status_code": status,
            "title": title or _PORTAL_TITLES.get(status, "Lỗi"),
            "detail": error_detail(status, detail),
            "tenant": request.scope.get("state", {}).get("nguon_tenant"),
            "request_id": request.scope.get("state", {}).get("request_id"),
        },
        status_code=status,
    )


def problem_of(
    request: Request[Any, Any, Any],
    kind: ProblemType,
    detail: str,
    detail_en: str,
    *,
    status: int | None = None,
    errors: list[FieldProblem] | None = None,
    **extensions: Any,
) -> Problem:
    return Problem(
        type=type_uri(str(request.base_url), kind.code),
        title=kind.title,
        title_en=kind.title_en,
        status=status or kind.status,
        detail=vietnamese_labels(detail),
        detail_en=detail_en,
        instance=request.url.path,
        code=kind.code,
        request_id=getattr(request.state, "request_id", None),
        errors=errors or [],
        **extensions,
    )


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> Response[Problem]:
    return Response(
        content=problem,
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _answer(
    request: Request[Any, Any, Any],
    problem: Problem,
    portal_detail: str,
    headers: dict[str, str] | None = None,
    portal_title: str | None = None,
) -> Response[Any]:
    if is_api(request):
        return problem_response(problem, headers)
    page = _portal_page(request, problem.status, vietnamese_labels(portal_detail), portal_title)
    if headers:
        page.headers.update(headers)
    return page


def status_of(exc: DomainError) -> int:
    """The status of the nearest mapped class: a ``Conflict`` subclass is still a 409."""
    for kind in type(exc).__mro__:
        if kind in _STATUS:
            return _STATUS[kind]
    return HTTP_400_BAD_REQUEST


def _body_of(request: Request[Any, Any, Any]) -> Any:
    """The JSON body the handler was given, if it was read (``Empty`` otherwise)."""
    state = ScopeState.from_scope(request.scope)
    if state.json is not Empty:
        return state.json
    if state.body is Empty or not state.body:
        return Empty
    try:
        return msgspec.json.decode(state.body)
    except msgspec.DecodeError:
        return Empty


def _located(
    request: Request[Any, Any, Any], field: str, code: str, vi: str, en: str
) -> FieldProblem:
    """A field problem in the body when the body has (or should have) the field, else in a
    query or path parameter of that name."""
    parts = path_of_field(field)
    body = _body_of(request)
    in_params = field in request.query_params or field in request.path_params
    in_body = isinstance(body, dict) and bool(parts) and parts[0] in body
    if in_body or (not in_params and request.method in {"POST", "PUT", "PATCH"}):
        return problem(parts, code, vi, en)
    return problem(parts, code, vi, en, in_body=False)


def _in_request(request: Request[Any, Any, Any], field: str) -> bool:
    """Whether the caller sent ``field`` (a 409 about the object's own state names none)."""
    parts = path_of_field(field)
    body = _body_of(request)
    in_body = isinstance(body, dict) and bool(parts) and parts[0] in body
    return in_body or field in request.query_params or field in request.path_params


def domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    status = status_of(exc)
    kind = PROBLEM_TYPES.get(exc.code)
    if kind is None or kind.status != status:
        kind = problem_type_of_status(status)
    vi, en = split_message(exc.message)
    if exc.field and en.endswith(f": {exc.field}"):  # the old "…: field" suffix: errors name it
        en = en.removesuffix(f": {exc.field}")
    errors = []
    for field, code, field_vi, field_en in getattr(exc, "problems", None) or []:
        errors.append(_located(request, field, code, vietnamese_labels(field_vi), field_en))
    if errors:
        vi, en = _summary(errors)
    elif exc.field and (status != 409 or _in_request(request, exc.field)):
        name = f"`{exc.field}`"
        named_vi = vietnamese_labels(vi if name in vi else f"{name}: {vi}")
        named_en = en if name in en else f"{name}: {en}"
        errors = [_located(request, exc.field, exc.field_code or RULE, named_vi, named_en)]
    reasons = [
        ProblemReason(code=r.code, clause_id=r.clause_id, message=r.message_vi)
        for r in getattr(exc, "reasons", None) or []
    ]
    extensions = {"reasons": reasons} if reasons else {}
    problem = problem_of(request, kind, vi, en, status=status, errors=errors, **extensions)
    return _answer(request, problem, exc.message)


def _data_annotation(request: Request[Any, Any, Any]) -> Any:
    handler = request.scope.get("route_handler")
    if not isinstance(handler, HTTPRouteHandler):
        return None
    data = handler.parsed_fn_signature.parameters.get("data")
    return data.annotation if data is not None else None


def _parameter_annotation(request: Request[Any, Any, Any], name: str) -> Any:
    handler = request.scope.get("route_handler")
    if not isinstance(handler, HTTPRouteHandler):
        return None
    for key, field in handler.parsed_fn_signature.parameters.items():
        alias = getattr(field.kwarg_definition, "name", None)
        if name in (key, alias):
            return field.annotation
    return None


def _body_problems(
    request: Request[Any, Any, Any], fallback: list[FieldProblem]
) -> list[FieldProblem]:
    annotation = _data_annotation(request)
    body = _body_of(request)
    if body is Empty:
        return [
            FieldProblem(
                field="body",
                pointer="",
                code=MISSING_BODY,
                detail="Thiếu nội dung yêu cầu (JSON).",
                detail_en="The request body (JSON) is missing.",
            )
        ]
    if annotation is None:
        return fallback
    return problems_in(body, annotation) or fallback


def _entry_problem(request: Request[Any, Any, Any], entry: dict[str, Any]) -> FieldProblem | None:
    if isinstance(entry.get("problem"), FieldProblem):  # found whole at the edge
        return entry["problem"]
    key = str(entry.get("key", ""))
    message = str(entry.get("message", ""))
    code = entry.get("code")
    if not code and (key == "tenant" or (key in _NOT_INPUTS and "source" not in entry)):
        return None
    if code:  # refused at the edge: the message is already "vi / en"
        vi, en = split_message(message)
        # A name holding a control character is shown escaped: the message stays readable.
        shown = key if key.isprintable() else key.encode("unicode_escape").decode("ascii")
        vi, en = f"`{shown}`: {vi}", f"`{shown}`: {en}"
        if entry.get("source") == "body":
            found = problem([] if key == "body" else path_of_field(key), str(code), vi, en)
            found.field = key
            return found
        return problem(path_of_field(key), str(code), vi, en, in_body=False)
    text, _ = path_in_message(message)
    code, vi, en = describe(text, key, _info(_parameter_annotation(request, key)))
    return problem([key], code, vi, en, in_body=False)


def _info(annotation: Any) -> Any:
    if annotation is None:
        return None
    try:
        return msgspec.inspect.type_info(annotation)
    except (TypeError, ValueError):
        return None


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _summary(errors: list[FieldProblem]) -> tuple[str, str]:
    """The problem's ``detail`` and ``detail_en``: every field problem, a sentence each."""
    vi = "Dữ liệu không hợp lệ: " + " ".join(_sentence(e.detail) for e in errors)
    return vi, "Invalid input: " + " ".join(_sentence(e.detail_en) for e in errors)


def validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    waiting = request.scope.get("state", {}).pop(PROBLEMS_KEY, None) or []
    entries = [e for e in waiting if e not in extra] + [e for e in extra if isinstance(e, dict)]
    from_body = [e for e in entries if e.get("source") == "body" and not e.get("code")]
    from_body += [e for e in entries if e.get("key") == "data" and e not in from_body]
    errors: list[FieldProblem] = []
    if from_body:
        fallback = [
            problem(
                path_of_field(str(e.get("key", "")).removeprefix("data")),
                INVALID_VALUE,
                *describe(path_in_message(str(e.get("message", "")))[0], str(e.get("key")), None)[
                    1:
                ],
            )
            for e in from_body
        ]
        errors += _body_problems(request, fallback)
    for entry in entries:
        if entry in from_body:
            continue
        found = _entry_problem(request, entry)
        if found is not None:
            errors.append(found)
    missing = _MISSING_PARAMETER.search(str(exc.detail))
    if not errors and missing:
        name = missing.group("name")
        errors.append(
            problem(
                [name],
                REQUIRED,
                f"Thiếu tham số bắt buộc `{name}`.",
                f"The {missing.group('kind')} parameter `{name}` is required.",
                in_body=False,
            )
        )
    if errors:
        vi, en = _summary(errors)
    else:
        vi, en = "Dữ liệu không hợp lệ.", f"Invalid input: {exc.detail}"
    problem_body = problem_of(request, VALIDATION_FAILED, vi, en, errors=errors)
    return _answer(request, problem_body, f"{vi} / {en}")


def _csrf_cookie_dropped_over_http(
    request: Request[Any, Any, Any], status: int, detail: str
) -> bool:
    """The cookie is Secure: over plain http a browser never sends it back."""
    return (
        status == 403
        and detail == CSRF_FAILED
        and request.url.scheme == "http"
        and CSRF_COOKIE not in request.cookies
    )


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    kind = problem_type_of_status(status)
    detail = str(exc.detail or "")
    if has_vietnamese(detail):
        vi, en = split_message(detail)
    elif _csrf_cookie_dropped_over_http(request, status, detail):
        vi, en = CSRF_COOKIE_NOT_SENT_OVER_HTTP, detail
    else:
        vi = STATUS_DETAILS.get(status, kind.title + ".")
        en = detail or kind.title_en
    title = None
    if _csrf_cookie_dropped_over_http(request, status, detail):
        title = CSRF_OVER_HTTP_TITLE
    errors: list[FieldProblem] = []
    if status == HTTP_400_BAD_REQUEST:
        vi = "Nội dung không đọc được (không phải JSON hợp lệ)."
        en = f"The body is not valid JSON: {en[:1].lower()}{en[1:]}" if en else en
        errors = [
            FieldProblem(
                field="body", pointer="", code=MALFORMED_BODY.code, detail=vi, detail_en=en
            )
        ]
    headers = dict(exc.headers or {})
    retry = headers.get("Retry-After") or headers.get("retry-after")
    extensions = {"retry_after": int(retry)} if retry and ascii_digits(retry) else {}
    problem_body = problem_of(request, kind, vi, en, status=status, errors=errors, **extensions)
    portal = f"{vi} / {en}" if vi != en else detail
    return _answer(request, problem_body, portal, headers, title)


def login_required(request: Request[Any, Any, Any], exc: LoginRequired) -> Response[Any]:
    tenant = request.scope["state"]["nguon_tenant"]
    return Redirect(path=f"/t/{tenant.slug}/login?next={quote(request.url.path)}")


def password_change_required(
    request: Request[Any, Any, Any], exc: PasswordChangeRequired
) -> Response[Any]:
    tenant = request.scope["state"]["nguon_tenant"]
    return Redirect(path=f"/t/{tenant.slug}/account/password")


def tenant_merged(request: Request[Any, Any, Any], exc: TenantMerged) -> Response[Any]:
    old, new = exc.tenant, exc.into
    merged_on = old.merged_on.isoformat() if old.merged_on else ""
    if is_api(request):
        path = request.url.path.replace(f"/t/{old.slug}/", f"/t/{new.slug}/", 1)
        day = old.merged_on.strftime("%d/%m/%Y") if old.merged_on else ""
        problem_body = problem_of(
            request,
            TENANT_MERGED,
            f"{old.name} đã hợp nhất vào {new.name} từ ngày {day}; hãy dùng /t/{new.slug}/.",
            f"This tenant was merged into {new.slug!r} on {merged_on}: use /t/{new.slug}/.",
            merged_into=new.slug,
            merged_on=merged_on,
            url=str(request.base_url).rstrip("/") + path,
        )
        return problem_response(problem_body)
    return Template(
        template_name="merged.html",
        context={
            "old": old,
            "new": new,
            "tenant": new,
            "merged_on": old.merged_on.strftime("%d/%m/%Y") if old.merged_on else "",
        },
        status_code=410,
    )


def no_version_in_force(request: Request[Any, Any, Any], exc: NoVersionInForce) -> Response[Any]:
    """A date before (or after) every version of the province's rules: the caller's input."""
    day = re.search(r"\d{4}-\d{2}-\d{2}", str(exc))
    on = f" ngày {dt.date.fromisoformat(day.group()):%d/%m/%Y}" if day else ""
    on_en = f" on {day.group()}" if day else " on that date"
    vi = f"Không có phiên bản quy định nào của tỉnh có hiệu lực vào{on}: hãy chọn ngày khác."
    en = f"No version of the province's rules is in force{on_en}: choose another date."
    return _answer(request, problem_of(request, NO_RULES_IN_FORCE, vi, en), f"{vi} / {en}")


def dependency_down(request: Request[Any, Any, Any], outage: Outage) -> Response[Any]:
    """503 with ``Retry-After``: the database or the session store does not answer."""
    logger.warning(
        "dependency unavailable",
        extra={"dependency": outage.dependency, "error": outage.reason, "path": request.url.path},
    )
    signing_in = request.url.path.endswith("/login")
    message = outage_message(outage, signing_in=signing_in)
    vi, en = split_message(message)
    problem_body = problem_of(request, SERVICE_UNAVAILABLE, vi, en, retry_after=RETRY_AFTER_SECONDS)
    return _answer(request, problem_body, message, {"Retry-After": str(RETRY_AFTER_SECONDS)})


def _raised_by_form_parser(exc: BaseException) -> bool:
    """Litestar's multipart parser decodes each field without a filename as UTF-8 and lets
    the error out (a 500 for a client's bad form, in the CSRF check of every portal form)."""
    frame = exc.__traceback__
    while frame is not None:
        if frame.tb_frame.f_code.co_filename.endswith(_FORM_PARSER):
            return True
        frame = frame.tb_next
    return False


_FORM_PARSER = os.path.join("litestar", "_multipart.py")


def undecodable_form(request: Request[Any, Any, Any]) -> Response[Any]:
    vi = "Biểu mẫu có trường không phải văn bản UTF-8 (tệp phải được gửi kèm tên tệp)."
    en = "A form field is not UTF-8 text (send a file with its filename)."
    errors = [
        FieldProblem(field="body", pointer="", code=MALFORMED_BODY.code, detail=vi, detail_en=en)
    ]
    problem_body = problem_of(request, MALFORMED_BODY, vi, en, status=400, errors=errors)
    return _answer(request, problem_body, f"{vi} / {en}")


def unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    outage = outage_of(exc)
    if outage is not None:
        return dependency_down(request, outage)
    if isinstance(exc, UnicodeDecodeError) and _raised_by_form_parser(exc):
        return undecodable_form(request)
    logger.error(
        "unhandled error",
        exc_info=exc,
        extra={"method": request.method, "path": request.url.path},
    )
    vi = "Lỗi hệ thống, vui lòng thử lại sau."
    en = "Internal error, please try again later."
    return _answer(request, problem_of(request, INTERNAL_ERROR, vi, en), f"{vi} / {en}")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    LoginRequired: login_required,
    PasswordChangeRequired: password_change_required,
    TenantMerged: tenant_merged,
    NoVersionInForce: no_version_in_force,
    Exception: unexpected_error,
}
