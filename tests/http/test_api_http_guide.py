"""docs/api-http.md is executed: its Python blocks, in order, in one namespace, against the
app served by a real server process on Postgres (as the app role, under RLS)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_DATABASE, TEST_ROLES, Database, role_url
from tests.http.conftest import PASSWORD, build_world
from tests.portal.servers import server

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "api-http.md"
SECTIONS = (
    "## Concurrency (ETag, If-Match)",
    "## Retries (Idempotency-Key)",
    "## Pagination",
    "## Webhooks and their signatures",
)


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", text, re.S | re.M)


def test_the_guide_has_its_sections_and_examples_in_curl_and_python() -> None:
    text = GUIDE.read_text()
    for section in SECTIONS:
        assert section in text, section
    for chunk in re.split(r"^## ", text, flags=re.M)[1:]:
        assert "```python" in chunk and "curl " in chunk, chunk.splitlines()[0]


def _run(blocks: list[str]) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "guide"}
    for number, block in enumerate(blocks, 1):
        exec(compile(block, f"{GUIDE.name} python block {number}", "exec"), namespace)
    return namespace


@pytest.mark.postgres
async def test_every_python_block_of_the_guide_runs_against_a_served_app(
    postgres_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await build_world(postgres_db, "guidehttp")
    monkeypatch.setenv("NGUON_WEBHOOK_WORKER", "off")
    url = role_url(TEST_ROLES.app, TEST_DATABASE)
    with server(url, log=tmp_path / "server.log") as base:
        token = httpx.post(
            f"{base}/t/{world.slug}/api/v1/auth/token",
            json={"username": "cell_x_editor", "password": PASSWORD},
        ).json()["access_token"]
        text = GUIDE.read_text()
        probe = httpx.get(f"{base}/t/{world.slug}/api/v2/units", headers={"Authorization": token})
        if probe.status_code == 404:  # before /api/v2 is served, the same calls under v1
            text = text.replace("/api/v2", "/api/v1")
        monkeypatch.setenv("NGUON_URL", base)
        monkeypatch.setenv("NGUON_TENANT", world.slug)
        monkeypatch.setenv("NGUON_TOKEN", token)
        monkeypatch.setenv("NGUON_UNIT_ID", str(world.units["cell_x"]))
        namespace = await asyncio.to_thread(_run, python_blocks(text))
    assert len(namespace["everyone"]) >= 2
    assert callable(namespace["verify_nguon_signature"])
