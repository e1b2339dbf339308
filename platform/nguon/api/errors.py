"""Errors as callers see them: JSON naming the field for the API, a page for the portal.

Nothing unexpected leaks: an unhandled error is logged (without the request body) and
answered with a plain 500.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any
from urllib.parse import quote

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_410_GONE,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from nguon.api.auth import LoginRequired, PasswordChangeRequired
from nguon.api.outages import RETRY_AFTER_SECONDS, Outage, outage_message, outage_of
from nguon.api.tenant import TenantMerged
from nguon.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from nguon.portal.wording import error_detail
from nguon.rules.errors import NoVersionInForce

logger = logging.getLogger("nguon.http")

_STATUS: dict[type[DomainError], int] = {
    NotFound: HTTP_404_NOT_FOUND,
    Forbidden: HTTP_403_FORBIDDEN,
    Conflict: HTTP_409_CONFLICT,
    InvalidInput: HTTP_400_BAD_REQUEST,
}
_MSGSPEC_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_NAMED_FIELD = re.compile(r"(?:unknown|missing required) field `(?P<name>[^`]+)`")
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


class FieldError(msgspec.Struct):
    field: str
    message: str


class ErrorBody(msgspec.Struct):
    status_code: int
    detail: str
    errors: list[FieldError] = []


def _is_api(request: Request[Any, Any, Any]) -> bool:
    return "/api/" in request.url.path or request.url.path.startswith("/schema")


def _portal_page(request: Request[Any, Any, Any], status: int, detail: str) -> Template:
    return Template(
        template_name="error.html",
        context={
            "status_code": status,
            "title": _PORTAL_TITLES.get(status, "Lỗi"),
            "detail": error_detail(status, detail),
            "tenant": request.scope.get("state", {}).get("nguon_tenant"),
        },
        status_code=status,
    )


def _answer(request: Request[Any, Any, Any], body: ErrorBody) -> Response[Any]:
    if _is_api(request):
        return Response(content=body, status_code=body.status_code, media_type=MediaType.JSON)
    return _portal_page(request, body.status_code, body.detail)


def status_of(exc: DomainError) -> int:
    """The status of the nearest mapped class: a ``Conflict`` subclass is still a 409."""
    for kind in type(exc).__mro__:
        if kind in _STATUS:
            return _STATUS[kind]
    return HTTP_400_BAD_REQUEST


def domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    status = status_of(exc)
    errors = [FieldError(field=exc.field, message=exc.message)] if exc.field else []
    return _answer(request, ErrorBody(status_code=status, detail=exc.message, errors=errors))


def _field_path(entry: dict[str, Any]) -> str:
    """``full_name`` or ``items[0].name`` from Litestar's key and msgspec's message."""
    message = str(entry.get("message", ""))
    match = _MSGSPEC_PATH.search(message)
    path = match.group("path").lstrip(".") if match else ""
    named = _NAMED_FIELD.search(message)
    if named:
        return f"{path}.{named.group('name')}" if path else named.group("name")
    if path:
        return path
    key = str(entry.get("key", ""))
    return key.removeprefix("data.") if key != "data" else ""


def validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    errors: list[FieldError] = []
    for entry in extra:
        if not isinstance(entry, dict):
            continue
        message = _MSGSPEC_PATH.sub("", str(entry.get("message", ""))).strip()
        field = _field_path(entry)
        if not field and entry.get("key") == "data":
            field = "body"
            if message == "'data'":
                message = "Thiếu nội dung yêu cầu / The request body is missing"
        errors.append(FieldError(field=field or str(entry.get("key", "")), message=message))
    if errors:
        detail = "Dữ liệu không hợp lệ / Invalid input: " + "; ".join(
            f"{e.field}: {e.message}" for e in errors
        )
    else:
        detail = f"Dữ liệu không hợp lệ / Invalid input: {exc.detail}"
    return _answer(
        request, ErrorBody(status_code=HTTP_400_BAD_REQUEST, detail=detail, errors=errors)
    )


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    body = ErrorBody(status_code=exc.status_code, detail=exc.detail)
    if exc.status_code == HTTP_400_BAD_REQUEST:
        body.detail = f"Dữ liệu không hợp lệ / Invalid input: body: {exc.detail}"
        body.errors = [FieldError(field="body", message=exc.detail)]
    response = _answer(request, body)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def login_required(request: Request[Any, Any, Any], exc: LoginRequired) -> Response[Any]:
    tenant = request.scope["state"]["nguon_tenant"]
    return Redirect(path=f"/t/{tenant.slug}/login?next={quote(request.url.path)}")


def password_change_required(
    request: Request[Any, Any, Any], exc: PasswordChangeRequired
) -> Response[Any]:
    tenant = request.scope["state"]["nguon_tenant"]
    return Redirect(path=f"/t/{tenant.slug}/account/password")


class MergedBody(msgspec.Struct):
    status_code: int
    detail: str
    merged_into: str
    merged_on: str
    url: str
    """The same path under the new tenant (ids did not change in the merge)."""


def tenant_merged(request: Request[Any, Any, Any], exc: TenantMerged) -> Response[Any]:
    old, new = exc.tenant, exc.into
    merged_on = old.merged_on.isoformat() if old.merged_on else ""
    if _is_api(request):
        path = request.url.path.replace(f"/t/{old.slug}/", f"/t/{new.slug}/", 1)
        body = MergedBody(
            status_code=HTTP_410_GONE,
            detail=(
                f"{old.name} đã hợp nhất vào {new.name} từ ngày {merged_on}; "
                f"hãy dùng /t/{new.slug}/. / This tenant was merged into {new.slug!r} on "
                f"{merged_on}: use /t/{new.slug}/."
            ),
            merged_into=new.slug,
            merged_on=merged_on,
            url=str(request.base_url).rstrip("/") + path,
        )
        return Response(content=body, status_code=HTTP_410_GONE, media_type=MediaType.JSON)
    return Template(
        template_name="merged.html",
        context={
            "old": old,
            "new": new,
            "tenant": new,
            "merged_on": old.merged_on.strftime("%d/%m/%Y") if old.merged_on else "",
        },
        status_code=HTTP_410_GONE,
    )


def no_version_in_force(request: Request[Any, Any, Any], exc: NoVersionInForce) -> Response[Any]:
    """A date before (or after) every version of the province's rules: the caller's input."""
    day = re.search(r"\d{4}-\d{2}-\d{2}", str(exc))
    on = f" ngày {dt.date.fromisoformat(day.group()):%d/%m/%Y}" if day else ""
    detail = (
        f"Không có phiên bản quy định nào của tỉnh có hiệu lực vào{on}: hãy chọn ngày khác. / "
        f"No version of the province's rules is in force on that date."
    )
    return _answer(request, ErrorBody(status_code=HTTP_400_BAD_REQUEST, detail=detail))


def dependency_down(request: Request[Any, Any, Any], outage: Outage) -> Response[Any]:
    """503 with ``Retry-After``: the database or the session store does not answer."""
    logger.warning(
        "dependency unavailable",
        extra={"dependency": outage.dependency, "error": outage.reason, "path": request.url.path},
    )
    signing_in = request.url.path.endswith("/login")
    detail = outage_message(outage, signing_in=signing_in)
    body = ErrorBody(status_code=HTTP_503_SERVICE_UNAVAILABLE, detail=detail)
    response = _answer(request, body)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    outage = outage_of(exc)
    if outage is not None:
        return dependency_down(request, outage)
    logger.error(
        "unhandled error",
        exc_info=exc,
        extra={"method": request.method, "path": request.url.path},
    )
    body = ErrorBody(
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        detail="Lỗi hệ thống, vui lòng thử lại sau. / Internal error, please try again later.",
    )
    return _answer(request, body)


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
