"""A session is created only when one is needed: anonymous requests never touch the
session store and get no ``nguon_session=null`` cookie; signing out still clears it."""

from __future__ import annotations

import pytest

from nguon.api.sessions import RotatingSessionBackend
from tests.conftest import Database
from tests.http.conftest import AppClient, build_world, portal_login


@pytest.fixture
def store_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    for name in ("get", "set", "delete"):
        original = getattr(RotatingSessionBackend, name)

        def recording(self, *args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(RotatingSessionBackend, name, recording)
    return calls


def _session_cookies(response) -> list[str]:
    return [c for c in response.headers.get_list("set-cookie") if c.startswith("nguon_session=")]


async def test_anonymous_requests_leave_the_session_store_alone(
    db: Database, client: AppClient, store_calls: list[str]
) -> None:
    world = await build_world(db, "anon")
    for path in (f"/t/{world.slug}/login", f"/t/{world.slug}/", "/health", "/static/portal.css"):
        response = await client.get(path)
        assert response.status_code < 500, path
        assert _session_cookies(response) == [], path
    client.cookies.set("nguon_session", "null")  # what an earlier sign-out left behind
    response = await client.get(f"/t/{world.slug}/login")
    assert response.status_code == 200
    assert _session_cookies(response) == []
    assert store_calls == []


async def test_signing_in_and_out_still_store_and_clear_the_session(
    db: Database, client: AppClient, store_calls: list[str]
) -> None:
    world = await build_world(db, "anon-out")
    await portal_login(client, world.slug, "cell_x_editor")
    assert "set" in store_calls
    home = await client.get(f"/t/{world.slug}/")
    token = home.text.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
    out = await client.post(f"/t/{world.slug}/logout", data={"_csrf_token": token})
    assert "delete" in store_calls
    assert any("Max-Age=0" in c or "expires=" in c.lower() for c in _session_cookies(out))
