"""Two server processes share portal sessions: through Redis, or the database."""

from __future__ import annotations

import msgspec

from nguon.app import create_app
from tests.conftest import Database
from tests.http.conftest import AppClient, app_settings, build_world, portal_login


async def test_a_session_made_by_one_server_is_valid_on_another(
    sqlite_db: Database, redis_url: str
) -> None:
    world = await build_world(sqlite_db, "shared-sessions")
    settings = msgspec.structs.replace(app_settings(), redis_url=redis_url)
    first = create_app(settings, engine=sqlite_db.app)
    second = create_app(settings, engine=sqlite_db.app)
    async with AppClient(first) as one, AppClient(second) as two:
        await portal_login(one, world.slug, "admin")
        two.cookies.set("nguon_session", one.cookies["nguon_session"])
        home = await two.get(f"/t/{world.slug}/")
        assert home.status_code == 200

        still_valid = await one.get(f"/t/{world.slug}/")
        assert still_valid.status_code == 200


async def test_without_redis_the_database_shares_sessions(sqlite_db: Database) -> None:
    world = await build_world(sqlite_db, "db-sessions")
    first = create_app(app_settings(), engine=sqlite_db.app)
    second = create_app(app_settings(), engine=sqlite_db.app)
    async with AppClient(first) as one, AppClient(second) as two:
        await portal_login(one, world.slug, "admin")
        two.cookies.set("nguon_session", one.cookies["nguon_session"])
        assert (await two.get(f"/t/{world.slug}/")).status_code == 200
