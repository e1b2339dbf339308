"""Prometheus metrics at ``/metrics``, for the operator only.

Requests are counted by route template (``/t/{tenant}/api/v1/candidates/{candidate_id}``,
never the raw path) and status by Litestar's Prometheus middleware; rules evaluations by
``nguon.rules.service``; the job queue by ``nguon.observability.jobs`` at scrape time.
Under ``nguon serve --workers N`` every process writes its samples to
``PROMETHEUS_MULTIPROC_DIR`` and any process answers for all of them.

Access: a bearer token (``NGUON_METRICS_TOKEN``, compared in constant time) or a client
address in ``NGUON_METRICS_ALLOW``. A wrong or missing token answers 401 when a token is
configured; everything else refused, and everything while neither is set, answers 404.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Callable
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.plugins.prometheus import PrometheusConfig, PrometheusMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from nguon.observability.jobs import job_queue_collector

METRICS_PATH = "/metrics"


class _StatusOfErrors(PrometheusMiddleware):
    """Litestar's middleware, counting a request refused by a middleware inside it (a CSRF
    token missing, say) under the status it got: the error's answer is sent outside, so
    the stock middleware never sees it and counts a 200."""

    def __init__(self, app: ASGIApp, config: PrometheusConfig) -> None:
        super().__init__(app, config)
        inner = self.app

        async def counted(scope: Scope, receive: Receive, send: Send) -> None:
            try:
                await inner(scope, receive, send)
            except Exception as error:
                span = getattr(send, "nguon_span", None)
                if span is not None and not span.get("end_time"):
                    span["status_code"] = getattr(error, "status_code", 500)
                    span["duration"] = time.perf_counter() - span["start_time"]
                raise

        self.app = counted

    def _get_wrapped_send(self, send: Send, request_span: dict[str, float]) -> Callable:
        wrapped = super()._get_wrapped_send(send, request_span)
        wrapped.nguon_span = request_span  # type: ignore[attr-defined]
        return wrapped


def prometheus_config() -> PrometheusConfig:
    return PrometheusConfig(
        middleware_class=_StatusOfErrors,
        app_name="nguon",
        prefix="nguon",
        group_path=True,
        exclude=[f"^{METRICS_PATH}$"],
        buckets=[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    )


class MetricsAccess:
    """Who may read ``/metrics``: from ``NGUON_METRICS_TOKEN`` and ``NGUON_METRICS_ALLOW``."""

    def __init__(self, token: str | None, allow: tuple[str, ...]) -> None:
        self.token = token.encode() if token else None
        self.allow = tuple(ipaddress.ip_network(entry, strict=False) for entry in allow)

    @property
    def enabled(self) -> bool:
        return self.token is not None or bool(self.allow)

    def _address_allowed(self, request: Request[Any, Any, Any]) -> bool:
        if not self.allow or request.client is None:
            return False
        try:
            address = ipaddress.ip_address(request.client.host)
        except ValueError:
            return False
        return any(address in network for network in self.allow)

    def _token_matches(self, request: Request[Any, Any, Any]) -> bool:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if self.token is None or scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(credentials.strip().encode(), self.token)

    def check(self, request: Request[Any, Any, Any]) -> None:
        if self._address_allowed(request) or self._token_matches(request):
            return
        if self.token is not None:
            raise NotAuthorizedException(
                "a metrics token is required", headers={"WWW-Authenticate": "Bearer"}
            )
        raise NotFoundException()


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


@get(METRICS_PATH, include_in_schema=False)
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    access: MetricsAccess = request.app.state.metrics_access
    access.check(request)
    output = generate_latest(_registry())
    output += generate_latest(await job_queue_collector())
    return Response(output, media_type=CONTENT_TYPE_LATEST)
