"""The app as a whole: health, the OpenAPI document, the static files."""

from __future__ import annotations

import logging

import msgspec

from nguon.api.logs import JsonFormatter
from tests.conftest import Database
from tests.http.conftest import AppClient


async def test_health_reports_the_database(db: Database, client: AppClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "session_store": True}


async def test_the_openapi_document_lists_the_candidate_routes(
    db: Database, client: AppClient
) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    # The document describes v2; the deprecated v1 (same routes, old names) is left out.
    assert set(paths["/t/{tenant}/api/v2/candidates"]) >= {"get", "post"}
    assert set(paths["/t/{tenant}/api/v2/candidates/{candidate_id}"]) >= {"get", "patch"}
    assert "/t/{tenant}/api/v2/auth/token" in paths
    assert not any("/api/v1/" in path for path in paths)
    assert not any(path.endswith("/login") for path in paths)
    schemas = response.json()["components"]["schemas"]
    returned = set(schemas["CandidateOut"]["properties"])
    assert "national_id_masked" in returned
    assert not {"national_id", "national_id_encrypted", "national_id_hash"} & returned


async def test_the_stylesheet_is_served(db: Database, client: AppClient) -> None:
    response = await client.get("/static/portal.css")
    assert response.status_code == 200
    assert "text/css" in response.headers["content-type"]


def test_log_lines_are_json_and_keep_secrets_out() -> None:
    record = logging.LogRecord("nguon.accounts", logging.INFO, __file__, 1, "login", None, None)
    record.__dict__.update(
        {"user_id": 7, "password": "mật khẩu", "access_token": "abc", "national_id": "0342"}
    )
    line = msgspec.json.decode(JsonFormatter().format(record))
    assert line["message"] == "login"
    assert line["user_id"] == 7
    assert line["password"] == line["access_token"] == line["national_id"] == "[redacted]"
