"""Security headers on every response, set in one place.

- ``Content-Security-Policy``: only this origin's scripts, styles and images; the few inline
  scripts of the portal's templates are allowed by their hashes (computed from the
  templates at start-up, so editing one cannot silently break it), nothing else inline;
  no framing (``frame-ancestors 'none'``, and ``X-Frame-Options`` for old browsers).
- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin``.
- ``Strict-Transport-Security`` only over TLS (the request's scheme, which a trusted proxy
  may set with ``X-Forwarded-Proto``): over plain http it would be ignored or, on a
  developer's localhost, harmful.
- ``Cache-Control: no-store`` on everything but static files: pages and API answers carry
  personal data, and a shared computer's browser must not keep them.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from litestar.types import Message, Scope

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(?P<body>.*?)</script>", re.DOTALL)
HSTS = "max-age=31536000; includeSubDomains"
STATIC_PREFIXES = ("/static/",)


def inline_script_hashes(templates: Path) -> list[str]:
    """CSP sources for every inline script written literally in the templates."""
    found = set()
    for template in sorted(templates.rglob("*.html")):
        for match in _INLINE_SCRIPT.finditer(template.read_text(encoding="utf-8")):
            digest = hashlib.sha256(match.group("body").encode()).digest()
            found.add(f"'sha256-{base64.b64encode(digest).decode()}'")
    return sorted(found)


def content_security_policy(script_hashes: list[str]) -> str:
    scripts = " ".join(["'self'", *script_hashes])
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


class SecurityHeaders:
    """A ``before_send`` hook: Litestar calls it for every response, the router's own 404s
    and 405s included (middleware would run only for matched routes)."""

    def __init__(self, templates: Path) -> None:
        policy = content_security_policy(inline_script_hashes(templates))
        self.common: list[tuple[bytes, bytes]] = [
            (b"content-security-policy", policy.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]

    async def __call__(self, message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = list(message.get("headers", []))
        present = {name.lower() for name, _ in headers}
        headers.extend((n, v) for n, v in self.common if n not in present)
        if scope.get("scheme") == "https" and b"strict-transport-security" not in present:
            headers.append((b"strict-transport-security", HSTS.encode()))
        static = scope["path"].startswith(STATIC_PREFIXES)
        if not static and b"cache-control" not in present:
            headers.append((b"cache-control", b"no-store"))
        message["headers"] = headers
