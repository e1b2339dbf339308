"""A signed-in user's page views do not each rewrite the stored session or resend its
cookie: an unchanged session is written back, and its cookie renewed, at most every few
minutes, which still keeps both alive; a changed or rotated one at once."""

from __future__ import annotations

import time

import pytest

from nguon.api import sessions
from nguon.api.sessions import RotatingSessionBackend
from tests.conftest import Database
from tests.http.conftest import AppClient, build_world, portal_login


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    written: list[dict[str, object]] = []
    original = RotatingSessionBackend.set

    async def counting_set(self: RotatingSessionBackend, *args: object, **kwargs: object) -> None:
        written.append(dict(kwargs))
        await original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(RotatingSessionBackend, "set", counting_set)
    return written


async def test_page_views_reuse_a_fresh_session_and_renew_an_old_one(
    db: Database,
    client: AppClient,
    writes: list[dict[str, object]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = await build_world(db, "phien")
    await portal_login(client, world.slug, "cell_x_editor")
    assert writes, "signing in stores the session"
    cookie = client.cookies["nguon_session"]
    writes.clear()
    for _ in range(3):
        page = await client.get(f"/t/{world.slug}/")
        assert page.status_code == 200
        assert not any(c.startswith("nguon_session=") for c in page.headers.get_list("set-cookie"))
    assert writes == []
    assert client.cookies["nguon_session"] == cookie

    later = time.time() + sessions.RENEW_EVERY + 1
    monkeypatch.setattr(sessions.time, "time", lambda: later)
    renewed = await client.get(f"/t/{world.slug}/")
    assert renewed.status_code == 200
    assert len(writes) == 1, "an old session's expiry is pushed forward"
    sent = [c for c in renewed.headers.get_list("set-cookie") if c.startswith("nguon_session=")]
    assert sent and "Max-Age=28800" in sent[0], "and its cookie with it"
    assert (await client.get(f"/t/{world.slug}/")).status_code == 200
    assert len(writes) == 1


async def test_signing_out_still_ends_the_session(db: Database, client: AppClient) -> None:
    world = await build_world(db, "phien-het")
    await portal_login(client, world.slug, "cell_x_editor")
    assert (await client.get(f"/t/{world.slug}/")).status_code == 200
    home = await client.get(f"/t/{world.slug}/")
    token = home.text.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
    out = await client.post(f"/t/{world.slug}/logout", data={"_csrf_token": token})
    assert out.status_code in (200, 303)
    again = await client.get(f"/t/{world.slug}/", follow_redirects=False)
    assert again.status_code in (302, 303) and "/login" in again.headers["location"]
