"""A dashboard takes its unit and the tree from the stamp read with the viewer's access
(Postgres, page cache off): a unit added between two views shows at the next one, and a
unit out of the viewer's reach is the same 404 as one that does not exist."""

from __future__ import annotations

import msgspec

from nguon.app import create_app
from nguon.org.tables import OrgUnit
from nguon.tenancy.context import tenant_context
from tests.conftest import Database
from tests.http.conftest import _add_unit, app_settings, build_world, portal_login, started


async def test_a_unit_added_between_two_views_shows_at_the_next(postgres_db: Database) -> None:
    settings = msgspec.structs.replace(app_settings(), rendered_pages=0)
    async with started(create_app(settings, engine=postgres_db.app)) as client:
        world = await build_world(postgres_db, "cay-moi")
        slug, district = world.slug, world.units["district_1"]
        await portal_login(client, slug, "admin")
        url = f"/t/{slug}/units/{district}/dashboard"
        before = await client.get(url)
        assert before.status_code == 200 and "Đảng ủy xã Đình Dù" not in before.text

        with postgres_db.as_owner(), tenant_context(world.tenant_id):
            parent = await OrgUnit.objects().get(OrgUnit.id == district)
            added = await _add_unit(
                world.tenant_id, "DDU", "Đảng ủy xã Đình Dù", "grassroots_committee", parent
            )

        after = await client.get(url)
        assert after.status_code == 200 and "Đảng ủy xã Đình Dù" in after.text
        own = await client.get(f"/t/{slug}/units/{added.id}/dashboard")
        assert own.status_code == 200 and "Đảng ủy xã Đình Dù" in own.text


async def test_a_unit_out_of_reach_is_not_found(postgres_db: Database) -> None:
    settings = msgspec.structs.replace(app_settings(), rendered_pages=0)
    async with started(create_app(settings, engine=postgres_db.app)) as client:
        world = await build_world(postgres_db, "ngoai-tam")
        other = await build_world(postgres_db, "tinh-khac")
        slug = world.slug
        await portal_login(client, slug, "district_1_editor")
        mine = await client.get(f"/t/{slug}/units/{world.units['district_1']}/dashboard")
        assert mine.status_code == 200
        for unit_id in (
            world.units["district_2"],
            world.units["province"],
            other.units["district_1"],
            max(other.units.values()) + 1000,
        ):
            page = await client.get(f"/t/{slug}/units/{unit_id}/dashboard")
            assert page.status_code == 404, (unit_id, page.status_code)
