"""Resolve ``/t/{tenant}/`` to a tenant and run the rest of the request inside it.

A route-level middleware (it runs after routing, so the path parameter is parsed) sets
the ``current_tenant_id`` ContextVar before any dependency or handler runs; everything
awaited below it — including Postgres connections taken from the pool, which copy the
setting into ``nguon.tenant_id`` for Row-Level Security — sees the tenant.
"""

from __future__ import annotations

import datetime as dt
import time

import msgspec
from litestar.exceptions import NotFoundException
from litestar.types import ASGIApp, Receive, Scope, Send

from nguon.tenancy.context import tenant_context
from nguon.tenancy.tables import Tenant

CACHE_SECONDS = 60.0
SCOPE_KEY = "nguon_tenant"
TENANT_PATH_PREFIX = "/t/"


class TenantRef(msgspec.Struct, frozen=True):
    id: int
    slug: str
    name: str
    rules_package: str = ""
    merged_into: str | None = None
    """Set once the tenant was merged into another: its slug answers with where to go."""
    merged_on: dt.date | None = None


class TenantMerged(Exception):
    """A request for a tenant that was merged into another: answered 410 with where to go
    (``into``: the open tenant it now lives in, following later merges too)."""

    def __init__(self, tenant: TenantRef, into: TenantRef) -> None:
        super().__init__(f"tenant {tenant.slug} was merged into {into.slug}")
        self.tenant = tenant
        self.into = into


class TenantCache:
    """Slug → tenant, kept a minute; unknown slugs are never cached."""

    def __init__(self, ttl: float = CACHE_SECONDS) -> None:
        self._ttl = ttl
        self._entries: dict[str, tuple[float, TenantRef]] = {}

    async def resolve(self, slug: str) -> TenantRef | None:
        now = time.monotonic()
        cached = self._entries.get(slug)
        if cached is not None and cached[0] > now:
            return cached[1]
        row = (
            await Tenant.select(
                Tenant.id,
                Tenant.slug,
                Tenant.name,
                Tenant.rules_package,
                Tenant.merged_into,
                Tenant.merged_on,
            )
            .where(Tenant.slug == slug)
            .first()
            .run()
        )
        if row is None:
            self._entries.pop(slug, None)
            return None
        ref = TenantRef(**row)
        self._entries[slug] = (now + self._ttl, ref)
        return ref


class TenantMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        slug = scope.get("path_params", {}).get("tenant", "")
        cache: TenantCache = scope["litestar_app"].state.tenant_cache
        tenant = await cache.resolve(slug) if slug else None
        if tenant is None:
            raise NotFoundException("Không tìm thấy đơn vị sử dụng / Unknown tenant")
        if tenant.merged_into is not None:
            raise TenantMerged(tenant, await _open_successor(cache, tenant))
        scope.setdefault("state", {})[SCOPE_KEY] = tenant
        with tenant_context(tenant.id):
            await self.app(scope, receive, send)


MAX_MERGE_HOPS = 8


async def _open_successor(cache: TenantCache, tenant: TenantRef) -> TenantRef:
    """The tenant a merged one lives in now (a merged tenant's target may be merged too)."""
    current = tenant
    for _ in range(MAX_MERGE_HOPS):
        if current.merged_into is None:
            return current
        successor = await cache.resolve(current.merged_into)
        if successor is None:
            break
        current = successor
    raise NotFoundException("Không tìm thấy đơn vị sử dụng / Unknown tenant")


class TenantFromPathMiddleware:
    """App-level, before the session middleware: a request under ``/t/{slug}/`` runs all
    its queries — the session store's too — as that tenant, so a pooled connection keeps
    one tenant setting through the request instead of switching back and forth.

    It only sets the tenant of a known slug; ``TenantMiddleware`` still decides (404).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] in ("http", "websocket") else ""
        if path.startswith(TENANT_PATH_PREFIX):
            slug = path[len(TENANT_PATH_PREFIX) :].partition("/")[0]
            cache: TenantCache = scope["litestar_app"].state.tenant_cache
            tenant = await cache.resolve(slug) if slug else None
            if tenant is not None:
                with tenant_context(tenant.id):
                    await self.app(scope, receive, send)
                return
        await self.app(scope, receive, send)


def tenant_of(scope: Scope) -> TenantRef:
    return scope["state"][SCOPE_KEY]
