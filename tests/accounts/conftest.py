"""Users and units added to a test province, and what the audit log and sign-in log hold."""

from __future__ import annotations

import datetime as dt
from typing import Any

from nguon.accounts.passwords import hash_password
from nguon.accounts.tables import SignIn, User
from nguon.audit.tables import AuditEvent
from nguon.org.tables import Membership, OrgUnit
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant
from tests.conftest import Database
from tests.http.conftest import (  # noqa: F401 (client: a fixture)
    PASSWORD,
    World,
    client,
)

_HASH = hash_password(PASSWORD)


async def add_user(
    db: Database, world: World, username: str, *roles: tuple[str, str], active: bool = True
) -> int:
    """A user with ``PASSWORD`` and a role per (unit key, role), valid since 2020."""
    with db.as_owner(), tenant_context(world.tenant_id):
        user = User(
            tenant_id=world.tenant_id,
            username=username,
            full_name=f"Người dùng {username}",
            password_hash=_HASH,
            is_active=active,
        )
        await user.save().run()
        for unit_key, role in roles:
            await (
                Membership(
                    tenant_id=world.tenant_id,
                    user=user.id,
                    unit=world.units[unit_key],
                    role=role,
                    valid_from=dt.date(2020, 1, 1),
                )
                .save()
                .run()
            )
    world.users[username] = user.id
    return user.id


async def add_lookalike_unit(db: Database, world: World, beside: str, key: str) -> int:
    """A unit whose path starts like ``beside``'s without being under it ("1.2." / "1.29.")."""
    with db.as_owner(), tenant_context(world.tenant_id):
        near = await OrgUnit.objects().where(OrgUnit.id == world.units[beside]).first()
        assert near is not None
        unit = OrgUnit(
            tenant_id=world.tenant_id,
            code=f"LOOK-{key}",
            name=f"Đơn vị giống đường dẫn {key}",
            kind="grassroots_cell",
            parent=near.parent,
            path=near.path[:-1] + "9.",
            depth=near.depth,
            valid_from=dt.date(2020, 1, 1),
        )
        await unit.save().run()
    assert unit.path.startswith(near.path[:-1]) and not unit.path.startswith(near.path)
    world.units[key] = unit.id
    return unit.id


async def audit_actions(db: Database, world: World, user_id: int) -> list[tuple[str, str]]:
    """(action, actor) of the audit events about one user, oldest first."""
    with db.as_owner(), tenant_context(world.tenant_id):
        rows = await (
            AuditEvent.select(AuditEvent.action, AuditEvent.actor)
            .where(
                in_tenant(AuditEvent),
                AuditEvent.entity_type == "user",
                AuditEvent.entity_id == user_id,
            )
            .order_by(AuditEvent.id)
            .run()
        )
    return [(row["action"], row["actor"]) for row in rows]


async def sign_in_rows(db: Database, world: World) -> list[dict[str, Any]]:
    with db.as_owner(), tenant_context(world.tenant_id):
        return await SignIn.select().where(in_tenant(SignIn)).order_by(SignIn.id).run()
