"""The error answers of every API operation, written into the OpenAPI document.

Litestar documents an operation's success and its validation 400; the answers the
middleware, the tenant lookup, authentication and the domain give (401, 403, 404, 409,
410, 413, 415, 429, 503) are added here once, for every route, with the body they carry.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.openapi.datastructures import ResponseSpec
from litestar.routes import HTTPRoute

from nguon.api.errors import ErrorBody, MergedBody

_ANY = {
    400: "Invalid input: `errors` names each field",
    401: "No valid token, or a token of another tenant",
    403: "The caller's role does not allow this",
    404: "Unknown tenant, or an object missing, of another tenant or out of the caller's view",
    503: "The database or the session store is unavailable; retry after `Retry-After`",
}
_WRITES = {
    409: "The object changed since it was read (`version`), or a duplicate",
    413: "The body is larger than the limit",
    415: "The body is not application/json",
}
_SIGN_IN = {429: "Locked out after repeated wrong passwords; retry after `Retry-After`"}


def _spec(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=ErrorBody, description=description, generate_examples=False)


def document_error_responses(app: Litestar) -> None:
    """Add the error answers to every handler in the schema (before it is first built)."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        tenant = route.path.startswith("/t/{tenant:str}/")
        for handler in route.route_handlers:
            if not handler.include_in_schema:
                continue
            errors = dict(_ANY) if tenant else {503: _ANY[503]}
            if tenant and handler.http_methods & {"POST", "PUT", "PATCH", "DELETE"}:
                errors |= _WRITES
            if route.path.endswith(("/auth/token", "/account/password")):
                errors |= _SIGN_IN
            responses = {status: _spec(text) for status, text in errors.items()}
            if tenant:
                responses[410] = ResponseSpec(
                    data_container=MergedBody,
                    description="The tenant was merged into another: `url` is the new address",
                    generate_examples=False,
                )
            handler.responses = {**responses, **(handler.responses or {})}
