"""Portal sessions: server-side, and stored only once someone has signed in.

Litestar's session middleware stores whatever session a response carries, even an
empty one; marking an empty session as absent keeps anonymous visitors from filling
the store.
"""

from __future__ import annotations

from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.empty import Empty

from nguon.api.router import CSRF_EXEMPT_PATTERN

SESSION_COOKIE = "nguon_session"
SESSION_MAX_AGE = 8 * 60 * 60


def session_config(secure: bool) -> ServerSideSessionConfig:
    return ServerSideSessionConfig(
        key=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=secure,
        # The JSON API authenticates with bearer tokens only.
        exclude=[CSRF_EXEMPT_PATTERN],
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
