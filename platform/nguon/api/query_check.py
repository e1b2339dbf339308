"""Every problem of a v2 request's query string in one answer, before anything runs.

A parameter the operation does not take (a typo would otherwise read as "no data"), a v1
value v2 renamed, a value of the wrong type, a wrong ``limit`` or ``cursor``: each is one
entry of the 400's ``errors``, naming its ``parameter``.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar.exceptions import ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.params import ParameterKwarg
from litestar.types import ASGIApp, Receive, Scope, Send

from nguon.api.field_problems import describe, problem
from nguon.api.pagination import checked_page_request, paged_route
from nguon.api.problems import INVALID_CHOICE, UNKNOWN_FIELD, FieldProblem
from nguon.api.versioned import api_template
from nguon.api.vocabulary import REQUEST_VALUE_FIELDS, VALUE_RENAMES, stored_value, v2_text

_NOT_QUERY = frozenset({"data", "request", "state", "scope", "headers", "cookies", "query"})
_PAGE = frozenset({"limit", "cursor"})


@cache
def query_parameters(handler: HTTPRouteHandler) -> dict[str, Any]:
    """The query parameters ``handler`` takes, by name, with their annotations."""
    dependencies = set(handler.resolve_dependencies())
    in_path = {name for path in handler.paths for name in re.findall(r"\{(\w+):", path)}
    found: dict[str, Any] = {}
    for name, field in handler.parsed_fn_signature.parameters.items():
        if name in _NOT_QUERY or name in dependencies or name in in_path:
            continue
        kwarg = field.kwarg_definition
        if isinstance(kwarg, ParameterKwarg):
            if kwarg.header or kwarg.cookie:
                continue
            found[kwarg.query or name] = field.annotation
        elif kwarg is None:
            found[name] = field.annotation
    return found


def _parameter(name: str, code: str, vi: str, en: str) -> dict[str, Any]:
    found: FieldProblem = problem([name], code, vi, en, in_body=False)
    return {"key": name, "source": "query", "code": code, "problem": found}


def _unknown(name: str, allowed: list[str]) -> dict[str, Any]:
    listed = ", ".join(f"`{n}`" for n in allowed) or "không có"
    listed_en = ", ".join(f"`{n}`" for n in allowed) or "none"
    return _parameter(
        name,
        UNKNOWN_FIELD,
        f"Thao tác này không có tham số `{name}` (viết sai tên?); các tham số: {listed}.",
        f"This operation takes no parameter `{name}` (misspelt?); it takes: {listed_en}.",
    )


def _old_value(name: str, value: str) -> dict[str, Any] | None:
    renames = VALUE_RENAMES.get(name, {})
    if value not in renames or value in renames.values():
        return None
    new = renames[value]
    return _parameter(
        name,
        INVALID_CHOICE,
        f"`{name}`: `{value}` là tên cũ của API v1; API v2 dùng `{new}`.",
        f"`{name}`: `{value}` is the v1 name; v2 says `{new}`.",
    )


def _wrong_type(name: str, value: str, annotation: Any) -> dict[str, Any] | None:
    try:
        msgspec.convert(value, annotation, strict=False)
    except msgspec.ValidationError as error:
        # A query string is never null: "an integer or null" would only confuse.
        message = re.sub(r" \| null(?=`)", "", str(error).split(" - at ", 1)[0])
        info = msgspec.inspect.type_info(annotation)
        code, vi, en = describe(message, name, info)
        got = f"'{value}'"
        vi = re.sub(r", không phải [^.;]+\.$", f", không phải {got}.", vi)
        en = re.sub(r", not [^.;]+\.$", f", not {got}.", en)
        return _parameter(name, code, v2_text(vi), v2_text(en))  # raised before v2's mapping
    except (TypeError, ValueError):  # a type msgspec cannot take from a string: the handler judges
        return None
    return None


def query_problems(scope: Scope, handler: HTTPRouteHandler) -> list[dict[str, Any]]:
    taken = query_parameters(handler)
    paged = paged_route(scope["method"], scope.get("path_template", ""))
    allowed = sorted({*taken, *(_PAGE if paged else ())})
    query = scope.get("query_string", b"").decode("utf-8", "replace")
    entries: list[dict[str, Any]] = []
    seen: set[str] = set()
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name in seen:
            continue
        seen.add(name)
        if name in _PAGE and paged:
            continue
        if name not in taken:
            entries.append(_unknown(name, allowed))
            continue
        found = None
        if name in REQUEST_VALUE_FIELDS:
            found = _old_value(name, value)
            value = stored_value(name, value) if found is None else value
        if found is None and value != "":
            found = _wrong_type(name, value, taken[name])
        if found is not None:
            entries.append(found)
    if paged:
        route = api_template(scope["path_template"])
        entries += checked_page_request(scope, paged, route)[1]
    return entries


class QueryCheck:
    """Refuses a v2 request whose query string has any problem, naming all of them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        if scope["type"] == "http" and isinstance(handler, HTTPRouteHandler):
            entries = query_problems(scope, handler)
            if entries:
                raise ValidationException(detail="Invalid query parameters", extra=entries)
        await self.app(scope, receive, send)
