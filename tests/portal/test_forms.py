"""Every portal form needs its CSRF token; sign-in locks after five wrong passwords;
changing one's password checks what it should."""

from __future__ import annotations

import re

from litestar import Litestar

from nguon.api.router import CSRF_EXEMPT_PATTERN
from tests.conftest import Database
from tests.http.conftest import (
    PASSWORD,
    AppClient,
    build_world,
    csrf_token_in,
    portal_login,
    token_for,
)

_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def unsafe_portal_routes(app: Litestar) -> list[tuple[str, str]]:
    """(method, path) of every route that changes something, outside the token API."""
    found = []
    for route in app.routes:
        if re.match(CSRF_EXEMPT_PATTERN, route.path.replace("{tenant:str}", "x")):
            continue
        for method in sorted(set(getattr(route, "methods", ())) & _UNSAFE):
            found.append((method, route.path))
    return found


def concrete(path: str, slug: str) -> str:
    path = path.replace("{tenant:str}", slug)
    return re.sub(r"\{[a-z_]+:(int|str)\}", "1", path)


async def test_every_portal_form_refuses_a_request_without_the_csrf_token(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "csrf-all")
    routes = unsafe_portal_routes(client.app)
    paths = {path for _, path in routes}
    # The enumeration finds the forms that exist today (and every future one).
    for expected in ("/login", "/logout", "/account/password", "/candidates/new"):
        assert any(p.endswith(expected) for p in paths), (expected, paths)
    await portal_login(client, world.slug, "admin")
    for method, path in routes:
        url = concrete(path, world.slug)
        response = await client.request(method, url, data={"username": "admin"})
        assert response.status_code == 403, (method, url, response.status_code)
    # Still signed in: none of the refused requests did anything.
    assert (await client.get(f"/t/{world.slug}/")).status_code == 200


async def login(client: AppClient, slug: str, username: str, password: str) -> int:
    page = await client.get(f"/t/{slug}/login")
    response = await client.post(
        f"/t/{slug}/login",
        data={"username": username, "password": password, "_csrf_token": csrf_token_in(page.text)},
    )
    return response.status_code


async def test_the_sixth_wrong_password_is_refused_even_when_right(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "lockout")
    for _ in range(5):
        assert await login(client, world.slug, "cell_x_editor", "sai mật khẩu") == 401
    page = await client.get(f"/t/{world.slug}/login")
    refused = await client.post(
        f"/t/{world.slug}/login",
        data={
            "username": "cell_x_editor",
            "password": PASSWORD,
            "_csrf_token": csrf_token_in(page.text),
        },
    )
    assert refused.status_code == 429
    assert "Tài khoản tạm khóa do nhập sai mật khẩu nhiều lần liên tiếp" in refused.text
    assert re.search(r"Hãy thử lại sau \d\d:\d\d ngày \d\d/\d\d/\d{4}", refused.text)
    assert (await client.get(f"/t/{world.slug}/")).status_code in {302, 303}
    # Other users are not affected.
    assert await login(client, world.slug, "cell_y_editor", PASSWORD) == 303
    # An unknown name gets exactly the same treatment, so names cannot be probed.
    other = await build_world(db, "lockout-unknown")
    for _ in range(5):
        assert await login(client, other.slug, "khong-ton-tai", "sai mật khẩu") == 401
    assert await login(client, other.slug, "khong-ton-tai", "sai mật khẩu") == 429


async def test_changing_the_password(db: Database, client: AppClient) -> None:
    world = await build_world(db, "password")
    await portal_login(client, world.slug, "cell_y_editor")
    url = f"/t/{world.slug}/account/password"
    page = await client.get(url)
    assert '<label for="new_password">Mật khẩu mới' in page.text

    async def submit(current: str, new: str, confirm: str) -> tuple[int, str]:
        form = await client.get(url)
        response = await client.post(
            url,
            data={
                "current_password": current,
                "new_password": new,
                "confirm_password": confirm,
                "_csrf_token": csrf_token_in(form.text),
            },
        )
        return response.status_code, response.text

    status, html = await submit("sai", "ngắn", "khác")
    assert status == 400
    assert "Mật khẩu hiện tại không đúng." in html
    assert "Mật khẩu mới cần ít nhất 10 ký tự." in html
    assert "Mật khẩu nhập lại không khớp với mật khẩu mới." in html
    assert 'aria-describedby="new_password-hint new_password-error"' in html

    status, html = await submit(PASSWORD, "cell_y_editor", "cell_y_editor")
    assert status == 400 and "không được trùng với tên đăng nhập" in html

    new = "một câu mật khẩu mới 2025"
    status, html = await submit(PASSWORD, new, new)
    assert status == 200 and "Đã đổi mật khẩu" in html
    assert await login(client, world.slug, "cell_y_editor", PASSWORD) == 401
    assert await login(client, world.slug, "cell_y_editor", new) == 303


async def test_changing_the_password_ends_every_other_session_and_token(
    db: Database, client: AppClient
) -> None:
    """Someone who learnt the old password and signed in elsewhere is out once it changes;
    the session that changed it stays signed in."""
    world = await build_world(db, "password-ends")
    slug = world.slug
    elsewhere = AppClient(client.app)
    async with elsewhere:
        await portal_login(client, slug, "cell_y_editor")
        await portal_login(elsewhere, slug, "cell_y_editor")
        old_token = await token_for(client, slug, "cell_y_editor")
        me = f"/t/{slug}/api/v1/units"
        assert (await client.get(me, headers=old_token)).status_code == 200
        assert (await elsewhere.get(f"/t/{slug}/")).status_code == 200

        url = f"/t/{slug}/account/password"
        form = await client.get(url)
        new = "một câu mật khẩu mới 2025"
        changed = await client.post(
            url,
            data={
                "current_password": PASSWORD,
                "new_password": new,
                "confirm_password": new,
                "_csrf_token": csrf_token_in(form.text),
            },
        )
        assert changed.status_code == 200 and "Đã đổi mật khẩu" in changed.text

        assert (await client.get(f"/t/{slug}/")).status_code == 200, "this session goes on"
        out = await elsewhere.get(f"/t/{slug}/", follow_redirects=False)
        assert out.status_code in (302, 303) and "/login" in out.headers["location"]
        assert (await client.get(me, headers=old_token)).status_code == 401
        fresh = await client.post(
            f"/t/{slug}/api/v1/auth/token", json={"username": "cell_y_editor", "password": new}
        )
        assert fresh.status_code == 200
        bearer = {"Authorization": f"Bearer {fresh.json()['access_token']}"}
        assert (await client.get(me, headers=bearer)).status_code == 200
