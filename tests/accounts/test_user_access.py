"""A request's user and grants come from one query: the same answer as reading the user
and then the memberships, and nothing from another tenant or outside its validity."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
import pytest

from nguon.accounts import permissions
from nguon.accounts.permissions import Access, Grant, user_access
from nguon.accounts.service import access_for_user
from nguon.accounts.tables import User
from nguon.clock import today_in_vietnam
from nguon.db import plain
from nguon.org.tables import Membership, UnitSuccession
from nguon.tenancy.context import tenant_context
from nguon.tenancy.package import tenant_package_id
from nguon.tenancy.scoped import in_tenant
from tests.conftest import Database
from tests.http.conftest import build_world


def _granted(access: Access) -> Access:
    """The access without what the request read beside it."""
    return msgspec.structs.replace(access, structure=None, rules_package=None)


async def test_one_query_gives_the_same_access_as_two(db: Database) -> None:
    world = await build_world(db, "access")
    with tenant_context(world.tenant_id):
        stamp = await plain.fetch("SELECT version FROM unit_structure WHERE id = 1")
        for user_id in world.users.values():
            one = await user_access(user_id)
            assert one is not None
            # On Postgres the access says which tree its grants were derived from, and the
            # tenant's rules package, read in the same query.
            on_postgres = db.kind == "postgres"
            assert one.structure == (stamp[0]["version"] if on_postgres else None)
            assert one.rules_package == (await tenant_package_id() if on_postgres else None)
            two = await access_for_user(user_id)
            assert _granted(one) == two
        admin = await user_access(world.users["admin"])
        editor = await user_access(world.users["cell_x_editor"])
    assert admin is not None and admin.grants == (Grant(None, "", "tenant_admin"),)
    assert editor is not None
    assert [(g.unit_id, g.role) for g in editor.grants] == [(world.units["cell_x"], "editor")]


async def test_expired_and_future_memberships_grant_nothing(db: Database) -> None:
    world = await build_world(db, "access-dates")
    today = today_in_vietnam()
    user_id = world.users["cell_y_editor"]
    with db.as_owner(), tenant_context(world.tenant_id):
        await Membership.insert(
            Membership(
                tenant_id=world.tenant_id,
                user=user_id,
                unit=world.units["district_2"],
                role="approver",
                valid_from=today - dt.timedelta(days=30),
                valid_to=today - dt.timedelta(days=1),
            ),
            Membership(
                tenant_id=world.tenant_id,
                user=user_id,
                unit=world.units["province"],
                role="tenant_admin",
                valid_from=today + dt.timedelta(days=1),
            ),
            # Valid through today: still granted.
            Membership(
                tenant_id=world.tenant_id,
                user=user_id,
                unit=world.units["cell_z"],
                role="viewer",
                valid_from=today - dt.timedelta(days=30),
                valid_to=today,
            ),
        ).run()
    with tenant_context(world.tenant_id):
        access = await user_access(user_id)
    assert access is not None
    assert sorted((g.unit_id, g.role) for g in access.grants) == sorted(
        [(world.units["cell_y"], "editor"), (world.units["cell_z"], "viewer")]
    )


async def test_another_tenants_user_or_an_inactive_user_has_no_access(db: Database) -> None:
    a = await build_world(db, "access-a")
    b = await build_world(db, "access-b")
    with tenant_context(b.tenant_id):
        assert await user_access(a.users["admin"]) is None
    with db.as_owner(), tenant_context(a.tenant_id):
        await (
            User.update({User.is_active: False})
            .where(in_tenant(User), User.id == a.users["district_1_editor"])
            .run()
        )
    with tenant_context(a.tenant_id):
        assert await user_access(a.users["district_1_editor"]) is None
        assert await user_access(a.users["district_2_editor"]) is not None


async def test_a_user_without_memberships_has_no_grants(db: Database) -> None:
    world = await build_world(db, "access-none")
    with db.as_owner(), tenant_context(world.tenant_id):
        user = User(
            tenant_id=world.tenant_id,
            username="no-roles",
            full_name="Không có vai trò",
            password_hash="x",
        )
        await user.save().run()
    with tenant_context(world.tenant_id):
        access = await user_access(user.id)
    assert access is not None and access.grants == () and access.username == "no-roles"


async def test_units_taken_over_are_seen_at_once_and_alike_on_both_paths(db: Database) -> None:
    """A unit that took over others' work lets its users read theirs (``viewer``),
    transitively. On Postgres the grants come from the tree each process keeps: a
    succession recorded after a first view is seen by the next one, and the answer is the
    database's own (``load_access``'s walk) for every user."""
    world = await build_world(db, "access-taken")
    units = world.units
    with tenant_context(world.tenant_id):
        before = await user_access(world.users["cell_x_editor"])
    assert before is not None and [g.role for g in before.grants] == ["editor"]
    with db.as_owner(), tenant_context(world.tenant_id):
        for predecessor, successor in (
            ("cell_y", "cell_x"),
            ("district_2", "cell_y"),
            ("commune_1", "district_2"),
        ):
            await UnitSuccession.insert(
                UnitSuccession(
                    tenant_id=world.tenant_id,
                    predecessor=units[predecessor],
                    successor=units[successor],
                    effective_on=dt.date(2025, 7, 1),
                    change="merge",
                )
            ).run()
    with tenant_context(world.tenant_id):
        after = await user_access(world.users["cell_x_editor"])
        for user_id in world.users.values():
            one = await user_access(user_id)
            assert one is not None
            assert _granted(one) == await access_for_user(user_id)
    assert after is not None
    assert sorted((g.unit_id, g.role) for g in after.grants) == sorted(
        [
            (units["cell_x"], "editor"),
            (units["cell_y"], "viewer"),
            (units["district_2"], "viewer"),
            (units["commune_1"], "viewer"),
        ]
    )
    assert after.can_see(f"{units['province']}.{units['district_2']}.{units['cell_z']}.")
    assert not after.can(f"{units['province']}.{units['district_2']}.", "editor")


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
async def test_the_grants_are_derived_once_per_tree_and_memberships(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Postgres: a user's grants are worked out from the kept tree once, and again only
    when the tree or their memberships change."""
    world = await build_world(db, "access-once")
    derived: list[int] = []
    original = permissions.granted_in_tree

    def counted(*args: Any) -> Any:
        derived.append(1)
        return original(*args)

    monkeypatch.setattr(permissions, "granted_in_tree", counted)
    user_id = world.users["cell_y_editor"]
    with tenant_context(world.tenant_id):
        first = await user_access(user_id)
        again = await user_access(user_id)
    assert first == again and len(derived) == 1
    with db.as_owner(), tenant_context(world.tenant_id):
        await Membership.insert(
            Membership(
                tenant_id=world.tenant_id,
                user=user_id,
                unit=world.units["cell_x"],
                role="viewer",
                valid_from=today_in_vietnam(),
            )
        ).run()
    with tenant_context(world.tenant_id):
        widened = await user_access(user_id)
        await user_access(user_id)
    assert widened is not None and len(widened.grants) == 2 and len(derived) == 2
