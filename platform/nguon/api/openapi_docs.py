"""The OpenAPI document, completed once when it is first built: what the API is, the bearer
security scheme and which operations need it, a description of every operation, an example
of every request body, and the file media types of the export operations.

Litestar builds the document lazily from the route table; the completion runs right after
that build (the app's OpenAPI plugin is given a subclass that adds this one step).
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import (
    Components,
    Example,
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    RequestBody,
    Schema,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIType
from litestar.routes import HTTPRoute

from nguon.api.edge import SHEET_UPLOAD
from nguon.api.error_docs import route_facts
from nguon.api.operation_texts import API_DESCRIPTION, BODY_EXAMPLES, DESCRIPTIONS

BEARER = "bearerToken"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"


def describe_operation(handler: HTTPRouteHandler) -> str | None:
    own = handler.description or (handler.fn.__doc__ or "").strip()
    return own or DESCRIPTIONS.get(handler.fn.__qualname__)


def body_example(handler: HTTPRouteHandler) -> tuple[type, Any] | None:
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is None or not isinstance(data.annotation, type):
        return None
    example = BODY_EXAMPLES.get(data.annotation.__name__)
    return (data.annotation, example) if example is not None else None


def export_media_types() -> list[str]:
    """What the list renderer plugins produce; XLSX and CSV always offered in the document."""
    from nguon.pipeline.documents_build import list_renderers

    found = [r.media_type.split(";", 1)[0].strip() for r in list_renderers().values()]
    return list(dict.fromkeys([*found, XLSX, CSV]))


def sheet_upload_body() -> RequestBody:
    sheet = Schema(
        type=OpenAPIType.STRING,
        format="binary",
        description=(
            "The sheet: the package's XLSX form (the portal's template) or a CSV file in "
            "UTF-8 (a BOM allowed; commas, semicolons or tabs), its header row naming the "
            "columns in Vietnamese; at most 50 MB and 200,000 rows."
        ),
    )
    form = Schema(type=OpenAPIType.OBJECT, properties={"file": sheet}, required=["file"])
    return RequestBody(
        required=True, content={"multipart/form-data": OpenAPIMediaType(schema=form)}
    )


def _is_file_export(route: HTTPRoute, handler: HTTPRouteHandler) -> bool:
    return route.path.endswith("/export") and "bytes" in str(
        handler.parsed_fn_signature.return_type.annotation
    )


def _complete_operation(
    route: HTTPRoute, handler: HTTPRouteHandler, method: str, operation: Operation
) -> None:
    facts = route_facts(route, handler, method.upper())
    if facts.authenticated:
        operation.security = [{BEARER: []}]
    operation.description = operation.description or describe_operation(handler)
    if SHEET_UPLOAD in handler.opt:
        operation.request_body = sheet_upload_body()
    example = body_example(handler)
    if example is not None and operation.request_body is not None:
        struct, value = example
        for media in operation.request_body.content.values():
            media.examples = {"example": Example(summary=f"A valid {struct.__name__}", value=value)}
    if _is_file_export(route, handler) and operation.responses and "200" in operation.responses:
        success = operation.responses["200"]
        if isinstance(success, OpenAPIResponse):
            success.content = {
                media: OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING, format="binary"))
                for media in export_media_types()
            }


def complete(app: Litestar, openapi: OpenAPI) -> OpenAPI:
    openapi.info.description = API_DESCRIPTION
    components = openapi.components if isinstance(openapi.components, Components) else Components()
    components.security_schemes = {
        **(components.security_schemes or {}),
        BEARER: SecurityScheme(
            type="http",
            scheme="bearer",
            bearer_format="signed token",
            description=(
                "The `access_token` from `POST /t/{tenant}/api/v2/auth/token`, valid for that "
                "tenant only, as `Authorization: Bearer <token>`."
            ),
        ),
    }
    openapi.components = components
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        item = (openapi.paths or {}).get(route.path_format or "/")
        if item is None:
            continue
        for handler in route.route_handlers:
            if not handler.include_in_schema:
                continue
            for method in handler.http_methods - {"HEAD", "OPTIONS"}:
                operation = getattr(item, method.lower(), None)
                if isinstance(operation, Operation):
                    _complete_operation(route, handler, method, operation)
    return openapi


class _CompletedOpenAPIPlugin(OpenAPIPlugin):
    __slots__ = ()

    def _build_openapi(self) -> OpenAPI:
        return complete(self.app, super()._build_openapi())


def complete_openapi(app: Litestar) -> None:
    """Complete the app's document whenever Litestar (re)builds it."""
    app.plugins.get(OpenAPIPlugin).__class__ = _CompletedOpenAPIPlugin
