"""Demo logins at each level of today's Hưng Yên, with fixed demo passwords."""

from __future__ import annotations

import msgspec

from nguon.accounts.passwords import hash_password, verify_password
from nguon.accounts.tables import User
from nguon.audit.service import Actor, record_event
from nguon.db.binding import current_engine
from nguon.org.service import unit_by_code
from nguon.org.tables import Membership
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant, switch_tenant_in_transaction

DEMO_ACTOR = Actor(label="cli:demo")


class DemoLogin(msgspec.Struct, frozen=True):
    username: str
    password: str
    full_name: str
    role: str
    unit_code: str
    """The unit of the role today (in the merged province's tree)."""
    level: str
    history_unit: str | None = None
    """The unit the same person held the role on before 2025-07-01 (the 2024 tree): the
    role stays there, so they still read that unit's history."""
    acts_for: str | None = None
    """A unit below ``unit_code`` the person also holds the role on directly: lists are
    made and received by the users of their own unit (the organisation board's staff read
    the whole province through ``unit_code`` and act for the board)."""


DEMO_LOGINS = (
    DemoLogin(
        "demo.chibo",
        "chibo-demo-2024",
        "Nguyễn Văn Hùng",
        "editor",
        "hy.x.nhuquynh.lachong-thon-1",
        "Bí thư Chi bộ thôn 1 (xã Lạc Hồng cũ), Đảng bộ xã Như Quỳnh",
        history_unit="hy.vanlam.lachong.thon-1",
    ),
    DemoLogin(
        "demo.coso",
        "coso-demo-2024",
        "Trần Thị Lan",
        "approver",
        "hy.x.nhuquynh",
        "Đảng ủy xã Như Quỳnh",
        history_unit="hy.vanlam.lachong",
    ),
    DemoLogin(
        "demo.tinh",
        "tinh-demo-2024",
        "Phạm Thu Hương",
        "approver",
        "hy",
        "Ban Tổ chức Tỉnh ủy (toàn tỉnh)",
        acts_for="hy.btc",
    ),
    DemoLogin(
        "demo.congan",
        "congan-demo-2024",
        "Hoàng Quang Sơn",
        "approver",
        "hy.ca",
        "Đảng ủy Công an tỉnh",
    ),
    DemoLogin(
        "demo.admin",
        "admin-demo-2024",
        "Vũ Ngọc Anh",
        "tenant_admin",
        "hy",
        "Quản trị hệ thống tỉnh",
    ),
    DemoLogin(
        "demo.huyen",
        "huyen-demo-2024",
        "Lê Đức Minh",
        "approver",
        "hy.vanlam",
        "Huyện ủy Văn Lâm (đến 30/6/2025): chỉ còn lịch sử",
    ),
)


async def create_demo_users(tenant_id: int, *, before_merger: bool = False) -> list[DemoLogin]:
    """Create (or repair) the demo logins and their roles; returns them with passwords.

    ``before_merger``: the roles on the 2024 tree (``history_unit``, else ``unit_code``
    where that unit existed then); the restructuring adds each role on the successor.
    Afterwards every role on ``unit_code`` is checked (and added if missing).
    """
    with tenant_context(None):
        async with current_engine().transaction():
            await switch_tenant_in_transaction(tenant_id)
            for login in DEMO_LOGINS:
                code = (login.history_unit or login.unit_code) if before_merger else None
                await _ensure(tenant_id, login, code or login.unit_code)
                if login.acts_for is not None and await unit_by_code(login.acts_for):
                    await _ensure(tenant_id, login, login.acts_for)
    return list(DEMO_LOGINS)


async def _ensure(tenant_id: int, login: DemoLogin, unit_code: str) -> None:
    unit = await unit_by_code(unit_code)
    if unit is None:
        raise LookupError(f"demo unit {unit_code!r} is missing from the tenant")
    user = await User.objects().where(in_tenant(User), User.username == login.username).first()
    if user is None:
        user = User(
            tenant_id=tenant_id,
            username=login.username,
            full_name=login.full_name,
            password_hash=hash_password(login.password),
        )
        await user.save().run()
        await record_event(
            DEMO_ACTOR,
            "create",
            "user",
            user.id,
            after={"username": user.username, "full_name": user.full_name},
        )
    elif not verify_password(user.password_hash, login.password):
        user.password_hash = hash_password(login.password)
        await user.save([User.password_hash]).run()
        await record_event(DEMO_ACTOR, "reset_password", "user", user.id)
    held = await Membership.exists().where(
        in_tenant(Membership),
        Membership.user == user.id,
        Membership.unit == unit.id,
        Membership.role == login.role,
    )
    if not held:
        membership = Membership(
            tenant_id=tenant_id,
            user=user.id,
            unit=unit.id,
            role=login.role,
            valid_from=unit.valid_from,
        )
        await membership.save().run()
        await record_event(
            DEMO_ACTOR,
            "create",
            "membership",
            membership.id,
            after={"username": login.username, "unit": unit_code, "role": login.role},
        )
