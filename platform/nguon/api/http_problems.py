"""The problem answers (RFC 9457) that the HTTP-semantics middlewares send themselves.

They also keep the fields of the API's other error bodies (``status_code``, ``errors``)
so a client reading either shape understands them.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.types import Send

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://nguon.vn/problems/"


class FieldProblem(msgspec.Struct, kw_only=True):
    field: str
    message: str


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    type: str
    title: str
    status: int
    detail: str
    code: str
    status_code: int
    errors: list[FieldProblem] = []
    current_version: int | None = None
    """On a 412: the resource's version now, to read again before retrying."""


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    field: str | None = None,
    **extra: Any,
) -> Problem:
    errors = [FieldProblem(field=field, message=detail)] if field else []
    return Problem(
        type=PROBLEM_BASE + code,
        title=title,
        status=status,
        detail=detail,
        code=code,
        status_code=status,
        errors=errors,
        **extra,
    )


async def send_problem(
    send: Send, body: Problem, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    content = msgspec.json.encode(body)
    await send(
        {
            "type": "http.response.start",
            "status": body.status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(content)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content, "more_body": False})
