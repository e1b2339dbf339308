"""Portal sessions: server-side, and stored only once someone has signed in.

A request without a session cookie never reaches the session store: the login page and
``/health`` answer while Redis is down.

Litestar's session middleware stores whatever session a response carries, even an
empty one; marking an empty session as absent keeps anonymous visitors from filling
the store.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.empty import Empty

from nguon.api.router import CSRF_EXEMPT_PATTERN
from nguon.api.session_rotation import ROTATE_SESSION

SESSION_COOKIE = "nguon_session"
SESSION_MAX_AGE = 8 * 60 * 60


RENEWED_KEY = "_renewed"
"""When the stored session's expiry was last pushed forward (seconds since the epoch)."""
RENEW_EVERY = 5 * 60
"""An unchanged session is written back, and its cookie sent again with a new expiry, at
most this often: not on every page view."""
_LOADED = "nguon_session_loaded"


def _payload(session: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in session.items() if key != RENEWED_KEY}


class RotatingSessionBackend(ServerSideSessionBackend):
    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        if connection.cookies.get(self.config.key) == "null":
            data: dict[str, Any] = {}  # the cleared cookie of an earlier sign-out
        else:
            data = await super().load_from_connection(connection)
        connection.scope[_LOADED] = dict(data)  # type: ignore[literal-required]
        return data

    def _unchanged_and_fresh(self, scope_session: Any, connection: ASGIConnection) -> bool:
        loaded = connection.scope.get(_LOADED)  # type: ignore[misc]
        if connection.scope.get(ROTATE_SESSION):  # type: ignore[misc]
            return False
        if not loaded or not isinstance(scope_session, dict):
            return False
        renewed = loaded.get(RENEWED_KEY)
        return (
            isinstance(renewed, int | float)
            and 0 <= time.time() - renewed < RENEW_EVERY
            and _payload(scope_session) == _payload(loaded)
        )

    def get_session_id(self, connection: ASGIConnection) -> str:
        scope = connection.scope
        if scope.get(ROTATE_SESSION):  # type: ignore[misc]
            fresh = scope.get("nguon_fresh_session_id")  # type: ignore[misc]
            if fresh is None:
                fresh = self.generate_session_id()
                scope["nguon_fresh_session_id"] = fresh  # type: ignore[typeddict-unknown-key]
            return fresh
        return super().get_session_id(connection)

    async def store_in_message(
        self, scope_session: Any, message: Message, connection: ASGIConnection
    ) -> None:
        if scope_session is Empty and connection.cookies.get(self.config.key) in {None, "", "null"}:
            # An anonymous visitor without a session: nothing to delete, no cookie to clear,
            # and the session store (Redis) is not touched at all.
            return
        if self._unchanged_and_fresh(scope_session, connection):
            # Stored and sent a few minutes ago with the same expiry: nothing to renew.
            return
        if isinstance(scope_session, dict) and scope_session:
            scope_session[RENEWED_KEY] = int(time.time())
        previous = connection.cookies.get(self.config.key)
        if connection.scope.get(ROTATE_SESSION) and previous:  # type: ignore[misc]
            await self.delete(previous, store=self.config.get_store_from_app(connection.app))
        await super().store_in_message(scope_session, message, connection)


@dataclass
class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend


def session_config(secure: bool) -> ServerSideSessionConfig:
    return RotatingSessionConfig(
        key=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=secure,
        # The JSON API authenticates with bearer tokens only; /health and the static files
        # need no session, and answer while the session store is down.
        exclude=[CSRF_EXEMPT_PATTERN, "^/health$", "^/static/"],
    )


class DropEmptySessionMiddleware:
    """Placed inside the session middleware: an empty session is not stored."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start" and scope.get("session") == {}:
                scope["session"] = Empty  # type: ignore[typeddict-item]
            await send(message)

        await self.app(scope, receive, send_wrapper)
