"""A form posted over plain http: the CSRF cookie is Secure, so the browser never sends it
back; the 403 page says why instead of "no permission"."""

from __future__ import annotations

import httpx

from nguon.app import create_app
from tests.conftest import Database
from tests.http.conftest import PASSWORD, app_settings, build_world, csrf_token_in, started


async def test_a_form_over_http_is_refused_with_the_reason_not_as_no_permission(
    db: Database,
) -> None:
    world = await build_world(db, "csrf-http")
    async with started(create_app(app_settings(), engine=db.app)) as client:
        for base, explained in (("http://portal.example", True), ("https://portal.example", False)):
            plain = httpx.AsyncClient(transport=client._transport, base_url=base)
            async with plain:
                page = await plain.get(f"/t/{world.slug}/login")
                assert page.status_code == 200
                secure = "secure" in page.headers["set-cookie"].lower()
                assert secure  # the cookie goes back over https only
                plain.cookies.clear()  # what a browser keeps of a Secure cookie over http
                refused = await plain.post(
                    f"/t/{world.slug}/login",
                    data={
                        "username": "district_1_editor",
                        "password": PASSWORD,
                        "_csrf_token": csrf_token_in(page.text),
                    },
                )
            assert refused.status_code == 403
            said = "vì trang được mở qua http://" in refused.text
            assert said is explained, refused.text
            assert ("Bạn không có quyền thực hiện việc này." in refused.text) is not explained
            # The page's title says it too, not "Không có quyền".
            assert ("<title>Cần mở trang qua https://" in refused.text) is explained
            assert ("<title>Không có quyền" in refused.text) is not explained
