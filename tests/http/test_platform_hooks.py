"""The platform hooks create_app calls: plugin routes and the app configuration."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from litestar import get
from litestar.config.app import AppConfig

from nguon import plugins
from nguon.app import create_app
from nguon.hooks import hookimpl
from tests.conftest import Database


@get("/plugin-ping", sync_to_thread=False)
def plugin_ping() -> dict[str, str]:
    return {"pong": "from a plugin"}


class RoutesPlugin:
    @hookimpl
    def register_routes(self) -> list:
        return [plugin_ping]


class ConfigPlugin:
    @hookimpl
    def prepare_app_config(self, app_config: AppConfig) -> None:
        app_config.before_send.append(_mark_response)


async def _mark_response(message: dict, scope: dict) -> None:
    if message["type"] == "http.response.start":
        message.setdefault("headers", []).append((b"x-nguon-plugin", b"config"))


@pytest.fixture
def registered() -> Iterator[None]:
    manager = plugins.get_plugin_manager()
    routes, config = RoutesPlugin(), ConfigPlugin()
    manager.register(routes)
    manager.register(config)
    yield
    manager.unregister(routes)
    manager.unregister(config)


async def _client(db: Database) -> httpx.AsyncClient:
    app = create_app(engine=db.app, secure_cookies=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_register_routes_mounts_a_plugin_route(sqlite_db: Database, registered: None) -> None:
    async with await _client(sqlite_db) as client:
        response = await client.get("/plugin-ping")
    assert response.status_code == 200
    assert response.json() == {"pong": "from a plugin"}


async def test_prepare_app_config_changes_the_app(sqlite_db: Database, registered: None) -> None:
    async with await _client(sqlite_db) as client:
        response = await client.get("/plugin-ping")
    assert response.headers["x-nguon-plugin"] == "config"


async def test_without_plugins_neither_exists(sqlite_db: Database) -> None:
    async with await _client(sqlite_db) as client:
        response = await client.get("/plugin-ping")
    assert response.status_code == 404
    assert "x-nguon-plugin" not in response.headers
