"""Request ids and metrics as the operator sees them: header, log line, error page,
``/metrics`` counted by route template and status, and who may read it."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import msgspec
import pytest
from prometheus_client.parser import text_string_to_metric_families

from nguon.app import create_app
from nguon.observability.counters import RULES_EVALUATIONS
from nguon.rules.facts import CandidateFacts, UnitFacts
from nguon.rules.service import evaluate_plain
from tests.conftest import Database
from tests.http.conftest import AppClient, app_settings, build_world, started, token_for

METRICS_TOKEN = "metrics-token-for-the-operator-only"
CANDIDATE_ROUTE = "/t/{tenant}/api/v1/candidates/{candidate_id}"


@asynccontextmanager
async def serving_with(database: Database, **settings: Any) -> AsyncIterator[AppClient]:
    app = create_app(msgspec.structs.replace(app_settings(), **settings), engine=database.app)
    async with started(app) as client:
        yield client


def _sample(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


async def _scrape(client: AppClient) -> str:
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_requests_are_counted_by_route_template_and_status(db: Database) -> None:
    world = await build_world(db, "metrics")
    async with serving_with(db, metrics_token=METRICS_TOKEN) as client:
        headers = await token_for(client, world.slug, "cell_x_editor")
        before = await _scrape(client)
        for candidate_id in (987654, 987655, 987656):
            missing = await client.get(
                f"/t/{world.slug}/api/v1/candidates/{candidate_id}", headers=headers
            )
            assert missing.status_code == 404
        assert (await client.get("/health")).status_code == 200
        after = await _scrape(client)

    def grew(path: str, status: str) -> float:
        labels = {"path": path, "status_code": status, "method": "GET"}
        return _sample(after, "nguon_requests_total", **labels) - _sample(
            before, "nguon_requests_total", **labels
        )

    assert grew(CANDIDATE_ROUTE, "404") == 3
    assert grew("/health", "200") == 1
    assert "987654" not in after and world.slug not in after
    latency = _sample(after, "nguon_request_duration_seconds_count", path=CANDIDATE_ROUTE)
    assert latency >= 3
    assert "/metrics" not in {
        sample.labels.get("path")
        for family in text_string_to_metric_families(after)
        for sample in family.samples
    }


async def test_a_request_refused_before_its_handler_is_counted_under_its_status(
    db: Database,
) -> None:
    """A portal form posted without its CSRF token is refused by a middleware: the count
    says 403, as the access log does, not 200."""
    world = await build_world(db, "metrics-csrf")
    async with serving_with(db, metrics_token=METRICS_TOKEN) as client:
        before = await _scrape(client)
        refused = await client.post(
            f"/t/{world.slug}/login", data={"username": "x", "password": "y"}
        )
        assert refused.status_code == 403
        after = await _scrape(client)

    labels = {"path": "/t/{tenant}/login", "method": "POST"}
    counted = {
        status: _sample(after, "nguon_requests_total", status_code=status, **labels)
        - _sample(before, "nguon_requests_total", status_code=status, **labels)
        for status in ("403", "200")
    }
    assert counted == {"403": 1, "200": 0}


def test_rules_evaluations_are_counted_per_candidate() -> None:
    people = [CandidateFacts(person_ref=ref, date_of_birth=date(1995, 3, 10)) for ref in ("a", "b")]
    cell = UnitFacts(kind="grassroots_cell", bloc="commune")
    counted = RULES_EVALUATIONS.labels(package="hungyen")
    before = counted._value.get()
    evaluate_plain("hungyen", people, cell, date(2025, 5, 15))
    assert counted._value.get() == before + 2


@pytest.mark.parametrize(
    ("settings", "headers", "status"),
    [
        ({}, {}, 404),
        ({}, {"Authorization": f"Bearer {METRICS_TOKEN}"}, 404),
        ({"metrics_token": METRICS_TOKEN}, {}, 401),
        ({"metrics_token": METRICS_TOKEN}, {"Authorization": "Bearer wrong"}, 401),
        ({"metrics_token": METRICS_TOKEN}, {"Authorization": f"Basic {METRICS_TOKEN}"}, 401),
        ({"metrics_token": METRICS_TOKEN}, {"Authorization": f"Bearer {METRICS_TOKEN}"}, 200),
        ({"metrics_allow": ("10.0.0.0/8",)}, {}, 404),
        ({"metrics_allow": ("127.0.0.1",)}, {}, 200),
        ({"metrics_token": METRICS_TOKEN, "metrics_allow": ("127.0.0.0/8",)}, {}, 200),
    ],
    ids=[
        "off",
        "off-even-with-a-token",
        "no-token",
        "wrong-token",
        "not-bearer",
        "token",
        "address-not-allowed",
        "address-allowed",
        "address-allowed-without-the-token",
    ],
)
async def test_only_the_operator_reads_metrics(
    sqlite_db: Database, settings: dict[str, Any], headers: dict[str, str], status: int
) -> None:
    async with serving_with(sqlite_db, **settings) as client:
        response = await client.get("/metrics", headers=headers)
    assert response.status_code == status
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"
    if status != 200:
        assert "nguon_requests_total" not in response.text


async def test_metrics_are_not_in_the_public_api_document(sqlite_db: Database) -> None:
    async with serving_with(sqlite_db, metrics_token=METRICS_TOKEN) as client:
        document = (await client.get("/schema/openapi.json")).json()
    assert not any("metrics" in path for path in document["paths"])


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_a_request_id_is_in_the_header_the_log_and_the_error_page(
    sqlite_db: Database,
) -> None:
    world = await build_world(sqlite_db, "reqid")
    kept = _Kept()
    async with serving_with(sqlite_db) as client:
        logging.getLogger("nguon").addHandler(kept)
        try:
            page = await client.get(f"/t/{world.slug}/no-such-page")
        finally:
            logging.getLogger("nguon").removeHandler(kept)
    assert page.status_code == 404
    request_id = page.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert f"Mã yêu cầu: <code>{request_id}</code>" in page.text
    logged = [r for r in kept.records if getattr(r, "request_id", None) == request_id]
    assert [r.name for r in logged] == ["nguon.access"]
    assert logged[0].status == 404  # type: ignore[attr-defined]


async def test_the_request_id_of_a_trusted_proxy_is_kept_and_others_are_not(
    sqlite_db: Database,
) -> None:
    sent = {"X-Request-ID": "proxy-7f3a-0001"}
    async with serving_with(sqlite_db, trusted_proxies=("127.0.0.1",)) as client:
        kept = await client.get("/health", headers=sent)
    async with serving_with(sqlite_db, trusted_proxies=("10.0.0.1",)) as client:
        replaced = await client.get("/health", headers=sent)
        forged = await client.get("/health", headers={"X-Request-ID": "x\r\nSet-Cookie: a"})
    assert kept.headers["x-request-id"] == "proxy-7f3a-0001"
    assert replaced.headers["x-request-id"] != "proxy-7f3a-0001"
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["x-request-id"])


async def test_handlers_read_the_request_id_from_request_state() -> None:
    """The contract the API's error bodies rely on: ``request.state.request_id``."""
    from litestar import Litestar, Request, get

    from nguon.observability.request_id import RequestIds

    @get("/echo")
    async def echo(request: Request[Any, Any, Any]) -> str:
        return str(request.state.request_id)

    app = Litestar(route_handlers=[echo])
    app.asgi_handler = RequestIds(app.asgi_handler, (), access_log=False)
    async with AppClient(app) as client:
        response = await client.get("/echo")
    assert response.text == response.headers["x-request-id"]
