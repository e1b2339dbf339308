"""The client's address and scheme behind a reverse proxy the operator trusts.

``X-Forwarded-For`` and ``X-Forwarded-Proto`` are honoured only when the peer is one of
``NGUON_TRUSTED_PROXIES`` (addresses or networks); from anyone else they are ignored, so a
client cannot choose the address its sign-in failures are counted against. Uvicorn's
proxy-headers middleware does the parsing (right to left, skipping trusted hops).
"""

from __future__ import annotations

from litestar.middleware import DefineMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware


def trusted_proxy_middleware(trusted: tuple[str, ...]) -> list[DefineMiddleware]:
    """The middleware to put first, or none when no proxy is trusted."""
    if not trusted:
        return []
    return [DefineMiddleware(ProxyHeadersMiddleware, trusted_hosts=list(trusted))]
