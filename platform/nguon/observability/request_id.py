"""Request ids: one per request, in the response header, in ``request.state.request_id``,
in every log line written while the request is handled, and on the portal's error pages.

An ``X-Request-ID`` sent by a trusted reverse proxy (``NGUON_TRUSTED_PROXIES``) is kept, so
the proxy's log and ours share it; from any other peer it is ignored and a new id is made.
The id also goes in the access log line (``nguon.access``) with the route template.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"
current_request_id: ContextVar[str | None] = ContextVar("nguon_request_id", default=None)

_ACCEPTED = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
access_logger = logging.getLogger("nguon.access")


def new_request_id() -> str:
    return uuid.uuid4().hex


def install_log_record_factory() -> None:
    """Every log record made while a request is handled gets ``request_id``.

    A record factory rather than a handler filter: records are tagged in the thread that
    logs them, before a queue handler passes them to the thread that writes them.
    """
    previous = logging.getLogRecordFactory()
    if getattr(previous, "nguon_request_id", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        request_id = current_request_id.get()
        if request_id is not None:
            record.request_id = request_id
        return record

    factory.nguon_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class RequestIdFilter(logging.Filter):
    """For handlers configured outside the app: adds ``request_id`` when one is current."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = current_request_id.get()
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        return True


class RequestIds:
    """ASGI wrapper around the whole app (unmatched routes included)."""

    def __init__(self, app: ASGIApp, trusted_proxies: tuple[str, ...], access_log: bool) -> None:
        self.app = app
        self.trusted = tuple(ipaddress.ip_network(entry, strict=False) for entry in trusted_proxies)
        self.access_log = access_log

    def _from_trusted_peer(self, scope: Scope) -> bool:
        client = scope.get("client")
        if not client or not self.trusted:
            return False
        try:
            peer = ipaddress.ip_address(client[0])
        except ValueError:
            return False
        return any(peer in network for network in self.trusted)

    def _request_id(self, scope: Scope) -> str:
        if self._from_trusted_peer(scope):
            for name, value in scope.get("headers", ()):
                if name == b"x-request-id":
                    candidate = value.decode("latin-1").strip()
                    if _ACCEPTED.match(candidate):
                        return candidate
        return new_request_id()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self._request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id  # type: ignore[typeddict-unknown-key]
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    (name, value)
                    for name, value in message.get("headers", ())
                    if name.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.access_log:
                access_logger.info(
                    "request",
                    extra={
                        "method": scope.get("method"),
                        "path": scope.get("path"),
                        "route": scope.get("path_template") or None,
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )
            current_request_id.reset(token)
