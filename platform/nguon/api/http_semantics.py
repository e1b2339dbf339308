"""Declare, on every API route handler, the HTTP headers and query parameters that the
API-wide middlewares honour (so Litestar validates them and the OpenAPI document lists
them), from the same tables those middlewares read."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from litestar import Controller
from litestar.datastructures import ResponseHeader
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, QueryParameter

from nguon.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from nguon.api.idempotency import MAX_KEY_LENGTH, takes_idempotency_key
from nguon.api.pagination import MAX_LIMIT, paged_route
from nguon.api.problems import Problem
from nguon.api.versioned import API_MARKER, created_resource, read_resource, write_resource

_TYPED = re.compile(r"\{(\w+):\w+\}")

IF_MATCH = HeaderParameter(
    annotation=str | None,
    name="If-Match",
    required=False,
    description='The version read, as its ETag ("3"): 412 when the resource changed since; '
    "a write needs it or the body's version (428 without either)",
)
IF_NONE_MATCH_READ = HeaderParameter(
    annotation=str | None,
    name="If-None-Match",
    required=False,
    description="The ETag held: 304 Not Modified while the resource has not changed",
)
IF_NONE_MATCH_CREATE = HeaderParameter(
    annotation=str | None,
    name="If-None-Match",
    required=False,
    description="`*`: only create, never overwrite (412 when it exists)",
)
IDEMPOTENCY_KEY = HeaderParameter(
    annotation=str | None,
    name=IDEMPOTENCY_HEADER,
    required=False,
    max_length=MAX_KEY_LENGTH + 2,
    description="A unique key per intended request: a retry with the same key and body "
    "answers the first answer again (Idempotent-Replayed: true) instead of acting twice",
)
CURSOR = QueryParameter(
    annotation=str | None,
    name="cursor",
    required=False,
    max_length=512,
    description="The `next` cursor of the previous page (opaque)",
)
LIMIT = QueryParameter(
    annotation=int | None,
    name="limit",
    required=False,
    ge=1,
    le=MAX_LIMIT,
    description=f"Items per page (at most {MAX_LIMIT})",
)
ETAG_HEADER = ResponseHeader(
    name="ETag", description="The resource's version, for If-Match", documentation_only=True
)
LOCATION_HEADER = ResponseHeader(
    name="Location", description="The address of the resource created", documentation_only=True
)
LINK_HEADER = ResponseHeader(
    name="Link",
    description='RFC 8288: `<url>; rel="next"` while more pages follow',
    documentation_only=True,
)


def _problem(description: str) -> ResponseSpec:
    return ResponseSpec(
        data_container=Problem,
        description=description,
        generate_examples=False,
        media_type="application/problem+json",
    )


NOT_MODIFIED = ResponseSpec(
    data_container=None, description="Not modified: the ETag sent in If-None-Match is current"
)
PRECONDITION_STATUSES = {
    412: _problem("If-Match names an old version (`current_version` is the one now)"),
    428: _problem("Neither If-Match nor the body's `version`: send the version read"),
}
IDEMPOTENCY_STATUSES = {
    422: _problem("This Idempotency-Key was used for a different request"),
}


def _handlers(route_handlers: Iterable[Any]) -> Iterable[tuple[str, HTTPRouteHandler]]:
    """(path template below the API, handler) of every HTTP handler, controllers opened."""
    for item in route_handlers:
        if isinstance(item, type) and issubclass(item, Controller):
            prefix = item.path.rstrip("/")
            for value in vars(item).values():
                if isinstance(value, HTTPRouteHandler):
                    for path in value.paths:
                        yield _TYPED.sub(r"{\1}", prefix + path.rstrip("/")), value
        elif isinstance(item, HTTPRouteHandler):
            for path in item.paths:
                yield _TYPED.sub(r"{\1}", path.rstrip("/")), item


def declare_http_semantics(route_handlers: Iterable[Any]) -> None:
    """Add the parameters and response headers to each handler before it is registered."""
    for path, handler in _handlers(route_handlers):
        template = API_MARKER + (path or "/")
        parameters: dict[str, Any] = dict(getattr(handler, "parameters", None) or {})
        headers = list(handler.response_headers or [])
        responses: dict[int, ResponseSpec] = {}
        for method in handler.http_methods:
            if read_resource(method, template) is not None:
                parameters["if_none_match"] = IF_NONE_MATCH_READ
                headers.append(ETAG_HEADER)
                responses[304] = NOT_MODIFIED
            if (resource := write_resource(method, template)) is not None:
                parameters["if_match"] = IF_MATCH
                if not resource.precondition_required:
                    parameters["if_none_match"] = IF_NONE_MATCH_CREATE
                headers.append(ETAG_HEADER)
                responses |= PRECONDITION_STATUSES
            if created_resource(method, template) is not None:
                headers.extend((ETAG_HEADER, LOCATION_HEADER))
            if takes_idempotency_key(method, template):
                parameters["idempotency_key"] = IDEMPOTENCY_KEY
                responses |= IDEMPOTENCY_STATUSES
            if paged_route(method, template) is not None:
                parameters["cursor"] = CURSOR
                parameters["limit"] = LIMIT
                headers.append(LINK_HEADER)
        handler.parameters = parameters
        handler.responses = {**responses, **(handler.responses or {})}
        handler.response_headers = list({h.name: h for h in headers}.values())
