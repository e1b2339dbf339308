"""The problem answers (RFC 9457) that the HTTP-semantics middlewares send themselves.

They have the shape of every other API error (``api/problems.py``): Vietnamese and English
title and detail, the request's instance and id, and the header or parameter at fault.
The middlewares answer before any handler runs, so the request they answer is remembered
here (``remember_request``) when each of them is entered.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import msgspec
from litestar import Request
from litestar.types import Scope, Send

from nguon.api.problems import (
    INVALID_VALUE,
    PROBLEM_TYPES,
    FieldProblem,
    Problem,
    ProblemType,
    register,
    type_uri,
)

PROBLEM_MEDIA_TYPE = "application/problem+json"

IDEMPOTENCY_KEY_REUSED = register(
    ProblemType(
        code="idempotency_key_reused",
        status=422,
        title="Khóa đã dùng cho yêu cầu khác",
        title_en="Idempotency-Key reused",
        description_vi="Khóa `Idempotency-Key` đã được dùng cho một yêu cầu khác (địa chỉ hoặc "
        "nội dung khác): hãy dùng khóa mới.",
        description="The `Idempotency-Key` was used for a different request (another path or "
        "body): use a new key.",
    )
)
IDEMPOTENCY_KEY_IN_FLIGHT = register(
    ProblemType(
        code="idempotency_key_in_flight",
        status=409,
        title="Yêu cầu trước với khóa này đang xử lý",
        title_en="A request with this key is in progress",
        description_vi="Yêu cầu đầu tiên mang khóa `Idempotency-Key` này chưa xong: thử lại sau "
        "giây lát (`Retry-After`).",
        description="The first request with this `Idempotency-Key` is still being handled: retry "
        "after `Retry-After` seconds.",
    )
)
_BY_STATUS = {400: "invalid_input", 412: "precondition_failed", 428: "precondition_required"}

_request: ContextVar[Scope | None] = ContextVar("nguon_http_problem_scope", default=None)


class HttpProblem(msgspec.Struct, kw_only=True, frozen=True):
    """Why a middleware refuses a request, before it is answered as a Problem."""

    status: int
    code: str
    detail: str
    detail_en: str
    header: str | None = None
    current_version: int | None = None


def _halves(text: str) -> tuple[str, str]:
    vietnamese, _, english = text.rpartition(" / ")
    return (vietnamese, english) if vietnamese else (text, text)


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    field: str | None = None,
    current_version: int | None = None,
) -> HttpProblem:
    """``detail`` is "Vietnamese / English"; ``code`` names the refusal (a registered
    problem type, or one of the status's general type)."""
    vietnamese, english = _halves(detail)
    kind = code.replace("-", "_")
    return HttpProblem(
        status=status,
        code=kind if kind in PROBLEM_TYPES else _BY_STATUS[status],
        detail=vietnamese,
        detail_en=english,
        header=field,
        current_version=current_version,
    )


def remember_request(scope: Scope) -> None:
    """The request a middleware may answer with a problem (call on entering it)."""
    _request.set(scope)


async def send_problem(
    send: Send, refusal: HttpProblem, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    scope = _request.get()
    assert scope is not None, "remember_request(scope) when the middleware is entered"
    request: Request[Any, Any, Any] = Request(scope)
    kind = PROBLEM_TYPES[refusal.code]
    errors = []
    if refusal.header is not None:
        errors.append(
            FieldProblem(
                field=refusal.header,
                parameter=refusal.header,
                code=INVALID_VALUE if refusal.status == 400 else refusal.code,
                detail=refusal.detail,
                detail_en=refusal.detail_en,
            )
        )
    body = Problem(
        type=type_uri(str(request.base_url), kind.code),
        title=kind.title,
        title_en=kind.title_en,
        status=refusal.status,
        detail=refusal.detail,
        detail_en=refusal.detail_en,
        instance=request.url.path,
        code=kind.code,
        request_id=getattr(request.state, "request_id", None),
        errors=errors,
        current_version=refusal.current_version,
    )
    content = msgspec.json.encode(body)
    await send(
        {
            "type": "http.response.start",
            "status": refusal.status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(content)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content, "more_body": False})
