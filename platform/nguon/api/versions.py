"""The two API versions on one set of handlers.

``/api/v2`` translates each request into the stored vocabulary before the handler sees it
and each JSON answer into the glossary's after (``nguon.api.vocabulary``); ``/api/v1``
answers the stored names unchanged, with ``Deprecation``, ``Sunset`` and a ``Link`` to the
same resource in v2 (RFC 9745, RFC 8594), until its sunset.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode

import msgspec
from litestar import Request
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from nguon.api.vocabulary import (
    from_v1_request,
    from_v2_query,
    from_v2_request,
    needs_v2,
    openapi_v2,
    to_v2,
)

V1 = "/api/v1"
V2 = "/api/v2"
V1_DEPRECATED_ON = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)
V1_SUNSET = dt.datetime(2027, 6, 30, tzinfo=dt.UTC)
JSON_TYPES = (b"application/json", b"application/problem+json")


def _below_version(path: str, prefix: str) -> str:
    """The part of ``/t/x/api/vN/lists/3`` after the version prefix: ``/lists/3``."""
    return path.split(prefix, 1)[1] if prefix in path else path


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes:
    return next((v for k, v in headers if k.lower() == name), b"")


class V1Deprecation:
    """Every v1 answer says v1 is deprecated, when it ends, and where its successor is."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        successor = scope["path"].replace(V1, V2, 1)
        extra = [
            (b"deprecation", f"@{int(V1_DEPRECATED_ON.timestamp())}".encode()),
            (b"sunset", email.utils.format_datetime(V1_SUNSET, usegmt=True).encode()),
            (b"link", f'<{successor}>; rel="successor-version"'.encode()),
        ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        if scope["method"] == "PUT" and "/plans/" in scope["path"]:
            receive = await translated_body(scope, receive, V1, from_v1_request)
        await self.app(scope, receive, send_with_headers)


async def translated_body(
    scope: Scope, receive: Receive, prefix: str, translate: Callable[[Any, str, str], Any]
) -> Receive:
    """The request's JSON body passed through ``translate(body, method, path below prefix)``."""
    content_type = _header(list(scope.get("headers", [])), b"content-type")
    if scope["method"] not in {"POST", "PUT", "PATCH"} or b"json" not in content_type:
        return receive
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return _replay([message])
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    try:
        decoded = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return _replay([{"type": "http.request", "body": body, "more_body": False}])
    path = _below_version(scope["path"], prefix)
    stored = msgspec.json.encode(translate(decoded, scope["method"], path))
    return _replay([{"type": "http.request", "body": stored, "more_body": False}])


class V2Vocabulary:
    """Requests into the stored vocabulary, JSON answers into the glossary's."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope = self._translated_query(scope)
        receive = await translated_body(scope, receive, V2, from_v2_request)
        await self.app(scope, receive, _TranslatingSend(send))

    @staticmethod
    def _translated_query(scope: Scope) -> Scope:
        query = scope.get("query_string", b"")
        if not query:
            return scope
        params = parse_qs(query.decode("latin-1"), keep_blank_values=True)
        stored = urlencode(from_v2_query(params), doseq=True).encode("latin-1")
        return {**scope, "query_string": stored}  # type: ignore[return-value]


def _replay(messages: list[Message]) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        return {"type": "http.disconnect"}

    return receive  # type: ignore[return-value]


class _TranslatingSend:
    """Holds back a JSON answer until its body is complete, then rewrites it."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.start: Message | None = None
        self.chunks: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            if _header(headers, b"content-type").split(b";")[0].strip() in JSON_TYPES:
                self.start = message
                return
        elif message["type"] == "http.response.body" and self.start is not None:
            self.chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await self._flush()
            return
        await self.send(message)

    async def _flush(self) -> None:
        assert self.start is not None
        body = b"".join(self.chunks)
        if needs_v2(body):
            with contextlib.suppress(msgspec.DecodeError):
                body = msgspec.json.encode(to_v2(msgspec.json.decode(body)))
        headers = [
            (k, str(len(body)).encode() if k.lower() == b"content-length" else v)
            for k, v in self.start.get("headers", [])
        ]
        await self.send({**self.start, "headers": headers})
        await self.send({"type": "http.response.body", "body": body, "more_body": False})


class V2OpenAPIJson(JsonRenderPlugin):
    """``/schema/openapi.json`` in the v2 vocabulary (v1 is left out of the document)."""

    def __init__(self) -> None:
        super().__init__()
        self._rendered: tuple[int, dict[str, Any]] | None = None

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        if self._rendered is None or self._rendered[0] != id(openapi_schema):
            self._rendered = (id(openapi_schema), openapi_v2(openapi_schema))
        return self.render_json(request, self._rendered[1])
