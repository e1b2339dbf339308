"""Rendered HTML kept by content: the same rows, user and request give the same page.

A key is a digest of everything a rendering depends on: the reader, the request, and
either a digest of the rows the page shows (list pages) or the database's write position
(any page: every commit that changes data moves it). So an entry never goes stale: when
a row changes, its key changes, and the old entry is simply never asked for again and
leaves, least recently used first, a bounded per-process cache. The CSRF field is the only
per-session part of a page; it is rendered as a marker and filled in on each reply.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response
from litestar.enums import MediaType
from litestar.utils.scope.state import ScopeState

from nguon.accounts.permissions import Access
from nguon.kept import BoundedCache, SingleFlight, content_key
from nguon.pipeline.list_read import on_postgres, write_position

CSRF_MARK = "<nguon-csrf-input>"
"""Where a cached page's CSRF field goes; escaped user text cannot contain "<"."""


def reader_key(access: Access) -> tuple[Any, ...]:
    """What a page shows of, or decides by, the signed-in user."""
    return (access.tenant_id, access.user_id, access.username, access.full_name, access.grants)


def pages(request: Request[Any, Any, Any]) -> BoundedCache[str]:
    return request.app.state.rendered_pages


def flights(request: Request[Any, Any, Any]) -> SingleFlight:
    return request.app.state.rendering


def csrf_input(request: Request[Any, Any, Any]) -> str:
    """The hidden CSRF field of this session, as Litestar's templates write it."""
    token = ScopeState.from_scope(request.scope).csrf_token or ""
    return f'<input type="hidden" name="_csrf_token" value="{html.escape(token)}" />'


def render_marked(request: Request[Any, Any, Any], template: str, context: dict[str, Any]) -> str:
    """The page with ``CSRF_MARK`` where its CSRF field goes."""
    engine = request.app.template_engine.engine  # type: ignore[union-attr]
    return engine.get_template(template).render(**context, request=request, csrf_input=CSRF_MARK)


def keeping(request: Request[Any, Any, Any]) -> bool:
    """Whether pages are kept here: on Postgres, with room for them."""
    return pages(request).size > 0 and on_postgres()


async def kept_until_written(
    request: Request[Any, Any, Any], key: tuple[Any, ...], page: Callable[[], Awaitable[str]]
) -> Response[str]:
    """The page for ``key`` (its template and whatever besides the database it depends on,
    the reader included), kept under the database's write position read first: served as
    kept while nothing has been committed since, made by ``page()`` (its CSRF field marked)
    otherwise. Requests arriving together for a page not kept wait for one of them."""
    cache = pages(request)
    quiet = content_key(key, "written up to", await write_position())
    async with flights(request).after_others(quiet):
        found = cache.get(quiet)
        if found is None:
            found = await page()
            cache.put(quiet, found)
    return html_reply(request, found)


def html_reply(request: Request[Any, Any, Any], marked: str) -> Response[str]:
    return Response(
        content=marked.replace(CSRF_MARK, csrf_input(request)), media_type=MediaType.HTML
    )
