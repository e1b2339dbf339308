"""``Idempotency-Key`` on the API's POSTs (draft-ietf-httpapi-idempotency-key-header).

A client that may have to retry a POST sends a unique key with it. The first request with
a key claims it (a row of ``idempotency_record``, committed at once); the change and its
answer are then written in ONE transaction, so the key is spent exactly when the change is
made. Later requests with the same key, from the same user of the same tenant:

- the same method, path and body: the first answer again (status, body, ``ETag``,
  ``Location``), with ``Idempotent-Replayed: true``; nothing is done twice;
- anything else under that key: ``422`` (the key was used for another request);
- while the first one is still being handled: ``409`` with ``Retry-After``.

An answer that is not a success is not kept (its transaction rolled back, nothing was
made): the key is released and the client may retry with it. Keys are kept
``RETENTION`` (24 hours); an in-flight claim older than ``LEASE`` is taken as abandoned.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import msgspec
from litestar.types import ASGIApp, Receive, Scope, Send

from nguon.accounts.tokens import InvalidToken, TokenSigner
from nguon.api.asgi_capture import Captured, capture, read_body, replaying
from nguon.api.http_problems import problem, remember_request, send_problem
from nguon.api.idempotency_tables import IdempotencyRecord
from nguon.api.versioned import api_template
from nguon.db.transaction import atomic
from nguon.tenancy.context import require_tenant
from nguon.tenancy.scoped import in_tenant

HEADER = "Idempotency-Key"
REPLAYED_HEADER = b"idempotent-replayed"
MAX_KEY_LENGTH = 255
RETENTION = dt.timedelta(hours=24)
LEASE = dt.timedelta(seconds=120)
RETRY_AFTER_SECONDS = 1
EXCLUDED = frozenset({"/auth/token"})
"""POSTs that do not take a key: a token must never be stored to be answered again."""
REPLAYED_HEADERS = (b"content-type", b"etag", b"location", b"link")


def takes_idempotency_key(method: str, path_template: str) -> bool:
    template = api_template(path_template)
    return method == "POST" and bool(template) and template not in EXCLUDED


def parse_key(value: str) -> str | None:
    """The key of an ``Idempotency-Key`` value (an sf-string: ``"…"``, or bare)."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not 1 <= len(value) <= MAX_KEY_LENGTH or not all(32 < ord(c) < 127 for c in value):
        return None
    return value


def fingerprint(body: bytes) -> str:
    """SHA-256 of the body; of its canonical form when it is JSON (key order, spacing)."""
    try:
        canonical = msgspec.json.encode(msgspec.json.decode(body), order="sorted")
    except (msgspec.DecodeError, msgspec.EncodeError, UnicodeError):
        # Not JSON, or JSON msgspec cannot write back (lone surrogates): the bytes as sent.
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def caller_id(scope: Scope) -> int | None:
    """The user of a well-signed bearer token of this tenant; the handler still checks the
    rest (a request without one is let through to be answered 401)."""
    scheme, _, token = (_header(scope, b"authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    signer: TokenSigner = scope["litestar_app"].state.token_signer
    try:
        claims = signer.verify(token.strip())
    except InvalidToken:
        return None
    return claims.user_id if claims.tenant_id == require_tenant() else None


class _NotKept(Exception):
    """Rolls the change's transaction back: its answer was not a success."""

    def __init__(self, answer: Captured) -> None:
        self.answer = answer


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        remember_request(scope)
        raw_key = _header(scope, b"idempotency-key") if scope["type"] == "http" else None
        if raw_key is None or not takes_idempotency_key(
            scope["method"], scope.get("path_template", "")
        ):
            await self.app(scope, receive, send)
            return
        key = parse_key(raw_key)
        if key is None:
            await send_problem(send, _invalid_key())
            return
        user_id = caller_id(scope)
        if user_id is None:
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        request = _Request(
            user_id=user_id,
            key=key,
            method=scope["method"],
            path=scope["path"],
            fingerprint=fingerprint(body),
        )
        record_id = await _claim(request)
        if record_id is None:
            await _answer_existing(request, send)
            return
        try:
            async with atomic():
                answer = await capture(self.app, scope, replaying(body))
                if not 200 <= answer.status < 300:
                    raise _NotKept(answer)
                await _keep(record_id, answer)
        except _NotKept as not_kept:
            await _release(record_id)
            answer = not_kept.answer
        except BaseException:
            await _release(record_id)
            raise
        await answer.send_to(send)


class _Request(msgspec.Struct, frozen=True, kw_only=True):
    user_id: int
    key: str
    method: str
    path: str
    fingerprint: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _same_key(request: _Request) -> list[Any]:
    return [
        in_tenant(IdempotencyRecord),
        IdempotencyRecord.user_id == request.user_id,
        IdempotencyRecord.idempotency_key == request.key,
    ]


async def _claim(request: _Request) -> int | None:
    """The new in-flight record's id, or None when the key is already held."""
    now = _now()
    # Answers past their retention (the tenant's, on its expiry index), and a claim of this
    # key whose request died, free their keys.
    await IdempotencyRecord.delete().where(
        in_tenant(IdempotencyRecord), IdempotencyRecord.expires_at < now
    )
    await IdempotencyRecord.delete().where(
        *_same_key(request),
        IdempotencyRecord.status.is_null(),
        IdempotencyRecord.created_at < now - LEASE,
    )
    if await IdempotencyRecord.exists().where(*_same_key(request)):
        return None
    try:
        rows = await IdempotencyRecord.insert(
            IdempotencyRecord(
                tenant_id=require_tenant(),
                user_id=request.user_id,
                idempotency_key=request.key,
                method=request.method,
                path=request.path[:500],
                fingerprint=request.fingerprint,
                created_at=now,
                expires_at=now + RETENTION,
            )
        ).returning(IdempotencyRecord.id)
    except Exception as error:  # the unique index: another request claimed it just now
        if "unique" not in str(error).lower():
            raise
        return None
    return rows[0]["id"]


async def _keep(record_id: int, answer: Captured) -> None:
    headers = {
        name.decode(): value.decode("latin-1")
        for name, value in answer.headers
        if name.lower() in REPLAYED_HEADERS
    }
    await IdempotencyRecord.update(
        {
            IdempotencyRecord.status: answer.status,
            IdempotencyRecord.content_type: headers.get("content-type", "")[:100],
            IdempotencyRecord.response_headers: msgspec.json.encode(headers).decode(),
            IdempotencyRecord.response_body: answer.body.decode("utf-8", "replace"),
        }
    ).where(in_tenant(IdempotencyRecord), IdempotencyRecord.id == record_id)


async def _release(record_id: int) -> None:
    await IdempotencyRecord.delete().where(
        in_tenant(IdempotencyRecord),
        IdempotencyRecord.id == record_id,
        IdempotencyRecord.status.is_null(),
    )


async def _answer_existing(request: _Request, send: Send) -> None:
    row = await IdempotencyRecord.select().where(*_same_key(request)).first()
    if row is None:  # released between our claim and this read: ask for a retry
        await send_problem(send, _in_flight(), [(b"retry-after", b"1")])
        return
    if (row["method"], row["path"], row["fingerprint"]) != (
        request.method,
        request.path[:500],
        request.fingerprint,
    ):
        await send_problem(send, _reused())
        return
    if row["status"] is None:
        await send_problem(
            send, _in_flight(), [(b"retry-after", str(RETRY_AFTER_SECONDS).encode())]
        )
        return
    headers = [
        (name.encode(), value.encode("latin-1"))
        for name, value in msgspec.json.decode(row["response_headers"]).items()
    ]
    replay = Captured(
        status=row["status"],
        headers=[*headers, (REPLAYED_HEADER, b"true")],
        body=row["response_body"].encode(),
    )
    await replay.send_to(send)


def _invalid_key() -> Any:
    return problem(
        400,
        "invalid-idempotency-key",
        "Khóa Idempotency-Key không hợp lệ / Invalid Idempotency-Key",
        f"Idempotency-Key phải có 1–{MAX_KEY_LENGTH} ký tự ASCII in được, không có khoảng "
        f"trắng / Idempotency-Key must be 1–{MAX_KEY_LENGTH} printable ASCII characters",
        field=HEADER,
    )


def _reused() -> Any:
    return problem(
        422,
        "idempotency-key-reused",
        "Khóa đã dùng cho yêu cầu khác / Idempotency-Key reused",
        "Khóa Idempotency-Key này đã được dùng cho một yêu cầu khác (địa chỉ hoặc nội dung "
        "khác); hãy dùng khóa mới / This Idempotency-Key was used for a different request "
        "(another path or body): use a new key",
        field=HEADER,
    )


def _in_flight() -> Any:
    return problem(
        409,
        "idempotency-key-in-flight",
        "Yêu cầu trước với khóa này đang xử lý / A request with this key is in progress",
        "Yêu cầu đầu tiên với khóa Idempotency-Key này chưa xong; hãy thử lại sau giây lát / "
        "The first request with this Idempotency-Key is still being handled: retry shortly",
        field=HEADER,
    )
