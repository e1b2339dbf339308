"""User administration through the JSON API: who sees and manages whom, the role ceiling,
one-time passwords, deactivation, sign-ins and the audit trail."""

from __future__ import annotations

import pytest

from nguon.accounts.admin import get_user, operator_access, revoke_role, set_active
from nguon.accounts.permissions import Access
from nguon.errors import Conflict
from nguon.tenancy.context import tenant_context
from tests.accounts.conftest import add_lookalike_unit, add_user, audit_actions, sign_in_rows
from tests.conftest import Database
from tests.http.conftest import PASSWORD, AppClient, build_world, token_for

API = "/t/{slug}/api/v1"
NEW_PASSWORD = "mật-khẩu-mới-của-tôi-2026"


async def _token(client: AppClient, slug: str, username: str, password: str) -> dict[str, str]:
    response = await client.post(
        f"/t/{slug}/api/v1/auth/token", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_a_created_user_must_change_the_one_time_password_first(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "ua-create")
    api = API.format(slug=world.slug)
    admin = await token_for(client, world.slug, "admin")
    created = await client.post(
        f"{api}/admin/users/",
        headers=admin,
        json={
            "username": "Lan.Nguyen",
            "full_name": "Nguyễn Thị Lan",
            "unit_id": world.units["cell_x"],
            "role": "editor",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    one_time = body["one_time_password"]
    assert len(one_time) == 14 and body["user"]["username"] == "lan.nguyen"
    assert body["user"]["must_change_password"] is True
    assert [(m["unit_id"], m["role"]) for m in body["user"]["memberships"]] == [
        (world.units["cell_x"], "editor")
    ]
    user_id = body["user"]["id"]

    lan = await _token(client, world.slug, "lan.nguyen", one_time)
    refused = await client.get(f"{api}/units", headers=lan)
    assert refused.status_code == 403
    assert "đổi mật khẩu" in refused.json()["detail"]
    assert "POST /api/v1/account/password" in refused.json()["detail"]
    v2 = await client.get(f"/t/{world.slug}/api/v2/units", headers=lan)
    assert "POST /api/v2/account/password" in v2.json()["detail"]  # the version asked in

    wrong = await client.post(
        f"{api}/account/password",
        headers=lan,
        json={"current_password": "not-it-at-all", "new_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 400 and "current_password" in wrong.text
    changed = await client.post(
        f"{api}/account/password",
        headers=lan,
        json={"current_password": one_time, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 200, changed.text
    fresh = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert (await client.get(f"{api}/units", headers=fresh)).status_code == 200
    # The token used to change the password ended with the old password.
    assert (await client.get(f"{api}/units", headers=lan)).status_code == 401
    assert (await _token(client, world.slug, "lan.nguyen", NEW_PASSWORD)) is not None

    assert await audit_actions(db, world, user_id) == [
        ("create", "admin"),
        ("grant_role", "admin"),
        ("change_password", "lan.nguyen"),
    ]


async def test_bad_input_names_the_field(db: Database, client: AppClient) -> None:
    world = await build_world(db, "ua-bad")
    api = API.format(slug=world.slug)
    admin = await token_for(client, world.slug, "admin")
    cases = [
        ({"username": "có dấu", "full_name": "A"}, "username", 400),
        ({"username": "admin", "full_name": "Trùng tên"}, "username", 409),
        (
            {"username": "ok.name", "full_name": "A", "unit_id": 999999, "role": "viewer"},
            "unit_id",
            400,
        ),
        ({"username": "ok.name", "full_name": "A", "unit_id": world.units["cell_x"]}, "role", 400),
        (
            {
                "username": "ok.name",
                "full_name": "A",
                "unit_id": world.units["cell_x"],
                "role": "tenant_admin",
            },
            "unit_id",
            400,
        ),
    ]
    for body, field, status in cases:
        response = await client.post(f"{api}/admin/users/", headers=admin, json=body)
        assert response.status_code == status, (body, response.text)
        assert field in response.text, (body, response.text)


async def test_a_unit_admin_sees_and_manages_only_their_subtree(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "ua-subtree")
    api = API.format(slug=world.slug)
    await add_lookalike_unit(db, world, "district_1", "lookalike")
    await add_user(db, world, "d1_admin", ("district_1", "unit_admin"))
    await add_user(db, world, "lookalike_editor", ("lookalike", "editor"))
    await add_user(db, world, "two_places", ("cell_x", "editor"), ("district_2", "editor"))
    d1 = await token_for(client, world.slug, "d1_admin")

    listed = await client.get(f"{api}/admin/users/", headers=d1)
    assert listed.status_code == 200
    names = {u["username"] for u in listed.json()["items"]}
    assert names == {
        "d1_admin",
        "district_1_editor",
        "cell_x_editor",
        "cell_y_editor",
        "cell_x_viewer",
        "two_places",
    }
    for outsider in ("admin", "district_2_editor", "lookalike_editor"):
        response = await client.get(f"{api}/admin/users/{world.users[outsider]}", headers=d1)
        assert response.status_code == 404, outsider
        reset = await client.post(
            f"{api}/admin/users/{world.users[outsider]}/password-reset", headers=d1
        )
        assert reset.status_code == 404, outsider

    editor = world.users["cell_x_editor"]
    for unit in ("district_2", "lookalike", "province"):
        grant = await client.post(
            f"{api}/admin/users/{editor}/memberships",
            headers=d1,
            json={"unit_id": world.units[unit], "role": "viewer"},
        )
        assert grant.status_code == 400 and "unit_id" in grant.text, unit
    above = await client.post(
        f"{api}/admin/users/{editor}/memberships",
        headers=d1,
        json={"unit_id": world.units["cell_x"], "role": "tenant_admin"},
    )
    assert above.status_code == 403
    granted = await client.post(
        f"{api}/admin/users/{editor}/memberships",
        headers=d1,
        json={"unit_id": world.units["cell_x"], "role": "unit_admin"},
    )
    assert granted.status_code == 201, granted.text
    again = await client.post(
        f"{api}/admin/users/{editor}/memberships",
        headers=d1,
        json={"unit_id": world.units["cell_x"], "role": "unit_admin"},
    )
    assert again.status_code == 409

    # Roles elsewhere: seen (a role here) but not the unit admin's to reset or deactivate.
    both = world.users["two_places"]
    shared = await client.get(f"{api}/admin/users/{both}", headers=d1)
    assert shared.status_code == 200 and shared.json()["manageable"] is False
    assert (
        await client.post(f"{api}/admin/users/{both}/password-reset", headers=d1)
    ).status_code == 403
    assert (
        await client.post(f"{api}/admin/users/{both}/deactivate", headers=d1)
    ).status_code == 403

    no_unit = await client.post(
        f"{api}/admin/users/", headers=d1, json={"username": "nobody.here", "full_name": "A"}
    )
    assert no_unit.status_code == 400 and "unit_id" in no_unit.text
    made = await client.post(
        f"{api}/admin/users/",
        headers=d1,
        json={
            "username": "cell.y.new",
            "full_name": "Trần Văn Mới",
            "unit_id": world.units["cell_y"],
            "role": "editor",
        },
    )
    assert made.status_code == 201 and made.json()["user"]["manageable"] is True


async def test_nobody_raises_their_own_role(db: Database, client: AppClient) -> None:
    world = await build_world(db, "ua-self")
    api = API.format(slug=world.slug)
    await add_user(db, world, "d1_admin", ("district_1", "unit_admin"))
    d1 = await token_for(client, world.slug, "d1_admin")
    me = world.users["d1_admin"]
    own = await client.post(
        f"{api}/admin/users/{me}/memberships",
        headers=d1,
        json={"unit_id": world.units["cell_x"], "role": "viewer"},
    )
    assert own.status_code == 403
    admin = await token_for(client, world.slug, "admin")
    for action in ("deactivate", "password-reset"):
        response = await client.post(
            f"{api}/admin/users/{world.users['admin']}/{action}", headers=admin
        )
        assert response.status_code == 403, action
    editor = await token_for(client, world.slug, "cell_x_editor")
    for path in ("/admin/users/", f"/admin/users/{me}", "/admin/users/sign-ins"):
        assert (await client.get(f"{api}{path}", headers=editor)).status_code == 403, path


async def test_the_last_tenant_admin_stays(db: Database, client: AppClient) -> None:
    world = await build_world(db, "ua-last")
    api = API.format(slug=world.slug)
    admin_id = world.users["admin"]
    operator = operator_access(world.tenant_id, "cli:users")
    with db.as_owner(), tenant_context(world.tenant_id):
        membership = await _admin_membership(operator, admin_id)
        with pytest.raises(Conflict, match="quản trị tỉnh cuối cùng"):
            await set_active(operator, admin_id, False)
        with pytest.raises(Conflict, match="quản trị tỉnh cuối cùng"):
            await revoke_role(operator, admin_id, membership)

    admin = await token_for(client, world.slug, "admin")
    second = await client.post(
        f"{api}/admin/users/",
        headers=admin,
        json={
            "username": "admin.two",
            "full_name": "Quản trị Hai",
            "unit_id": world.units["province"],
            "role": "tenant_admin",
        },
    )
    assert second.status_code == 201
    with db.as_owner(), tenant_context(world.tenant_id):
        await set_active(operator, admin_id, False)  # another active admin exists now
    assert (await client.get(f"{api}/units", headers=admin)).status_code == 401


async def _admin_membership(operator: Access, user_id: int) -> int:
    user = await get_user(operator, user_id)
    return next(m.id for m in user.memberships if m.role == "tenant_admin")


async def test_deactivation_ends_tokens_at_once_and_reset_ends_the_old_password(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "ua-deact")
    api = API.format(slug=world.slug)
    admin = await token_for(client, world.slug, "admin")
    editor_id = world.users["cell_x_editor"]
    editor = await token_for(client, world.slug, "cell_x_editor")
    assert (await client.get(f"{api}/units", headers=editor)).status_code == 200

    off = await client.post(f"{api}/admin/users/{editor_id}/deactivate", headers=admin)
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert (await client.get(f"{api}/units", headers=editor)).status_code == 401
    signed = await client.post(
        f"{api}/auth/token", json={"username": "cell_x_editor", "password": PASSWORD}
    )
    assert signed.status_code == 401

    on = await client.post(f"{api}/admin/users/{editor_id}/reactivate", headers=admin)
    assert on.status_code == 200 and on.json()["is_active"] is True
    assert (await client.get(f"{api}/units", headers=editor)).status_code == 401
    editor = await token_for(client, world.slug, "cell_x_editor")

    reset = await client.post(f"{api}/admin/users/{editor_id}/password-reset", headers=admin)
    assert reset.status_code == 200
    one_time = reset.json()["one_time_password"]
    assert (await client.get(f"{api}/units", headers=editor)).status_code == 401
    old = await client.post(
        f"{api}/auth/token", json={"username": "cell_x_editor", "password": PASSWORD}
    )
    assert old.status_code == 401
    fresh = await _token(client, world.slug, "cell_x_editor", one_time)
    assert (await client.get(f"{api}/units", headers=fresh)).status_code == 403

    assert await audit_actions(db, world, editor_id) == [
        ("deactivate", "admin"),
        ("reactivate", "admin"),
        ("reset_password", "admin"),
    ]


async def test_sign_ins_are_recorded_and_shown_to_admins_in_scope(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "ua-signins")
    api = API.format(slug=world.slug)
    await add_user(db, world, "d1_admin", ("district_1", "unit_admin"))
    url = f"{api}/auth/token"
    await client.post(url, json={"username": "cell_x_editor", "password": "sai-mật-khẩu"})
    await token_for(client, world.slug, "cell_x_editor")
    await client.post(url, json={"username": "khong.co.ai", "password": "sai-mật-khẩu"})
    await token_for(client, world.slug, "district_2_editor")
    admin = await token_for(client, world.slug, "admin")
    d1 = await token_for(client, world.slug, "d1_admin")

    rows = await sign_in_rows(db, world)
    assert [(r["username"], r["result"], r["channel"]) for r in rows[:4]] == [
        ("cell_x_editor", "failed", "api"),
        ("cell_x_editor", "succeeded", "api"),
        ("khong.co.ai", "failed", "api"),
        ("district_2_editor", "succeeded", "api"),
    ]
    assert rows[0]["user_id"] == world.users["cell_x_editor"] and rows[2]["user_id"] is None
    assert all(r["address"] == "127.0.0.1" for r in rows)

    mine = await client.get(
        f"{api}/admin/users/{world.users['cell_x_editor']}/sign-ins", headers=d1
    )
    assert mine.status_code == 200
    assert [i["result"] for i in mine.json()["items"]] == ["succeeded", "failed"]
    assert mine.json()["items"][0]["address"] == "127.0.0.1"
    scoped = await client.get(f"{api}/admin/users/sign-ins", headers=d1)
    assert {i["username"] for i in scoped.json()["items"]} == {"cell_x_editor", "d1_admin"}
    everything = await client.get(f"{api}/admin/users/sign-ins", headers=admin)
    assert {"khong.co.ai", "district_2_editor"} <= {
        i["username"] for i in everything.json()["items"]
    }
    other = await client.get(
        f"{api}/admin/users/{world.users['district_2_editor']}/sign-ins", headers=d1
    )
    assert other.status_code == 404


async def test_search_finds_names_without_diacritics(db: Database, client: AppClient) -> None:
    world = await build_world(db, "ua-search")
    api = API.format(slug=world.slug)
    admin = await token_for(client, world.slug, "admin")
    await client.post(
        f"{api}/admin/users/",
        headers=admin,
        json={"username": "duc.pham", "full_name": "Phạm Văn Đức"},
    )
    found = await client.get(f"{api}/admin/users/", headers=admin, params={"q": "van duc"})
    assert [u["username"] for u in found.json()["items"]] == ["duc.pham"]
    by_name = await client.get(f"{api}/admin/users/", headers=admin, params={"q": "cell_x"})
    assert {u["username"] for u in by_name.json()["items"]} == {"cell_x_editor", "cell_x_viewer"}


async def test_a_unit_without_a_role_or_a_role_without_a_unit_says_to_give_both(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "ua-both")
    api = API.format(slug=world.slug)
    admin = await token_for(client, world.slug, "admin")
    for missing, body in (
        ("role", {"unit_id": world.units["cell_x"]}),
        ("unit_id", {"role": "viewer"}),
    ):
        body = {"username": "ok.name", "full_name": "A", **body}
        response = await client.post(f"{api}/admin/users/", headers=admin, json=body)
        assert response.status_code == 400, response.text
        refused = response.json()
        assert (refused["detail"], refused["detail_en"]) == (
            "Hãy chọn cả đơn vị và vai trò.",
            "Give both unit_id and role",
        )
        assert [(e["field"], e["pointer"]) for e in refused["errors"]] == [(missing, f"/{missing}")]


async def test_the_audit_trail_names_the_administrator_by_account_not_only_by_name(
    db: Database, client: AppClient
) -> None:
    """An auditor follows an administrator's actions by account (a name can be reused)."""
    from nguon.audit.tables import AuditEvent
    from nguon.tenancy.scoped import in_tenant

    world = await build_world(db, "ua-actor")
    api = API.format(slug=world.slug)
    admin = await token_for(client, world.slug, "admin")
    body = {
        "username": "hoa.tran",
        "full_name": "Trần Thị Hoa",
        "unit_id": world.units["cell_x"],
        "role": "viewer",
    }
    created = await client.post(f"{api}/admin/users/", headers=admin, json=body)
    assert created.status_code == 201, created.text
    with db.as_owner(), tenant_context(world.tenant_id):
        rows = await (
            AuditEvent.select(AuditEvent.action, AuditEvent.actor, AuditEvent.actor_id)
            .where(
                in_tenant(AuditEvent),
                AuditEvent.entity_type == "user",
                AuditEvent.entity_id == created.json()["user"]["id"],
            )
            .order_by(AuditEvent.id)
            .run()
        )
    assert [(r["action"], r["actor"], r["actor_id"]) for r in rows] == [
        ("create", "admin", world.users["admin"]),
        ("grant_role", "admin", world.users["admin"]),
    ]
