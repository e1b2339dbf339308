"""The portal as a committee user meets it: Vietnamese pages, sign-in with CSRF
protection, the unit pages, sign-out."""

from __future__ import annotations

import unicodedata

from tests.conftest import Database
from tests.http.conftest import (
    PASSWORD,
    AppClient,
    build_world,
    candidate_body,
    csrf_token_in,
    portal_login,
    token_for,
)


async def test_the_login_page_is_vietnamese_and_accessible(db: Database, client: AppClient) -> None:
    world = await build_world(db, "portal-page")
    response = await client.get(f"/t/{world.slug}/login")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="vi">' in html
    assert 'name="viewport"' in html
    assert '<label for="username">Tên đăng nhập</label>' in html
    assert '<label for="password">Mật khẩu</label>' in html
    assert "Đăng nhập" in html
    assert unicodedata.is_normalized("NFC", html)


async def test_login_needs_the_csrf_token(db: Database, client: AppClient) -> None:
    world = await build_world(db, "portal-csrf")
    await client.get(f"/t/{world.slug}/login")
    response = await client.post(
        f"/t/{world.slug}/login", data={"username": "admin", "password": PASSWORD}
    )
    assert response.status_code == 403
    assert client.cookies.get("nguon_session") in {None, "null"}


async def test_login_home_unit_page_and_logout(db: Database, client: AppClient) -> None:
    world = await build_world(db, "portal-flow")
    headers = await token_for(client, world.slug, "district_1_editor")
    for name in ("Nguyễn Văn An", "Lê Thị Hồng"):
        await client.post(
            f"/t/{world.slug}/api/v1/candidates",
            json=candidate_body(world.units["cell_x"], full_name=name),
            headers=headers,
        )

    anonymous = await client.get(f"/t/{world.slug}/units/{world.units['cell_x']}")
    assert anonymous.status_code in {302, 303}
    assert anonymous.headers["location"].startswith(f"/t/{world.slug}/login")

    page = await client.get(f"/t/{world.slug}/login")
    signed_in = await client.post(
        f"/t/{world.slug}/login",
        data={
            "username": "district_1_editor",
            "password": PASSWORD,
            "next": f"/t/{world.slug}/units/{world.units['cell_x']}",
            "_csrf_token": csrf_token_in(page.text),
        },
    )
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == f"/t/{world.slug}/units/{world.units['cell_x']}"
    cookie = next(
        c for c in signed_in.headers.get_list("set-cookie") if c.startswith("nguon_session=")
    )
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie

    home = await client.get(f"/t/{world.slug}/")
    assert home.status_code == 200
    assert "Đơn vị của tôi" in home.text
    assert "Huyện ủy Văn Lâm" in home.text
    assert "Huyện ủy Ân Thi" not in home.text
    assert "Đăng xuất" in home.text

    district = await client.get(f"/t/{world.slug}/units/{world.units['district_1']}")
    assert "Đảng ủy xã Lạc Hồng" in district.text

    cell = await client.get(f"/t/{world.slug}/units/{world.units['cell_x']}")
    assert cell.status_code == 200
    assert '<label for="q">Tìm theo tên (không cần dấu)</label>' in cell.text
    assert "Nguyễn Văn An" in cell.text and "Lê Thị Hồng" in cell.text
    searched = await client.get(
        f"/t/{world.slug}/units/{world.units['cell_x']}", params={"q": "nguyen van"}
    )
    assert "Nguyễn Văn An" in searched.text and "Lê Thị Hồng" not in searched.text

    other_district = await client.get(f"/t/{world.slug}/units/{world.units['district_2']}")
    assert other_district.status_code == 404
    assert "Không tìm thấy" in other_district.text

    logout = await client.post(
        f"/t/{world.slug}/logout", data={"_csrf_token": csrf_token_in(cell.text)}
    )
    assert logout.status_code == 303
    after = await client.get(f"/t/{world.slug}/")
    assert after.status_code in {302, 303}


async def test_a_wrong_password_fails_without_saying_whether_the_user_exists(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "portal-wrong")
    answers = []
    for username in ("admin", "nobody"):
        page = await client.get(f"/t/{world.slug}/login")
        response = await client.post(
            f"/t/{world.slug}/login",
            data={
                "username": username,
                "password": "sai-mat-khau",
                "_csrf_token": csrf_token_in(page.text),
            },
        )
        assert response.status_code == 401
        assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.text
        # The name typed is kept in its field, whoever it names.
        assert f'value="{username}"' in response.text
        page_text = response.text.replace(csrf_token_in(response.text), "")
        answers.append(page_text.replace(f'value="{username}"', 'value=""'))
    assert answers[0] == answers[1]
    assert (await client.get(f"/t/{world.slug}/")).status_code in {302, 303}


async def test_next_never_leaves_the_tenant(db: Database, client: AppClient) -> None:
    world = await build_world(db, "portal-next")
    page = await client.get(f"/t/{world.slug}/login")
    response = await client.post(
        f"/t/{world.slug}/login",
        data={
            "username": "admin",
            "password": PASSWORD,
            "next": "https://evil.example/",
            "_csrf_token": csrf_token_in(page.text),
        },
    )
    assert response.headers["location"] == f"/t/{world.slug}/"


async def test_portal_login_helper_works_for_every_role(db: Database, client: AppClient) -> None:
    world = await build_world(db, "portal-roles")
    for username in world.users:
        await portal_login(client, world.slug, username)
        assert (await client.get(f"/t/{world.slug}/")).status_code == 200


async def test_signing_in_never_keeps_a_session_id_the_browser_brought(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "portal-fixation")
    planted = "a" * 64
    page = await client.get(f"/t/{world.slug}/login")
    response = await client.post(
        f"/t/{world.slug}/login",
        data={"username": "admin", "password": PASSWORD, "_csrf_token": csrf_token_in(page.text)},
        headers={"cookie": f"nguon_session={planted}; nguon_csrf={client.cookies['nguon_csrf']}"},
    )
    assert response.status_code == 303
    issued = next(
        c.split(";")[0].split("=", 1)[1]
        for c in response.headers.get_list("set-cookie")
        if c.startswith("nguon_session=")
    )
    assert issued != planted
    with_planted = await client.get(
        f"/t/{world.slug}/", headers={"cookie": f"nguon_session={planted}"}
    )
    assert with_planted.status_code in {302, 303}
    with_issued = await client.get(
        f"/t/{world.slug}/", headers={"cookie": f"nguon_session={issued}"}
    )
    assert with_issued.status_code == 200


async def test_signing_in_again_ends_the_previous_session(db: Database, client: AppClient) -> None:
    world = await build_world(db, "portal-resign")
    await portal_login(client, world.slug, "admin")
    first = client.cookies.get("nguon_session")
    await portal_login(client, world.slug, "admin")
    second = client.cookies.get("nguon_session")
    assert second != first
    old = await client.get(f"/t/{world.slug}/", headers={"cookie": f"nguon_session={first}"})
    assert old.status_code in {302, 303}
