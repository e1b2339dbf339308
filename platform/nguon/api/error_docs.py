"""The error answers of every API operation, written into the OpenAPI document.

Litestar documents an operation's success; every error status an operation can answer is
derived here from what its route has (a bearer token, path parameters, a JSON body, a
write method, a throttle, the tenant in its path) through ONE registry of rules,
``ERROR_RESPONSE_RULES``. Each answer is an RFC 9457 problem (``application/problem+json``)
whose ``code`` is one of the problem types the rule names. A module that adds an answer
(``If-Match`` → 412/428, …) appends a rule with ``add_error_response_rule``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import msgspec
from litestar import Litestar
from litestar.enums import RequestEncodingType
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.routes import HTTPRoute

from nguon.api.edge import SHEET_UPLOAD
from nguon.api.problems import PROBLEM_MEDIA_TYPE, PROBLEM_TYPES, Problem

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
THROTTLED_PATHS: list[re.Pattern[str]] = [
    re.compile(r"/auth/token$"),
    re.compile(r"/account/password$"),
]
"""Operations with a throttle of their own (429); others may append theirs."""


class RouteFacts(msgspec.Struct, frozen=True, kw_only=True):
    """What an operation's route has, as far as its possible errors go."""

    path: str
    method: str
    in_tenant: bool
    authenticated: bool
    path_parameters: frozenset[str]
    json_body: bool
    body_fields: frozenset[str]
    throttled: bool
    sheet_upload: bool = False

    @property
    def writes(self) -> bool:
        return self.method in WRITE_METHODS

    @property
    def versioned(self) -> bool:
        return self.writes and bool({"version"} & self.body_fields or self.method == "PATCH")


class ErrorResponseRule(msgspec.Struct, frozen=True):
    status: int
    codes: tuple[str, ...]
    """The problem types (``nguon.api.problems``) this status carries here."""
    description: str
    applies: Callable[[RouteFacts], bool]


ERROR_RESPONSE_RULES: list[ErrorResponseRule] = [
    ErrorResponseRule(
        400,
        ("validation_failed", "malformed_body", "invalid_input", "no_rules_in_force"),
        "Invalid input: `errors` lists every field problem, each with a pointer and a code",
        lambda r: True,
    ),
    ErrorResponseRule(
        401,
        ("unauthenticated",),
        "No valid bearer token: missing, wrong, expired, revoked or of another tenant",
        lambda r: r.authenticated,
    ),
    ErrorResponseRule(
        401,
        ("unauthenticated",),
        "Wrong username or password",
        lambda r: not r.authenticated and r.path.endswith("/auth/token"),
    ),
    ErrorResponseRule(
        403,
        ("forbidden",),
        "The caller's role or unit does not allow this",
        lambda r: r.authenticated,
    ),
    ErrorResponseRule(
        404,
        ("not_found",),
        "Unknown tenant, or an object missing, of another tenant or out of the caller's view",
        lambda r: r.in_tenant or bool(r.path_parameters),
    ),
    ErrorResponseRule(
        409,
        ("conflict", "version_mismatch", "stage_refused"),
        "The object changed since it was read (`version`), is in a state that forbids this, "
        "or would duplicate another",
        lambda r: r.in_tenant and r.writes,
    ),
    ErrorResponseRule(
        409,
        ("export_by_job",),
        "The list has more people than are exported within a request: ask for a background "
        "export (`POST /lists/{list_id}/exports`)",
        lambda r: r.in_tenant and r.method == "GET" and r.path.endswith("/export"),
    ),
    ErrorResponseRule(
        410,
        ("tenant_merged",),
        "The tenant was merged into another: `url` is the same address there",
        lambda r: r.in_tenant,
    ),
    ErrorResponseRule(
        413,
        ("payload_too_large",),
        "The body is larger than the limit",
        lambda r: r.writes,
    ),
    ErrorResponseRule(
        415,
        ("unsupported_media_type",),
        "The body is not application/json",
        lambda r: r.json_body,
    ),
    ErrorResponseRule(
        415,
        ("unsupported_media_type",),
        "The body is not a multipart/form-data form with the sheet as `file`",
        lambda r: r.sheet_upload,
    ),
    ErrorResponseRule(
        429,
        ("too_many_requests",),
        "Too many attempts: retry after `Retry-After` seconds",
        lambda r: r.throttled,
    ),
    ErrorResponseRule(
        503,
        ("service_unavailable",),
        "The database or the session store is unavailable; retry after `Retry-After`",
        lambda r: True,
    ),
]


def add_error_response_rule(rule: ErrorResponseRule) -> None:
    """Document one more error answer (its codes must be registered problem types)."""
    missing = [code for code in rule.codes if code not in PROBLEM_TYPES]
    if missing:
        raise ValueError(f"unregistered problem types: {missing}")
    ERROR_RESPONSE_RULES.append(rule)


def _body_fields(handler: HTTPRouteHandler) -> tuple[bool, frozenset[str]]:
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is None:
        return False, frozenset()
    media = getattr(data.kwarg_definition, "media_type", None)
    json_body = media in (None, RequestEncodingType.JSON)
    fields: frozenset[str] = frozenset()
    annotation = data.annotation
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        fields = frozenset(f.encode_name for f in msgspec.structs.fields(annotation))
    return json_body, fields


def route_facts(route: HTTPRoute, handler: HTTPRouteHandler, method: str) -> RouteFacts:
    json_body, fields = _body_fields(handler)
    parameters = frozenset(re.findall(r"\{(\w+)(?::\w+)?\}", route.path)) - {"tenant"}
    return RouteFacts(
        path=route.path,
        method=method,
        in_tenant=route.path.startswith("/t/{tenant:str}/"),
        authenticated="access" in handler.parsed_fn_signature.parameters,
        path_parameters=parameters,
        json_body=json_body,
        body_fields=fields,
        throttled=any(p.search(route.path) for p in THROTTLED_PATHS),
        sheet_upload=bool(handler.opt.get(SHEET_UPLOAD)),
    )


def error_statuses(facts: RouteFacts) -> dict[int, list[ErrorResponseRule]]:
    found: dict[int, list[ErrorResponseRule]] = {}
    for rule in ERROR_RESPONSE_RULES:
        if rule.applies(facts):
            found.setdefault(rule.status, []).append(rule)
    return found


def _spec(rules: list[ErrorResponseRule]) -> ResponseSpec:
    codes = sorted({code for rule in rules for code in rule.codes})
    text = "; or ".join(rule.description for rule in rules)
    return ResponseSpec(
        data_container=Problem,
        description=f"{text}. Problem `code`: {', '.join(f'`{c}`' for c in codes)}.",
        generate_examples=False,
        media_type=PROBLEM_MEDIA_TYPE,
    )


def document_error_responses(app: Litestar) -> None:
    """Add the error answers to every handler in the schema (before it is first built)."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.include_in_schema:
                continue
            methods = sorted(handler.http_methods - {"HEAD", "OPTIONS"})
            statuses: dict[int, list[ErrorResponseRule]] = {}
            for method in methods:
                for status, rules in error_statuses(route_facts(route, handler, method)).items():
                    statuses.setdefault(status, []).extend(
                        r for r in rules if r not in statuses.get(status, [])
                    )
            responses = {status: _spec(rules) for status, rules in sorted(statuses.items())}
            handler.responses = {**responses, **(handler.responses or {})}
