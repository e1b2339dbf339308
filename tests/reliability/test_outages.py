"""Outages with a real server process: the database or Redis behind a TCP proxy the test
stops and starts. While one is down the server answers 503 with ``Retry-After`` (never
500), and it serves again once it is back, without a restart."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_DATABASE, TEST_ROLES, Database
from tests.http.conftest import PASSWORD, World, build_world
from tests.problems import assert_problem
from tests.reliability.proxy import TcpProxy
from tests.reliability.servers import running_server, wait_until

_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


@pytest.fixture
def postgres_proxy() -> Iterator[TcpProxy]:
    proxy = TcpProxy("127.0.0.1", 5432)
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture
def redis_proxy(redis_url: str) -> Iterator[TcpProxy]:
    proxy = TcpProxy("127.0.0.1", 6379)
    proxy.start()
    yield proxy
    proxy.stop()


def _app_url(port: int) -> str:
    return f"postgresql://{TEST_ROLES.app}@127.0.0.1:{port}/{TEST_DATABASE}"


def _sign_in(http: httpx.Client, slug: str, username: str) -> httpx.Response:
    page = http.get(f"/t/{slug}/login")
    assert page.status_code == 200, page.text
    match = _CSRF.search(page.text)
    assert match, page.text
    return http.post(
        f"/t/{slug}/login",
        data={"username": username, "password": PASSWORD, "_csrf_token": match.group(1)},
    )


def _token(http: httpx.Client, world: World) -> dict[str, str]:
    response = http.post(
        f"/t/{world.slug}/api/v1/auth/token", json={"username": "admin", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _session_cookies(response: httpx.Response) -> list[str]:
    return [v for v in response.headers.get_list("set-cookie") if v.startswith("nguon_session")]


async def test_the_database_down_answers_503_with_retry_after_then_serves_again(
    postgres_db: Database, postgres_proxy: TcpProxy, tmp_path: Path
) -> None:
    world = await build_world(postgres_db, "outage-db")
    candidates = f"/t/{world.slug}/api/v1/candidates"
    with (
        running_server(_app_url(postgres_proxy.port), tmp_path / "server.log") as server,
        httpx.Client(base_url=server.base, timeout=30) as http,
    ):
        token = _token(http, world)
        assert _sign_in(http, world.slug, "admin").status_code == 303
        assert http.get(candidates, headers=token).status_code == 200

        postgres_proxy.stop()
        api = http.get(candidates, headers=token)
        assert api.status_code == 503, api.text
        assert api.headers["retry-after"] == "30"
        problem = assert_problem(api, 503, "service_unavailable")
        assert problem["retry_after"] == 30
        assert problem["detail"].startswith("Cơ sở dữ liệu tạm thời không truy cập được")
        assert (
            problem["detail_en"] == "The database is temporarily unavailable, please retry later."
        )
        write = http.post(candidates, headers=token, json={"full_name": "x"})
        assert write.status_code in {400, 503}, write.text  # validated before any query
        page = http.get(f"/t/{world.slug}/")
        assert page.status_code == 503
        assert page.headers["retry-after"] == "30"
        assert "text/html" in page.headers["content-type"]
        assert "Tạm thời gián đoạn" in page.text
        assert "Cơ sở dữ liệu tạm thời không truy cập được" in page.text
        health = http.get("/health")
        assert health.status_code == 503
        assert health.json() == {
            "status": "unavailable",
            "database": False,
            "session_store": False,
        }

        postgres_proxy.start()
        wait_until(
            lambda: http.get(candidates, headers=token).status_code == 200,
            15,
            "the API answers again once the database is back",
        )
        assert http.get(f"/t/{world.slug}/").status_code == 200
        assert http.get("/health").json()["status"] == "ok"
        assert server.process.poll() is None  # the same process: no restart
    log = (tmp_path / "server.log").read_text()
    assert "unhandled error" not in log, log  # every failure was an outage, none a 500


async def test_redis_down_refuses_sign_in_with_a_page_and_api_tokens_keep_working(
    postgres_db: Database, redis_proxy: TcpProxy, tmp_path: Path
) -> None:
    world = await build_world(postgres_db, "outage-redis")
    database_url = f"postgresql://{TEST_ROLES.app}@127.0.0.1:5432/{TEST_DATABASE}"
    redis_url = f"redis://127.0.0.1:{redis_proxy.port}/15"
    candidates = f"/t/{world.slug}/api/v1/candidates"
    with (
        running_server(database_url, tmp_path / "server.log", redis_url=redis_url) as server,
        httpx.Client(base_url=server.base, timeout=30) as http,
    ):
        token = _token(http, world)
        assert _sign_in(http, world.slug, "admin").status_code == 303
        http.cookies.clear()

        redis_proxy.stop()
        login_page = http.get(f"/t/{world.slug}/login")
        assert login_page.status_code == 200
        assert _session_cookies(login_page) == []  # no session store, no "null" cookie
        refused = _sign_in(http, world.slug, "admin")
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "30"
        assert "text/html" in refused.headers["content-type"]
        assert "Tạm thời chưa đăng nhập được" in refused.text
        assert http.get(candidates, headers=token).status_code == 200
        health = http.get("/health")
        assert health.status_code == 200
        assert health.json() == {"status": "degraded", "database": True, "session_store": False}

        redis_proxy.start()
        wait_until(lambda: http.get("/health").json()["status"] == "ok", 15, "Redis answers again")
        assert _sign_in(http, world.slug, "admin").status_code == 303
        assert http.get(f"/t/{world.slug}/").status_code == 200
