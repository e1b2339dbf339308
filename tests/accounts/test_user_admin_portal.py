"""The user administration pages, and the one-time password's way through the portal."""

from __future__ import annotations

import re

from tests.accounts.conftest import add_user, audit_actions
from tests.conftest import Database
from tests.http.conftest import AppClient, build_world, csrf_token_in, portal_login, serving

ONE_TIME = re.compile(r'class="one-time-password">([a-z0-9-]{14})<')
NEW_PASSWORD = "mật-khẩu-riêng-của-lan-2026"


async def _post(client: AppClient, page_url: str, url: str, **fields: str) -> object:
    page = await client.get(page_url)
    assert page.status_code == 200, page.text
    return await client.post(url, data={**fields, "_csrf_token": csrf_token_in(page.text)})


async def test_an_admin_creates_a_user_who_must_change_the_password(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "up-create")
    base = f"/t/{world.slug}"
    await portal_login(client, world.slug, "admin")
    home = await client.get(f"{base}/")
    assert f'href="{base}/admin/users">Người dùng</a>' in home.text

    form = await client.get(f"{base}/admin/users/new")
    assert form.status_code == 200 and "Tạo người dùng" in form.text
    refused = await client.post(
        f"{base}/admin/users/new",
        data={"username": "", "full_name": "", "_csrf_token": csrf_token_in(form.text)},
    )
    assert refused.status_code == 400
    assert "Hãy nhập tên đăng nhập." in refused.text and "Hãy nhập họ và tên." in refused.text

    made = await client.post(
        f"{base}/admin/users/new",
        data={
            "username": "lan.nguyen",
            "full_name": "Nguyễn Thị Lan",
            "unit_id": str(world.units["cell_y"]),
            "role": "editor",
            "_csrf_token": csrf_token_in(form.text),
        },
    )
    # Post/Redirect/Get: the password is shown once, on the user's page after the redirect.
    assert made.status_code == 303, made.text
    user_url = made.headers["location"]
    assert re.fullmatch(rf"{base}/admin/users/\d+", user_url)
    shown = await client.get(user_url)
    match = ONE_TIME.search(shown.text)
    assert match, shown.text
    assert "Đã tạo người dùng." in shown.text
    assert "Cập nhật" in shown.text and "Chi bộ thôn Đình Dù" in shown.text
    reloaded = await client.get(user_url)
    assert reloaded.status_code == 200 and "Nguyễn Thị Lan" in reloaded.text
    assert ONE_TIME.search(reloaded.text) is None  # a reload neither shows nor re-creates

    listed = await client.get(f"{base}/admin/users", params={"q": "thi lan"})
    assert "lan.nguyen" in listed.text and "Chờ đổi mật khẩu" in listed.text
    assert "cell_x_editor" not in listed.text

    async with serving(db) as lan:
        page = await lan.get(f"{base}/login")
        signed = await lan.post(
            f"{base}/login",
            data={
                "username": "lan.nguyen",
                "password": match.group(1),
                "_csrf_token": csrf_token_in(page.text),
            },
        )
        assert signed.status_code == 303
        held = await lan.get(f"{base}/")
        assert held.status_code in (302, 303)
        assert held.headers["location"] == f"{base}/account/password"
        assert (await lan.get(f"{base}/units/{world.units['cell_y']}")).status_code in (302, 303)
        change = await lan.get(f"{base}/account/password")
        assert "vừa được quản trị viên đặt lại" in change.text
        done = await lan.post(
            f"{base}/account/password",
            data={
                "current_password": match.group(1),
                "new_password": NEW_PASSWORD,
                "confirm_password": NEW_PASSWORD,
                "_csrf_token": csrf_token_in(change.text),
            },
        )
        assert done.status_code == 200 and "Đã đổi mật khẩu" in done.text
        assert (await lan.get(f"{base}/")).status_code == 200

    reset = await _post(client, user_url, f"{user_url}/password-reset")
    assert reset.status_code == 303 and reset.headers["location"] == user_url  # type: ignore[attr-defined]
    again = await client.get(user_url)
    assert "Đã đặt lại mật khẩu" in again.text
    fresh = ONE_TIME.search(again.text)
    assert fresh and fresh.group(1) != match.group(1)
    assert ONE_TIME.search((await client.get(user_url)).text) is None


async def test_roles_deactivation_and_sign_ins_from_the_user_page(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "up-manage")
    base = f"/t/{world.slug}"
    editor_id = world.users["cell_x_editor"]
    async with serving(db) as victim:
        await portal_login(victim, world.slug, "cell_x_editor")
        assert (await victim.get(f"{base}/")).status_code == 200

        await portal_login(client, world.slug, "admin")
        page_url = f"{base}/admin/users/{editor_id}"
        granted = await _post(
            client,
            page_url,
            f"{page_url}/memberships",
            unit_id=str(world.units["cell_y"]),
            role="viewer",
        )
        assert granted.status_code == 303  # type: ignore[attr-defined]
        page = await client.get(granted.headers["location"])  # type: ignore[attr-defined]
        assert "Đã gán vai trò." in page.text and "Chi bộ thôn Đình Dù" in page.text

        end = re.search(rf'action="{page_url}/memberships/(\d+)/end"', page.text)
        assert end
        revoked = await _post(client, page_url, f"{page_url}/memberships/{end.group(1)}/end")
        assert revoked.status_code == 303  # type: ignore[attr-defined]

        off = await _post(client, page_url, f"{page_url}/deactivate")
        assert off.status_code == 303  # type: ignore[attr-defined]
        after = await victim.get(f"{base}/")
        assert after.status_code in (302, 303) and "/login" in after.headers["location"]

        shown = await client.get(f"{page_url}?done=deactivated")
        assert "Đã khóa tài khoản" in shown.text and "Mở lại tài khoản" in shown.text
        assert "Cổng thông tin" in shown.text and "Thành công" in shown.text
        assert "127.0.0.1" in shown.text

    own = f"{base}/admin/users/{world.users['admin']}"
    mine = await client.get(own)
    assert "Khóa tài khoản" not in mine.text and "không thể tự thay đổi" in mine.text
    self_off = await _post(client, own, f"{own}/deactivate")
    assert self_off.status_code == 403  # type: ignore[attr-defined]
    assert [a for a, _ in await audit_actions(db, world, editor_id)] == [
        "grant_role",
        "revoke_role",
        "deactivate",
    ]


async def test_a_unit_admin_pages_stay_in_the_subtree(db: Database, client: AppClient) -> None:
    world = await build_world(db, "up-subtree")
    base = f"/t/{world.slug}"
    await add_user(db, world, "d1_admin", ("district_1", "unit_admin"))
    await portal_login(client, world.slug, "d1_admin")
    listed = await client.get(f"{base}/admin/users")
    assert listed.status_code == 200
    assert "cell_x_editor" in listed.text and "district_2_editor" not in listed.text
    outsider = await client.get(f"{base}/admin/users/{world.users['district_2_editor']}")
    assert outsider.status_code == 404
    form = await client.get(f"{base}/admin/users/new")
    assert "Chi bộ thôn Ngọc Đà" in form.text and "Huyện ủy Ân Thi" not in form.text
    assert 'value="tenant_admin"' not in form.text

    async with serving(db) as editor:
        await portal_login(editor, world.slug, "cell_x_editor")
        home = await editor.get(f"{base}/")
        assert f'href="{base}/admin/users"' not in home.text
        assert (await editor.get(f"{base}/admin/users")).status_code == 403
        assert (await editor.get(f"{base}/admin/sign-ins")).status_code == 403


async def test_only_administrators_see_the_users_link(db: Database, client: AppClient) -> None:
    """The layout's "Người dùng" link is for tenant and unit administrators; an editor or
    an approver of any subtree does not see it."""
    world = await build_world(db, "up-link")
    base = f"/t/{world.slug}"
    link = f'href="{base}/admin/users">Người dùng</a>'
    await add_user(db, world, "cell_x_admin", ("cell_x", "unit_admin"))
    for username, shown in (("cell_x_admin", True), ("district_1_editor", False)):
        await portal_login(client, world.slug, username)
        home = await client.get(f"{base}/")
        assert home.status_code == 200
        assert (link in home.text) is shown, username
