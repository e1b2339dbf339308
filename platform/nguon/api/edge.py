"""Input limits at the edge, before any handler runs, on every route alike.

- Integer path and query parameters must fit a 32-bit signed integer (every id column and
  every page number does): past it, 400 naming the parameter, never a database overflow.
- No string — path, query, form or JSON, keys and values — may hold NUL, other control
  characters (tab, line feed and carriage return excepted) or bidirectional overrides that
  make text display other than it is stored: 400 naming the field.
- Bodies: at most ``MAX_BODY`` bytes, ``MAX_UPLOAD`` for file uploads (413); JSON nested at
  most ``MAX_DEPTH`` deep (400); a handler that takes JSON takes it only as
  ``application/json`` (415).

The body is read once here and handed on unchanged.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar.enums import ParamType, RequestEncodingType
from litestar.exceptions import HTTPException, ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.params import ParameterKwarg
from litestar.status_codes import (
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE,
)
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from nguon.api.field_problems import problems_in
from nguon.text import ascii_digits

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
MAX_BODY = 1_048_576
MAX_UPLOAD = 10 * MAX_BODY
"""File uploads (``multipart/form-data``: unit and member imports) may be larger."""
SHEET_UPLOAD = "sheet_upload"
"""The ``opt`` key of an operation whose body is a sheet in the ``file`` field of a
``multipart/form-data`` form (anything else is 415; the handler reads the form itself)."""
MAX_DEPTH = 32
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Expected(msgspec.Struct, frozen=True):
    """What one handler takes: its integer query parameters and its body's encoding."""

    int_queries: frozenset[str]
    body: str | None  # "json", "form" or None (no body, or one this module leaves alone)


@cache
def expected(handler: HTTPRouteHandler) -> Expected:
    int_queries = set()
    body: str | None = None
    in_path = {name for path in handler.paths for name in re.findall(r"\{(\w+):", path)}
    for name, field in handler.parsed_fn_signature.parameters.items():
        kwarg = field.kwarg_definition
        if name == "data":
            media = getattr(kwarg, "media_type", None)
            if media in (None, RequestEncodingType.JSON):
                body = "json"
            elif media == RequestEncodingType.URL_ENCODED:
                body = "form"
            continue
        is_int = field.is_subclass_of(int) or any(t.is_subclass_of(int) for t in field.inner_types)
        if not is_int or name in in_path:
            continue
        if isinstance(kwarg, ParameterKwarg):
            if kwarg.param_type == ParamType.QUERY:
                int_queries.add(kwarg.name or name)
        elif kwarg is None:
            int_queries.add(name)
    if handler.opt.get(SHEET_UPLOAD):
        body = "sheet"
    return Expected(int_queries=frozenset(int_queries), body=body)


def _refuse(field: str, message: str, code: str, source: str) -> ValidationException:
    """``code``: the field problem's code (``nguon.api.problems``); ``source``: "body",
    "query" or "path"."""
    return ValidationException(
        detail=f"{field}: {message}",
        extra=[{"key": field, "message": message, "code": code, "source": source}],
    )


def _control_character(field: str, value: str, source: str) -> ValidationException | None:
    bad = FORBIDDEN.search(value)
    if bad is None:
        return None
    return _refuse(
        field,
        f"ký tự điều khiển U+{ord(bad.group()):04X} không được phép / "
        f"control character U+{ord(bad.group()):04X} is not allowed",
        "control_character",
        source,
    )


def _outside_int32(field: str, value: int, source: str) -> ValidationException | None:
    if INT32_MIN <= value <= INT32_MAX:
        return None
    return _refuse(
        field,
        f"số phải trong khoảng {INT32_MIN}..{INT32_MAX} / "
        f"must be between {INT32_MIN} and {INT32_MAX}",
        "out_of_range",
        source,
    )


def _clean(field: str, value: str, source: str) -> None:
    if refused := _control_character(field, value, source):
        raise refused


def _in_int32(field: str, value: int, source: str) -> None:
    if refused := _outside_int32(field, value, source):
        raise refused


def _depth(body: bytes) -> int:
    """How deep the JSON nests, ignoring brackets inside strings."""
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        return 0
    text = re.sub(rb'"(?:[^"\\]|\\.)*"', b"", body)
    depth = deepest = 0
    for byte in text:
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
    return deepest


def _walk(value: Any, path: str, found: list[ValidationException]) -> None:
    """Every string holding a forbidden character and every integer past 32 bits."""
    refused = None
    if isinstance(value, str):
        refused = _control_character(path or "body", value, "body")
    elif isinstance(value, int) and not isinstance(value, bool):
        # Ids and counts are 32-bit integers in the database: a larger one is refused
        # here, naming its field, before any query is made with it.
        refused = _outside_int32(path or "body", value, "body")
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if bad_key := _control_character(name, str(key), "body"):
                found.append(bad_key)
            _walk(item, name, found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, f"{path}[{index}]", found)
    if refused is not None:
        found.append(refused)


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _named_keys(value: Any) -> bool:
    """Whether every key of ``value``, at every depth, is a plain field name."""
    if isinstance(value, dict):
        return all(
            isinstance(k, str) and _NAME.fullmatch(k) and _named_keys(v) for k, v in value.items()
        )
    if isinstance(value, list):
        return all(_named_keys(item) for item in value)
    return True


def _refuse_all(
    found: list[ValidationException], decoded: Any, handler: HTTPRouteHandler | None
) -> ValidationException:
    """One answer naming every refused value and, besides them, every other problem the
    body has for the handler (a missing field, a wrong type): nothing hidden behind the first."""
    entries = [entry for refused in found for entry in refused.extra or []]  # type: ignore[union-attr]
    named = {entry["key"] for entry in entries}
    data = handler.parsed_fn_signature.parameters.get("data") if handler else None
    # Every other problem is named only in a body whose keys are names: with a key like ""
    # or "`ï" the problems could not be said, so the refused values alone are.
    bad_keys = any(FORBIDDEN.search(key) for key in named) or not _named_keys(decoded)
    if data is not None and isinstance(decoded, dict) and not bad_keys:
        for problem in problems_in(decoded, data.annotation):
            if problem.field not in named and not FORBIDDEN.search(problem.detail_en):
                entries.append(
                    {
                        "key": problem.field,
                        "code": problem.code,
                        "source": "body",
                        "problem": problem,
                    }
                )
    return ValidationException(detail=found[0].detail, extra=entries)


def _content_type(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.decode("latin-1").split(";", 1)[0].strip().lower()
    return ""


def check_parameters(scope: Scope, wanted: Expected) -> None:
    for name, value in scope.get("path_params", {}).items():
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            _in_int32(name, value, "path")
        elif isinstance(value, str):
            _clean(name, value, "path")
    query = scope.get("query_string", b"").decode("utf-8", "replace")
    for name, value in parse_qsl(query, keep_blank_values=True):
        _clean(name, name, "query")
        _clean(name, value, "query")
        if name in wanted.int_queries and re.fullmatch(r"\s*[+-]?\d+\s*", value):
            _in_int32(name, int(value), "query")


def _limit(scope: Scope) -> int:
    """A JSON body's limit, or a file upload's: ``MAX_UPLOAD``, or what its route declares
    (``request_max_body_size``: the sheet imports take a province's file, 50 MB)."""
    if _content_type(scope) != "multipart/form-data":
        return MAX_BODY
    handler = scope.get("route_handler")
    declared = getattr(handler, "request_max_body_size", None)
    return declared if isinstance(declared, int) and declared > MAX_UPLOAD else MAX_UPLOAD


def check_body(
    body: bytes, scope: Scope, wanted: Expected, handler: HTTPRouteHandler | None = None
) -> None:
    if len(body) > _limit(scope):
        raise _too_large(_limit(scope))
    if not body:
        return
    media = _content_type(scope)
    is_json = media == "application/json" or media.endswith("+json")
    if wanted.body == "sheet" and media != "multipart/form-data":
        raise HTTPException(
            status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            detail=(
                "Nội dung phải là multipart/form-data, tệp trong trường file"
                " / The body must be multipart/form-data with the sheet as file"
            ),
        )
    if wanted.body == "json" and not is_json:
        raise HTTPException(
            status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            detail="Nội dung phải là application/json / The body must be application/json",
        )
    if is_json:
        if _depth(body) > MAX_DEPTH:
            raise _refuse(
                "body",
                f"JSON lồng quá {MAX_DEPTH} cấp / JSON nested deeper than {MAX_DEPTH} levels",
                "too_deep",
                "body",
            )
        try:
            decoded = msgspec.json.decode(body)
        except msgspec.DecodeError:
            return  # the handler's own decoding names what is wrong
        found: list[ValidationException] = []
        _walk(decoded, "", found)
        if found:
            raise _refuse_all(found, decoded, handler)
    elif media == "application/x-www-form-urlencoded":
        for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            _clean(name, name, "body")
            _clean(name, value, "body")


def _too_large(limit: int) -> HTTPException:
    return HTTPException(
        status_code=HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        detail=f"Nội dung quá lớn (tối đa {limit} byte) / Body larger than {limit} bytes",
    )


async def _read_body(scope: Scope, receive: Receive) -> bytes:
    limit = _limit(scope)
    for name, value in scope["headers"]:
        if name == b"content-length" and ascii_digits(value) and int(value) > limit:
            raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


class EdgeLimits(ASGIMiddleware):
    """Applies the limits above to every matched route."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope["type"] != "http":
            await next_app(scope, receive, send)
            return
        handler = scope.get("route_handler")
        wanted = (
            expected(handler)
            if isinstance(handler, HTTPRouteHandler)
            else Expected(frozenset(), None)
        )
        check_parameters(scope, wanted)
        if scope["method"] not in _BODY_METHODS:
            await next_app(scope, receive, send)
            return
        body = await _read_body(scope, receive)
        check_body(body, scope, wanted, handler if isinstance(handler, HTTPRouteHandler) else None)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await next_app(scope, replay, send)
