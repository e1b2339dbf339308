"""``ETag``, ``If-Match``, ``If-None-Match`` for every versioned resource of the API.

The entity tag of a resource is its version, ``"7"``. On the routes ``nguon.api.versioned``
lists, this middleware:

- answers ``ETag`` on a GET and on a successful write, and ``304 Not Modified`` to a GET
  whose ``If-None-Match`` names the current tag;
- on a write, puts the ``If-Match`` version into the body's version field (the services
  keep checking it inside their transaction, so two writers cannot both win); a body
  version that disagrees with ``If-Match`` is a 400 naming ``If-Match``;
- turns the stale-version 409 of a request that sent ``If-Match`` into ``412 Precondition
  Failed`` naming the current version, and answers ``428 Precondition Required`` to a write
  that carries neither ``If-Match`` nor the body's version.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.types import ASGIApp, Receive, Scope, Send

from nguon.api.asgi_capture import Captured, capture, read_body, replaying
from nguon.api.http_problems import problem, remember_request, send_problem
from nguon.api.versioned import (
    Resource,
    created_resource,
    read_resource,
    version_in,
    write_resource,
)
from nguon.text import ascii_digits

ANY = "*"


class BadPrecondition(ValueError):
    """An ``If-Match`` / ``If-None-Match`` value that is not a list of version tags."""


def etag(version: int) -> str:
    return f'"{version}"'


def parse_tags(value: str) -> set[int] | str:
    """``"3"``, ``W/"3", "4"`` → {3, 4}; ``*`` → ``"*"``."""
    value = value.strip()
    if value == ANY:
        return ANY
    versions: set[int] = set()
    for part in value.split(","):
        tag = part.strip().removeprefix("W/").strip()
        if len(tag) >= 2 and tag[0] == tag[-1] == '"':
            tag = tag[1:-1]
        if not ascii_digits(tag):
            raise BadPrecondition(value)
        versions.add(int(tag))
    if not versions:
        raise BadPrecondition(value)
    return versions


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _bad_header(name: str) -> Any:
    return problem(
        400,
        "invalid-precondition",
        "Tiêu đề điều kiện không hợp lệ / Invalid precondition header",
        f'{name} phải là phiên bản dạng "3" hoặc * / {name} must be a version tag such as '
        f'"3", or *',
        field=name,
    )


class ETagMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        remember_request(scope)
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        template = scope.get("path_template", "")
        if (resource := read_resource(method, template)) is not None:
            await self._read(resource, scope, receive, send)
        elif (resource := write_resource(method, template)) is not None:
            await self._write(resource, scope, receive, send)
        elif (created := created_resource(method, template)) is not None:
            answer = await capture(self.app, scope, receive)
            if answer.status == 201:
                made = answer.json()
                version, new_id = (
                    version_in(made, created.version_path),
                    version_in(made, created.id_path),
                )
                if version is not None:
                    answer.set_header(b"etag", etag(version).encode())
                if new_id is not None:
                    location = f"{scope['path'].rstrip('/')}/{new_id}"
                    answer.set_header(b"location", location.encode())
            await answer.send_to(send)
        else:
            await self.app(scope, receive, send)

    async def _read(self, resource: Resource, scope: Scope, receive: Receive, send: Send) -> None:
        answer = await capture(self.app, scope, receive)
        version = _tag_answer(resource, answer)
        wanted = _header(scope, b"if-none-match")
        if version is not None and wanted is not None and answer.status == 200:
            try:
                tags = parse_tags(wanted)
            except BadPrecondition:
                await send_problem(send, _bad_header("If-None-Match"))
                return
            if tags == ANY or version in tags:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 304,
                        "headers": [(b"etag", etag(version).encode())],
                    }
                )
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
        await answer.send_to(send)

    async def _write(self, resource: Resource, scope: Scope, receive: Receive, send: Send) -> None:
        raw = await read_body(receive)
        try:
            body = msgspec.json.decode(raw) if raw else {}
        except msgspec.DecodeError:
            body = None
        if not isinstance(body, dict):  # not our business: the handler answers 400
            await self.app(scope, replaying(raw), send)
            return
        if_match = _header(scope, b"if-match")
        if_none_match = _header(scope, b"if-none-match")
        sent: int | None = None
        try:
            if if_match is not None:
                sent = await self._expected(resource, scope, parse_tags(if_match))
            elif if_none_match is not None:
                if parse_tags(if_none_match) != ANY:
                    raise BadPrecondition(if_none_match)
                sent = 0  # "only if it does not exist yet": version 0
        except BadPrecondition:
            name = "If-Match" if if_match is not None else "If-None-Match"
            await send_problem(send, _bad_header(name))
            return
        in_body = body.get(resource.body_field)
        if sent is None and in_body is None and resource.precondition_required:
            await send_problem(send, _precondition_required(resource))
            return
        if sent is not None:
            if in_body is not None and in_body != sent:
                await send_problem(send, _disagreeing(resource))
                return
            body[resource.body_field] = sent
            raw = msgspec.json.encode(body)
        answer = await capture(self.app, scope, replaying(raw))
        if sent is not None and answer.status == 409:
            current = await resource.load(scope.get("path_params", {}))
            if current is not None and current != sent:
                await send_problem(
                    send,
                    _precondition_failed(resource, current),
                    [(b"etag", etag(current).encode())],
                )
                return
        if 200 <= answer.status < 300:
            _tag_answer(resource, answer)
        await answer.send_to(send)

    async def _expected(self, resource: Resource, scope: Scope, tags: set[int] | str) -> int:
        """The version the write must find: the current one when ``If-Match`` names it
        (or is ``*``), else one of the tags, which the service will find stale."""
        current = await resource.load(scope.get("path_params", {}))
        if current is not None and (tags == ANY or current in tags):
            return current
        if tags == ANY:
            return 0 if current is None else current
        return min(tags)


def _tag_answer(resource: Resource, answer: Captured) -> int | None:
    if answer.status >= 300:
        return None
    version = version_in(answer.json(), resource.answer_path)
    if version is not None:
        answer.set_header(b"etag", etag(version).encode())
    return version


def _precondition_required(resource: Resource) -> Any:
    return problem(
        428,
        "precondition-required",
        "Cần phiên bản đã đọc / Precondition required",
        f"Hãy gửi phiên bản đã đọc trong tiêu đề If-Match hoặc trường "
        f"{resource.body_field} / Send the version you read in If-Match or in "
        f"{resource.body_field}",
        field="If-Match",
    )


def _disagreeing(resource: Resource) -> Any:
    return problem(
        400,
        "invalid-precondition",
        "Phiên bản không khớp / Versions disagree",
        f"If-Match và trường {resource.body_field} ghi hai phiên bản khác nhau / If-Match "
        f"and {resource.body_field} name different versions",
        field="If-Match",
    )


def _precondition_failed(resource: Resource, current: int) -> Any:
    return problem(
        412,
        "precondition-failed",
        "Dữ liệu đã thay đổi / Precondition failed",
        f"Đối tượng đã được người khác thay đổi (phiên bản hiện tại {current}); hãy tải lại. "
        f"/ The {resource.name} was changed by someone else (current version {current}); "
        f"read it again.",
        field="If-Match",
        current_version=current,
    )
