"""A CSRF cookie the current secret key did not sign is dropped when a page is read, so
the page and the browser get a fresh one.

Litestar keeps using whatever CSRF cookie the browser brings; after the secret key was
rotated, every form of a browser holding an old cookie would be refused until it closed.
Only safe methods are touched: a form posted with an old token is still refused.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from secrets import compare_digest

from litestar.middleware.csrf import CSRF_SECRET_LENGTH, generate_csrf_hash
from litestar.types import ASGIApp, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def signed_with(token: str, secret: str) -> bool:
    if len(token) <= CSRF_SECRET_LENGTH:
        return False
    expected = generate_csrf_hash(token=token[:CSRF_SECRET_LENGTH], secret=secret)
    return compare_digest(token[CSRF_SECRET_LENGTH:], expected)


class StaleCsrfCookie:
    def __init__(self, app: ASGIApp, cookie_name: str, secret: str) -> None:
        self.app = app
        self.cookie_name = cookie_name
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in SAFE_METHODS:
            scope["headers"] = [
                (name, self._without_stale(value) if name == b"cookie" else value)
                for name, value in scope["headers"]
            ]
        await self.app(scope, receive, send)

    def _without_stale(self, header: bytes) -> bytes:
        text = header.decode("latin-1")
        if f"{self.cookie_name}=" not in text:
            return header
        cookies = SimpleCookie()
        try:
            cookies.load(text)
        except CookieError:  # an unparsable Cookie header is left to Litestar
            return header
        morsel = cookies.get(self.cookie_name)
        if morsel is None or signed_with(morsel.value, self.secret):
            return header
        kept = [
            part for part in text.split(";") if part.strip().partition("=")[0] != self.cookie_name
        ]
        return ";".join(kept).strip().encode("latin-1")
