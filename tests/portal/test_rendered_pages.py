"""A list page is kept rendered (Postgres) and served again while what it shows is
unchanged; every change to a person, a unit, a helper or who may act shows at once, and
each session gets its own CSRF field in a page rendered for another."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

import pytest

from nguon.clock import today_in_vietnam
from nguon.org.tables import Membership, OrgUnit
from nguon.pipeline.list_read import row_and_digest, write_position
from nguon.pipeline.tables import HelperAssignment
from nguon.portal import rendered
from nguon.portal.rendered import BoundedCache
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import switch_tenant_in_transaction
from tests.conftest import Database
from tests.http.conftest import (
    AppClient,
    World,
    build_world,
    candidate_body,
    csrf_token_in,
    member_body,
    portal_login,
    survey_list_of_one,
    token_for,
)


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The templates rendered for kept pages, in order."""
    done: list[str] = []
    original = rendered.render_marked

    def counting(request: Any, template: str, context: dict[str, Any]) -> str:
        done.append(template)
        return original(request, template, context)

    monkeypatch.setattr(rendered, "render_marked", counting)
    return done


async def _as_owner(db: Database, world: World, change: object) -> None:
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            await change  # type: ignore[misc]


async def test_a_kept_list_page_shows_every_change_at_once(
    postgres_db: Database, pg_client: AppClient, renders: list[str]
) -> None:
    client, db = pg_client, postgres_db
    world = await build_world(db, "giu-trang")
    list_url, headers, person = await survey_list_of_one(client, world)
    await portal_login(client, world.slug, "cell_x_editor")

    first = await client.get(list_url)
    assert first.status_code == 200 and "Đỗ Văn Bình" in first.text
    assert renders == ["list.html"]
    again = await client.get(list_url)
    assert again.text == first.text, "served again, the same page"
    assert renders == ["list.html"], "from what was kept, not rendered anew"

    current = await client.get(f"/t/{world.slug}/api/v1/candidates/{person}", headers=headers)
    renamed = await client.patch(
        f"/t/{world.slug}/api/v1/candidates/{person}",
        json={"version": current.json()["version"], "full_name": "Đỗ Văn Bính"},
        headers=headers,
    )
    assert renamed.status_code == 200, renamed.text
    page = await client.get(list_url)
    assert "Đỗ Văn Bính" in page.text and "Đỗ Văn Bình" not in page.text

    await _as_owner(
        db,
        world,
        OrgUnit.update({OrgUnit.name: "Chi bộ thôn Ngọc Đà Mới"})
        .where(OrgUnit.id == world.units["cell_x"])
        .run(),
    )
    assert "Chi bộ thôn Ngọc Đà Mới" in (await client.get(list_url)).text

    list_id = int(list_url.rsplit("/", 1)[1])
    with tenant_context(world.tenant_id):
        _, before_helper = await row_and_digest(list_id, today_in_vietnam())
    member = await client.post(
        f"/t/{world.slug}/api/v1/members",
        json=member_body(world.units["cell_x"], full_name="Trần Thị Giúp"),
        headers=headers,
    )
    assert member.status_code == 201, member.text
    await _as_owner(
        db,
        world,
        HelperAssignment.insert(
            HelperAssignment(
                tenant_id=world.tenant_id,
                candidate=person,
                member=member.json()["id"],
                assigned_on=dt.date(2020, 1, 1),
            )
        ).run(),
    )
    with tenant_context(world.tenant_id):
        _, with_helper = await row_and_digest(list_id, today_in_vietnam())
    assert with_helper != before_helper, "a helper (a column of later steps' forms) counts"

    before = await client.get(list_url)
    assert "Người dùng cell_y_editor" not in before.text
    await _as_owner(
        db,
        world,
        Membership.insert(
            Membership(
                tenant_id=world.tenant_id,
                user=world.users["cell_y_editor"],
                # A role on the list's own unit: one on the commune above only reads it.
                unit=world.units["cell_x"],
                role="editor",
                valid_from=dt.date(2020, 1, 1),
            )
        ).run(),
    )
    after = await client.get(list_url)
    assert "Người dùng cell_y_editor" in after.text, "who may take the next step"


async def test_each_session_gets_its_own_csrf_field_in_a_kept_page(
    postgres_db: Database, pg_client: AppClient, renders: list[str]
) -> None:
    world = await build_world(postgres_db, "giu-trang-csrf")
    list_url, _, _ = await survey_list_of_one(pg_client, world)
    other = AppClient(pg_client.app)
    async with other:
        for client in (pg_client, other):
            await portal_login(client, world.slug, "cell_x_editor")
        mine = await pg_client.get(list_url)
        theirs = await other.get(list_url)
        assert renders == ["list.html"], "the same page, rendered once"
        assert csrf_token_in(mine.text) != csrf_token_in(theirs.text)
        for client in (pg_client, other):
            page = await client.get(list_url)
            version = re.search(r'name="version" value="(\d+)"', page.text)
            assert version
            refreshed = await client.post(
                f"{list_url}/refresh",
                data={"version": version.group(1), "_csrf_token": csrf_token_in(page.text)},
            )
            assert refreshed.status_code == 303, "the session's own token is accepted"


async def test_a_page_kept_for_one_user_is_not_served_to_another(
    postgres_db: Database, pg_client: AppClient
) -> None:
    world = await build_world(postgres_db, "giu-trang-nguoi")
    list_url, _, _ = await survey_list_of_one(pg_client, world)
    await portal_login(pg_client, world.slug, "cell_x_editor")
    editor = await pg_client.get(list_url)
    await portal_login(pg_client, world.slug, "cell_x_viewer")
    viewer = await pg_client.get(list_url)
    assert 'id="h-edit"' in editor.text, "an editor may change the list"
    assert 'id="h-edit"' not in viewer.text, "a viewer may not"
    assert 'class="who" title="Đổi mật khẩu">Người dùng cell_x_viewer' in viewer.text


async def test_every_committed_change_moves_the_write_position(
    postgres_db: Database,
) -> None:
    """The page kept under the write position relies on this: a commit that changed
    anything, on any connection, moves it (a read does not need to)."""
    world = await build_world(postgres_db, "vi-tri-ghi")
    with tenant_context(world.tenant_id):
        before = await write_position()
    await _as_owner(
        postgres_db,
        world,
        OrgUnit.update({OrgUnit.name: "Chi bộ thôn Đình Dù Mới"})
        .where(OrgUnit.id == world.units["cell_y"])
        .run(),
    )
    with tenant_context(world.tenant_id):
        after = await write_position()
    assert after != before


def test_the_cache_keeps_the_most_recently_used_pages_only() -> None:
    cache = BoundedCache[str](2)
    cache.put(b"a", "A")
    cache.put(b"b", "B")
    assert cache.get(b"a") == "A"
    cache.put(b"c", "C")
    assert cache.get(b"b") is None and cache.get(b"a") == "A" and cache.get(b"c") == "C"
    off = BoundedCache[str](0)
    off.put(b"a", "A")
    assert off.get(b"a") is None and len(off) == 0


async def test_requests_arriving_together_render_a_missing_page_once() -> None:
    flights, kept, renders = rendered.SingleFlight(), BoundedCache[str](4), []

    async def view() -> str:
        async with flights.after_others(b"page"):
            found = kept.get(b"page")
            if found is None:
                await asyncio.sleep(0.01)  # reading and rendering
                renders.append(1)
                found = "<html>"
                kept.put(b"page", found)
            return found

    assert await asyncio.gather(*(view() for _ in range(10))) == ["<html>"] * 10
    assert renders == [1]


async def test_a_failed_render_leaves_the_others_to_try() -> None:
    flights, attempts = rendered.SingleFlight(), []

    async def view() -> None:
        async with flights.after_others(b"page"):
            attempts.append(1)
            await asyncio.sleep(0)
            raise RuntimeError("the database went away")

    results = await asyncio.gather(*(view() for _ in range(3)), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results) and len(attempts) == 3


async def test_a_kept_dashboard_counts_a_new_candidate_at_once(
    postgres_db: Database, pg_client: AppClient, renders: list[str]
) -> None:
    world = await build_world(postgres_db, "giu-tong-hop")
    headers = await token_for(pg_client, world.slug, "admin")
    await portal_login(pg_client, world.slug, "district_1_editor")
    url = f"/t/{world.slug}/units/{world.units['district_1']}/dashboard"
    first = await pg_client.get(url)
    assert "Khảo sát: 0" in first.text
    assert renders == ["dashboard.html"], "rendered to be kept"
    made = await pg_client.post(
        f"/t/{world.slug}/api/v1/candidates",
        json=candidate_body(world.units["cell_x"], full_name="Lê Văn Mới"),
        headers=headers,
    )
    assert made.status_code == 201, made.text
    after = await pg_client.get(url)
    assert "Khảo sát: 1" in after.text
