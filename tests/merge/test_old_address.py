"""After a merge the old address shows nothing: 410 for its API, a notice for its portal;
sessions and tokens of the old tenant no longer work anywhere; the same users sign in at
the new address."""

from __future__ import annotations

import re

from litestar.routes import HTTPRoute

from nguon.plugin_admin.tables import TenantPlugin
from nguon.tenancy.context import tenant_context
from tests.conftest import Database
from tests.http.conftest import BASE_URL, PASSWORD, portal_login, send, serving, token_for
from tests.merge.conftest import MERGED_ON, Provinces, merge_as_owner


async def test_the_old_address_answers_gone_and_says_where_the_province_went(
    db: Database,
    provinces: Provinces,
) -> None:
    p = provinces
    old, new = p.source.slug, p.target.slug
    list_path = f"/api/v1/lists/{p.source.list_id}"
    async with serving(db) as client:
        token = await token_for(client, old, "tb.cell")
        await portal_login(client, old, "tb.cell")
        assert (await client.get(f"/t/{old}/", follow_redirects=False)).status_code == 200
        assert (await client.get(f"/t/{old}{list_path}", headers=token)).status_code == 200
        cookies = client.cookies

    await merge_as_owner(db, p)

    async with serving(db) as client:
        client.cookies = cookies
        api = await client.get(f"/t/{old}{list_path}", headers=token)
        assert api.status_code == 410
        body = api.json()
        assert body["merged_into"] == new
        assert body["merged_on"] == MERGED_ON.isoformat()
        assert body["url"] == f"{BASE_URL}/t/{new}{list_path}"
        assert "Tỉnh Hưng Yên" in body["detail"]
        signing_in = await client.post(
            f"/t/{old}/api/v1/auth/token", json={"username": "tb.cell", "password": PASSWORD}
        )
        assert signing_in.status_code == 410
        assert signing_in.json()["merged_into"] == new

        page = await client.get(f"/t/{old}/login")
        assert page.status_code == 410
        assert "Tỉnh Thái Bình đã hợp nhất" in page.text
        assert "nay làm việc với tên" in page.text and "Tỉnh Hưng Yên" in page.text
        assert "01/07/2025" in page.text
        assert f'href="/t/{new}/login"' in page.text
        assert 'name="password"' not in page.text
        home = await client.get(f"/t/{old}/")
        assert home.status_code == 410 and f'href="/t/{new}/login"' in home.text

        # The old session and token name the old tenant: not valid at the new address.
        assert (await client.get(f"/t/{new}{list_path}", headers=token)).status_code == 401
        again = await client.get(f"/t/{new}/", follow_redirects=False)
        assert again.status_code in {302, 303}
        assert again.headers["location"].startswith(f"/t/{new}/login")

        # The same user, the same password, at the new address: the 2024 list is there.
        await portal_login(client, new, "tb.cell")
        assert (await client.get(f"/t/{new}/")).status_code == 200
        fresh = await token_for(client, new, "tb.cell")
        detail = await client.get(f"/t/{new}{list_path}", headers=fresh)
        assert detail.status_code == 200
        assert detail.json()["list"]["unit_name"] == "Chi bộ thôn Trung An"


async def test_a_tenant_merged_twice_points_to_where_it_lives_now(
    db: Database,
    provinces: Provinces,
) -> None:
    p = provinces
    await merge_as_owner(db, p)
    # Both hold deadline_reminders settings now: the operator keeps one (a conflict).
    with db.as_owner(), tenant_context(p.third.tenant_id):
        await TenantPlugin.delete().where(TenantPlugin.tenant_id == p.third.tenant_id).run()
    await merge_as_owner(db, Provinces(source=p.target, target=p.third, third=p.third))
    async with serving(db) as client:
        api = await client.get(f"/t/{p.source.slug}/api/v1/lists/{p.source.list_id}")
        page = await client.get(f"/t/{p.source.slug}/login")
    assert api.status_code == 410 and api.json()["merged_into"] == p.third.slug
    assert page.status_code == 410 and "Tỉnh Bắc Giang" in page.text


_PARAM = re.compile(r"\{(\w+):(\w+)\}")


async def test_every_route_of_the_old_address_answers_gone(
    db: Database,
    provinces: Provinces,
) -> None:
    p = provinces
    await merge_as_owner(db, p)
    async with serving(db) as client:
        token = await token_for(client, p.target.slug, "tb.cell")
        checked = 0
        for route in client.app.routes:
            if not isinstance(route, HTTPRoute) or not route.path.startswith("/t/{tenant:str}"):
                continue
            api = route.path.startswith("/t/{tenant:str}/api/")
            path = _PARAM.sub(
                lambda m: p.source.slug if m.group(1) == "tenant" else "1", route.path
            )
            # Portal forms are guarded by CSRF before any route runs; their GET pages are not.
            methods = route.methods - {"OPTIONS", "HEAD"} if api else route.methods & {"GET"}
            for method in sorted(methods):
                response = await send(client, method, path, {}, token)
                assert response.status_code == 410, (method, path, response.text)
                if api:
                    assert response.json()["merged_into"] == p.target.slug
                else:
                    assert f'href="/t/{p.target.slug}/login"' in response.text
                checked += 1
    assert checked >= 50
