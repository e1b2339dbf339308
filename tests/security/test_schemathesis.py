"""Schemathesis against the OpenAPI document of a served app: about 25 generated requests
per operation, signed in with a tenant administrator's token. No answer is a server error,
every status an operation answers is one the document lists for it, with a media type the
document lists for that status, and every 4xx of the API is an RFC 9457 problem in
Vietnamese and English."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from tests.conftest import Database
from tests.http.conftest import PASSWORD, build_world
from tests.portal.servers import server
from tests.problems import faults_of

EXAMPLES = 25


def _fuzz_operation(
    operation: Any, base: str, slug: str, headers: dict[str, str], problems: list[str]
) -> int:
    calls = 0

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def one(case: Any) -> None:
        nonlocal calls
        if "tenant" in (case.path_parameters or {}):
            case.path_parameters["tenant"] = slug
        response = case.call(base_url=base, headers=headers, timeout=30)
        calls += 1
        try:
            case.validate_response(
                response,
                checks=[not_a_server_error, status_code_conformance, content_type_conformance],
            )
        except Exception as failure:  # each check failure is recorded, the run goes on
            problems.append(
                f"{operation.method.upper()} {operation.path} -> {response.status_code}: "
                f"{str(failure).strip().splitlines()[0][:200]}"
            )
        if 400 <= response.status_code < 500:
            faults = faults_of(
                response.status_code,
                response.headers.get("content-type", [""])[0],
                response.content,
                urlsplit(response.request.url or "").path,
            )
            problems.extend(f"{operation.method.upper()} {operation.path}: {f}" for f in faults)

    one()
    return calls


def _fuzz(base: str, slug: str, token: str) -> tuple[int, list[str]]:
    schema = schemathesis.openapi.from_url(f"{base}/schema/openapi.json")
    headers = {"Authorization": f"Bearer {token}"}
    problems: list[str] = []
    calls = sum(
        _fuzz_operation(result.ok(), base, slug, headers, problems)
        for result in schema.get_all_operations()
    )
    return calls, problems


async def test_schemathesis_finds_no_server_error_and_no_undocumented_status(
    sqlite_db: Database, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await build_world(sqlite_db, "fuzz")
    monkeypatch.setenv("NGUON_WEBHOOK_WORKER", "off")
    with server(f"sqlite:///{sqlite_db.app.path}", log=tmp_path / "server.log") as base:
        answer = httpx.post(
            f"{base}/t/{world.slug}/api/v1/auth/token",
            json={"username": "admin", "password": PASSWORD},
        )
        assert answer.status_code == 200, answer.text
        calls, problems = await asyncio.to_thread(
            _fuzz, base, world.slug, answer.json()["access_token"]
        )
    print(f"\n[schemathesis] {calls} requests, {len(problems)} problems")
    assert calls > 20 * EXAMPLES
    assert problems == [], "\n".join(sorted(set(problems))[:60])
