"""Session fixation defence: at sign-in the session moves to a fresh id."""

from __future__ import annotations

from litestar.connection import ASGIConnection

ROTATE_SESSION = "nguon_rotate_session"


def rotate_session_id(connection: ASGIConnection) -> None:
    """Store this response's session under a new id and forget the one the browser brought."""
    connection.scope[ROTATE_SESSION] = True  # type: ignore[literal-required]
