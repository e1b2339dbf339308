"""Cursor pagination with a stable order for every list endpoint of the API.

A page is asked for with ``limit`` (at most ``MAX_LIMIT``) and ``cursor`` (the ``next`` of
the page before). The cursor is opaque to clients: the sort key of the last item it gave,
bound to the route and signed with a key derived from ``NGUON_SECRET_KEY``; a cursor that
was altered, or comes from another route, is a 400 naming ``cursor``. The next page starts
strictly after that key, so rows inserted or removed between two requests never make a page
repeat or skip an item that was there before.

Routes whose collections stay small per caller (units, lists, courses …) are paged here,
over the handler's answer; candidates, members and webhook deliveries, which grow with a
province, are paged in their queries (``paged_in_query``) and only use the cursor codec.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import parse_qsl, urlencode

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException
from litestar.types import ASGIApp, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from nguon.api.asgi_capture import capture
from nguon.api.versioned import api_template
from nguon.errors import InvalidInput
from nguon.text import ascii_digits

MAX_LIMIT = 100
SCOPE_KEY = "nguon_page"
PROBLEMS_KEY = "nguon_page_problems"
"""``limit``/``cursor`` problems (validation entries) waiting to be answered together with
whatever else the handler's parameters hold: the error handler takes them from here."""
NEXT_KEY_HEADER = "x-nguon-next-key"
"""How a handler answering a bare list hands the next page's key (JSON) to the middleware."""
DEFAULT_LIMIT = 100
_SIGNATURE_BYTES = 12


class Paged(msgspec.Struct, frozen=True, kw_only=True):
    key: tuple[str, ...]
    """The item fields whose values order the collection (the last one is unique)."""
    descending: bool = False
    items_at: str | None = "items"
    """Where the items are in the answer; ``None``: the answer is the bare list (its next
    cursor is then only in the ``Link`` header)."""
    in_query: bool = False
    """The service pages in SQL with the codec below; the middleware only adds ``Link``."""


PAGED: dict[str, Paged] = {
    "/units": Paged(key=("path",)),
    "/candidates": Paged(key=("name_search", "id"), in_query=True),
    "/members": Paged(key=("name_search", "id"), in_query=True),
    "/courses": Paged(key=("id",)),
    "/lists": Paged(key=("id",)),
    "/lists/inbox": Paged(key=("id",)),
    "/periods": Paged(key=("opens", "code")),
    "/certificates/expired": Paged(key=("candidate_id",)),
    "/candidates/{candidate_id}/helpers": Paged(key=("id",)),
    "/candidates/{candidate_id}/stages": Paged(key=("id",)),
    "/members/{member_id}/history": Paged(key=("id",)),
    "/admin/plugins": Paged(key=("name",), items_at=None),
    "/admin/webhooks/deliveries": Paged(key=("id",), descending=True, items_at=None, in_query=True),
    "/admin/users": Paged(key=("id",)),
    "/admin/users/sign-ins": Paged(key=("id",), descending=True),
    "/admin/users/{user_id}/sign-ins": Paged(key=("id",), descending=True),
}
"""Every GET answering a collection, by path template below ``/api/v1``."""


def paged_route(method: str, path_template: str) -> Paged | None:
    return PAGED.get(api_template(path_template)) if method == "GET" else None


def _signature(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]


def encode_cursor(secret: bytes, route: str, key: list[Any]) -> str:
    payload = msgspec.json.encode([route, key])
    token = payload + _signature(secret, payload)
    return base64.urlsafe_b64encode(token).decode().rstrip("=")


def bad_cursor() -> InvalidInput:
    return InvalidInput(
        "Con trỏ trang không hợp lệ hoặc đã bị sửa; hãy bắt đầu lại từ trang đầu / "
        "Invalid cursor: use the `next` value of the previous page as it is",
        field="cursor",
    )


def decode_cursor(secret: bytes, route: str, cursor: str, arity: int) -> list[Any]:
    """The sort key a cursor carries; ``InvalidInput`` naming ``cursor`` otherwise."""
    try:
        token = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (ValueError, TypeError):
        raise bad_cursor() from None
    payload, signature = token[:-_SIGNATURE_BYTES], token[-_SIGNATURE_BYTES:]
    if len(token) <= _SIGNATURE_BYTES or not hmac.compare_digest(
        signature, _signature(secret, payload)
    ):
        raise bad_cursor()
    try:
        decoded = msgspec.json.decode(payload)
    except msgspec.DecodeError:
        raise bad_cursor() from None
    if (
        not isinstance(decoded, list)
        or len(decoded) != 2
        or decoded[0] != route
        or not isinstance(decoded[1], list)
        or len(decoded[1]) != arity
    ):
        raise bad_cursor()
    return decoded[1]


class PageRequest(msgspec.Struct, frozen=True, kw_only=True):
    limit: int | None
    """``None``: not asked for (the route's own default applies)."""
    after: list[Any] | None


def checked_page_request(
    scope: Scope, paged: Paged, route: str
) -> tuple[PageRequest, list[dict[str, str]]]:
    """The page asked for, and a validation entry for each of ``limit`` and ``cursor`` that
    is wrong (the page then falls back to the first, of the default size)."""
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
    problems: list[dict[str, str]] = []
    limit = None
    try:
        limit = _limit(query.get("limit"))
    except _BadParameter as bad:
        problems.append(bad.entry)
    after = None
    cursor = query.get("cursor")
    if cursor:
        secret = scope["litestar_app"].state.cursor_key
        try:
            after = decode_cursor(secret, route, cursor, len(paged.key))
        except InvalidInput as error:
            problems.append(_entry("cursor", "invalid_value", error.message))
    return PageRequest(limit=limit, after=after), problems


def page_problems(problems: list[dict[str, str]]) -> ValidationException:
    return ValidationException(detail="Invalid page parameters", extra=list(problems))


class _BadParameter(Exception):
    def __init__(self, entry: dict[str, str]) -> None:
        self.entry = entry


def _entry(name: str, code: str, message: str) -> dict[str, str]:
    """A validation entry already worded (``vi / en``), as the edge checks write them."""
    return {"key": name, "source": "query", "code": code, "message": message}


def _limit(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not ascii_digits(value):
        raise _BadParameter(
            _entry(
                "limit",
                "invalid_type",
                f"phải là một số nguyên từ 1 đến {MAX_LIMIT}, không phải {value!r} / "
                f"must be a whole number from 1 to {MAX_LIMIT}, not {value!r}",
            )
        )
    if not 1 <= int(value) <= MAX_LIMIT:
        raise _BadParameter(
            _entry(
                "limit",
                "out_of_range",
                f"phải từ 1 đến {MAX_LIMIT}, không phải {value} / "
                f"must be from 1 to {MAX_LIMIT}, not {value}",
            )
        )
    return int(value)


def _sort_key(item: Any, key: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(item.get(name) if isinstance(item, dict) else None for name in key)


def slice_page(
    items: list[Any], paged: Paged, request: PageRequest
) -> tuple[list[Any], list[Any] | None]:
    """The page of ``items`` after the cursor, and the key of its last item when more follow."""
    ordered = sorted(items, key=lambda i: _sort_key(i, paged.key), reverse=paged.descending)
    if request.after is not None:
        after = tuple(request.after)
        if paged.descending:
            ordered = [i for i in ordered if _sort_key(i, paged.key) < after]
        else:
            ordered = [i for i in ordered if _sort_key(i, paged.key) > after]
    limit = request.limit or DEFAULT_LIMIT
    page = ordered[:limit]
    more = len(ordered) > limit
    return page, list(_sort_key(page[-1], paged.key)) if more and page else None


def next_link(scope: Scope, cursor: str) -> str:
    """The ``Link`` value for the next page: this request's URL with the new cursor."""
    query = [(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"))]
    query = [(k, v) for k, v in query if k != "cursor"] + [("cursor", cursor)]
    return f'<{scope.get("root_path", "")}{scope["path"]}?{urlencode(query)}>; rel="next"'


class PaginationMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        paged = None
        if scope["type"] == "http":
            paged = paged_route(scope["method"], scope.get("path_template", ""))
        if paged is None:
            await self.app(scope, receive, send)
            return
        route = api_template(scope["path_template"])
        request, problems = checked_page_request(scope, paged, route)
        state = scope.setdefault("state", {})
        state[SCOPE_KEY] = request
        if problems:
            state[PROBLEMS_KEY] = problems
        answer = await capture(self.app, scope, receive)
        if state.get(PROBLEMS_KEY):
            # The handler's own parameters were fine: the page parameters alone are wrong.
            # Its captured answer was never sent, so the error handler may still answer.
            ScopeState.from_scope(scope).response_started = False
            raise page_problems(state.pop(PROBLEMS_KEY))
        body = answer.json() if answer.status == 200 else None
        if body is None:
            await answer.send_to(send)
            return
        secret = scope["litestar_app"].state.cursor_key
        cursor: str | None = None
        if paged.in_query:
            key = body.get("next") if isinstance(body, dict) else None
            key = key or _header_text(answer.header(NEXT_KEY_HEADER.encode()))
            if key:
                cursor = encode_cursor(secret, route, msgspec.json.decode(key))
                if isinstance(body, dict):
                    body["next"] = cursor
                    answer.body = msgspec.json.encode(body)
        else:
            items = body.get(paged.items_at) if paged.items_at and isinstance(body, dict) else body
            if not isinstance(items, list):
                await answer.send_to(send)
                return
            page, last = slice_page(items, paged, request)
            cursor = encode_cursor(secret, route, last) if last is not None else None
            if paged.items_at and isinstance(body, dict):
                body[paged.items_at] = page
                body["next"] = cursor
            else:
                body = page
            answer.body = msgspec.json.encode(body)
        if cursor:
            answer.set_header(b"link", next_link(scope, cursor).encode())
        answer.headers = [
            (k, v) for k, v in answer.headers if k.lower() != NEXT_KEY_HEADER.encode()
        ]
        await answer.send_to(send)


def _header_text(value: bytes | None) -> str | None:
    return value.decode() if value else None


def query_page(request: Request[Any, Any, Any]) -> PageRequest:
    """For handlers that page in their query: the checked ``limit`` and cursor key."""
    return request.scope.get("state", {}).get(SCOPE_KEY) or PageRequest(limit=None, after=None)
