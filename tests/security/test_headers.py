"""Security headers on every response: pages, API answers, errors, static files."""

from __future__ import annotations

import re
from pathlib import Path

from nguon.api.security_headers import inline_script_hashes
from tests.conftest import Database
from tests.http.conftest import AppClient, build_world, portal_login, token_for

TEMPLATES = Path(__file__).resolve().parents[2] / "platform" / "nguon" / "portal" / "templates"


def _assert_secure(headers: dict[str, str] | object, path: str) -> None:
    csp = headers["content-security-policy"]  # type: ignore[index]
    assert "frame-ancestors 'none'" in csp, path
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, path
    assert re.search(r"script-src 'self'( 'sha256-[^']+')*;", csp), path
    assert headers["x-content-type-options"] == "nosniff", path  # type: ignore[index]
    assert headers["referrer-policy"] == "same-origin", path  # type: ignore[index]
    assert headers["strict-transport-security"].startswith("max-age="), path  # type: ignore[index]


async def test_every_kind_of_response_carries_the_headers(db: Database, client: AppClient) -> None:
    world = await build_world(db, "headers")
    api = await token_for(client, world.slug, "admin")
    answers = {
        "login page": await client.get(f"/t/{world.slug}/login"),
        "api list": await client.get(f"/t/{world.slug}/api/v1/units", headers=api),
        "api 404": await client.get(f"/t/{world.slug}/api/v1/units/999999", headers=api),
        "api 401": await client.get(f"/t/{world.slug}/api/v1/units"),
        "router 404": await client.get("/khong-co-trang-nay"),
        "health": await client.get("/health"),
        "openapi": await client.get("/schema/openapi.json"),
        "static": await client.get("/static/portal.css"),
    }
    await portal_login(client, world.slug, "admin")
    answers["portal page"] = await client.get(f"/t/{world.slug}/units/{world.units['cell_x']}")
    for name, response in answers.items():
        _assert_secure(response.headers, name)
        cache = response.headers.get("cache-control", "")
        if name == "static":
            assert "no-store" not in cache
        else:
            assert cache == "no-store", name


async def test_hsts_only_over_tls(db: Database, client: AppClient) -> None:
    plain = await client.get("http://testserver.local/health")
    assert "strict-transport-security" not in plain.headers
    assert plain.headers["x-content-type-options"] == "nosniff"


def test_every_inline_script_of_the_templates_is_allowed_by_its_hash() -> None:
    inline = [
        body
        for template in TEMPLATES.rglob("*.html")
        for body in re.findall(
            r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", template.read_text(), re.DOTALL
        )
    ]
    assert len(inline_script_hashes(TEMPLATES)) == len(set(inline))
    # No inline event handlers or javascript: links, which no hash can allow.
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"\son[a-z]+\s*=", text), template.name
        assert "javascript:" not in text, template.name


async def test_hsts_when_a_trusted_proxy_says_the_request_came_over_https(
    db: Database, proxied: AppClient
) -> None:
    world = await build_world(db, "hsts-proxy")
    url = f"http://testserver.local/t/{world.slug}/login"
    told = await proxied.get(url, headers={"X-Forwarded-Proto": "https"})
    assert told.headers["strict-transport-security"].startswith("max-age=")
    plain = await proxied.get(url, headers={"X-Forwarded-Proto": "http"})
    assert "strict-transport-security" not in plain.headers


async def test_an_untrusted_peer_cannot_claim_https(db: Database, client: AppClient) -> None:
    world = await build_world(db, "hsts-forged")
    url = f"http://testserver.local/t/{world.slug}/login"
    forged = await client.get(url, headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in forged.headers
