"""Two server processes behind one address behave as one server: a session made by
one is valid on the other, and login failures and lock-outs are counted together.
Once with the database as the shared store, once with Redis."""

from __future__ import annotations

import re

import httpx
import pytest
import redis.asyncio as redis
from piccolo.engine.sqlite import SQLiteEngine

from tests.conftest import Database
from tests.http.conftest import PASSWORD, World, build_world
from tests.portal.servers import server

_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def login(client: httpx.Client, slug: str, username: str, password: str) -> httpx.Response:
    page = client.get(f"/t/{slug}/login")
    match = _CSRF.search(page.text)
    assert match, page.text
    return client.post(
        f"/t/{slug}/login",
        data={"username": username, "password": password, "_csrf_token": match.group(1)},
    )


@pytest.fixture(params=["database", "redis"])
def store_url(request: pytest.FixtureRequest) -> str | None:
    """None: the shared store in the database; else the Redis URL (checked reachable)."""
    if request.param == "database":
        return None
    return request.getfixturevalue("redis_url")


async def _forget_counters(world: World, redis_url: str | None) -> None:
    """Tenant ids restart with each test database; Redis outlives it."""
    if redis_url is None:
        return
    client = redis.from_url(redis_url)
    try:
        async for key in client.scan_iter(f"nguon_login:*:{world.tenant_id}:*"):
            await client.delete(key)
    finally:
        await client.aclose()


def _database_url(db: Database) -> str:
    assert isinstance(db.app, SQLiteEngine)
    return f"sqlite:///{db.app.path}"


async def test_two_processes_share_sessions_and_lock_outs(
    sqlite_db: Database, store_url: str | None
) -> None:
    world = await build_world(sqlite_db, "two-procs")
    other = await build_world(sqlite_db, "two-procs-rate")
    for each in (world, other):
        await _forget_counters(each, store_url)
    url = _database_url(sqlite_db)
    with (
        server(url, redis_url=store_url) as first,
        server(url, redis_url=store_url) as second,
        httpx.Client(base_url=first) as one,
        httpx.Client(base_url=second) as two,
    ):
        signed_in = login(one, world.slug, "admin", PASSWORD)
        assert signed_in.status_code == 303
        two.cookies.set("nguon_session", one.cookies["nguon_session"])
        home = two.get(f"/t/{world.slug}/")
        assert home.status_code == 200
        assert "Đơn vị của tôi" in home.text

        for attempt in range(5):
            client = one if attempt % 2 == 0 else two
            failed = login(client, world.slug, "cell_x_editor", "mật khẩu sai")
            assert failed.status_code == 401
        assert "tạm khóa" in failed.text
        for client in (one, two):
            refused = login(client, world.slug, "cell_x_editor", PASSWORD)
            assert refused.status_code == 429
            assert "Tài khoản tạm khóa" in refused.text
            assert int(refused.headers["retry-after"]) > 14 * 60

        # Made-up names from the same address, on both processes, refuse no real user.
        for attempt in range(20):
            client = one if attempt % 2 == 0 else two
            answer = login(client, other.slug, f"khong-co-{attempt}", "mật khẩu sai")
            assert answer.status_code == 401
        for client in (one, two):
            assert login(client, other.slug, "admin", PASSWORD).status_code == 303
