"""User administration: tenant administrators for the whole tenant, unit administrators
within their units' subtrees.

Who is seen: a tenant administrator sees every user of the tenant; a unit administrator the
users holding a current role on a unit of their subtrees. Who is managed (password reset,
deactivation): a user whose every current role lies within what the caller administers,
none above the caller's own. Nobody changes their own roles or grants a role above their own
on that unit; the last active tenant administrator keeps their role and stays active.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable
from typing import Any

from nguon.accounts.admin_schemas import (
    MembershipOut,
    OneTimePassword,
    SignInList,
    SignInOut,
    UserCreate,
    UserOut,
    UserPage,
)
from nguon.accounts.passwords import hash_password
from nguon.accounts.permissions import RANK, WHOLE_TENANT, Access, Grant, Role
from nguon.accounts.tables import SignIn, User
from nguon.audit.service import Actor, record_event
from nguon.clock import today_in_vietnam
from nguon.errors import Conflict, Forbidden, InvalidInput, NotFound
from nguon.org.tables import Membership, OrgUnit
from nguon.tenancy.context import require_tenant
from nguon.tenancy.scoped import in_tenant
from nguon.text import nfc, search_key

ADMIN_ROLES: tuple[Role, ...] = ("unit_admin", "tenant_admin")
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
OPERATOR_USER_ID = 0
"""The user id of an operator acting from the command line (no user of the tenant)."""

NOT_AN_ADMIN = (
    "Chỉ quản trị tỉnh hoặc quản trị đơn vị được quản lý người dùng. / "
    "Only tenant or unit administrators manage users."
)


def operator_access(tenant_id: int, label: str) -> Access:
    """The whole-tenant access of an operator running ``nguon users`` as the database owner."""
    return Access(
        user_id=OPERATOR_USER_ID,
        tenant_id=tenant_id,
        username=label,
        full_name=label,
        grants=(Grant(unit_id=None, path=WHOLE_TENANT, role="tenant_admin"),),
    )


def actor_of(access: Access) -> Actor:
    if access.user_id == OPERATOR_USER_ID:
        return Actor(label=access.username)
    return Actor(label=access.username, user_id=access.user_id)


def administers(access: Access) -> bool:
    """Whether the user administers users somewhere (the portal's "Người dùng" link)."""
    return any(g.role in ADMIN_ROLES for g in access.grants)


def admin_prefixes(access: Access) -> list[str]:
    """The subtrees the caller administers (``[""]``: the whole tenant)."""
    paths = sorted({g.path for g in access.grants if g.role in ADMIN_ROLES}, key=len)
    prefixes: list[str] = []
    for path in paths:
        if not any(path.startswith(p) for p in prefixes):
            prefixes.append(path)
    return prefixes


def _require_admin(access: Access) -> list[str]:
    prefixes = admin_prefixes(access)
    if not prefixes:
        raise Forbidden(NOT_AN_ADMIN)
    return prefixes


def _administers(prefixes: Iterable[str], path: str) -> bool:
    return any(path.startswith(prefix) for prefix in prefixes)


def one_time_password() -> str:
    """Three groups of four letters and digits, easy to read aloud (about 59 bits)."""
    chars = [secrets.choice(ONE_TIME_ALPHABET) for _ in range(12)]
    return "-".join("".join(chars[i : i + 4]) for i in range(0, 12, 4))


async def _current_memberships(user_ids: list[int] | None) -> list[dict[str, Any]]:
    """Roles in force today or later (ended ones are history), with their unit."""
    today = today_in_vietnam()
    query = Membership.select(
        Membership.id,
        Membership.user,
        Membership.unit,
        Membership.unit.name.as_alias("unit_name"),
        Membership.unit.path.as_alias("unit_path"),
        Membership.role,
        Membership.valid_from,
        Membership.valid_to,
    ).where(
        in_tenant(Membership),
        (Membership.valid_to.is_null()) | (Membership.valid_to >= today),
    )
    if user_ids is not None:
        if not user_ids:
            return []
        query = query.where(Membership.user.is_in(user_ids))
    return await query.order_by(Membership.id).run()


def _membership_out(row: dict[str, Any]) -> MembershipOut:
    return MembershipOut(
        id=row["id"],
        unit_id=row["unit"],
        unit_name=row["unit_name"],
        unit_path=row["unit_path"],
        role=row["role"],
        valid_from=row["valid_from"],
        valid_to=row["valid_to"],
    )


def _manageable(access: Access, prefixes: list[str], memberships: list[dict[str, Any]]) -> bool:
    for row in memberships:
        held = access.role_on(row["unit_path"])
        if not _administers(prefixes, row["unit_path"]) or held is None:
            return False
        if RANK.get(row["role"], len(RANK)) > RANK[held]:
            return False
    return True


def _user_out(
    access: Access, prefixes: list[str], user: dict[str, Any], memberships: list[dict[str, Any]]
) -> UserOut:
    return UserOut(
        id=user["id"],
        username=user["username"],
        full_name=user["full_name"],
        is_active=bool(user["is_active"]),
        must_change_password=bool(user["must_change_password"]),
        created_at=user["created_at"],
        memberships=[_membership_out(row) for row in memberships],
        manageable=_manageable(access, prefixes, memberships),
    )


_USER_COLUMNS = (
    User.id,
    User.username,
    User.full_name,
    User.is_active,
    User.must_change_password,
    User.created_at,
)


async def _visible_users(
    access: Access, prefixes: list[str]
) -> tuple[list[dict[str, Any]], dict[int, list[dict[str, Any]]]]:
    """The users the caller sees, by username, and every current role of each."""
    memberships = await _current_memberships(None)
    by_user: dict[int, list[dict[str, Any]]] = {}
    for row in memberships:
        by_user.setdefault(row["user"], []).append(row)
    users = await User.select(*_USER_COLUMNS).where(in_tenant(User)).order_by(User.username).run()
    if WHOLE_TENANT not in prefixes:
        users = [
            user
            for user in users
            if any(_administers(prefixes, m["unit_path"]) for m in by_user.get(user["id"], []))
        ]
    return users, by_user


async def list_users(
    access: Access, query: str | None = None, page: int = 1, page_size: int = 50
) -> UserPage:
    """The users the caller sees, matching ``query`` (username or name, with or without
    diacritics), by username."""
    prefixes = _require_admin(access)
    users, by_user = await _visible_users(access, prefixes)
    if query and query.strip():
        wanted = search_key(query)
        users = [
            user
            for user in users
            if wanted in search_key(user["username"]) or wanted in search_key(user["full_name"])
        ]
    start = (page - 1) * page_size
    return UserPage(
        items=[
            _user_out(access, prefixes, user, by_user.get(user["id"], []))
            for user in users[start : start + page_size]
        ],
        total=len(users),
        page=page,
        page_size=page_size,
    )


async def _visible_user(access: Access, prefixes: list[str], user_id: int) -> UserOut:
    user = await User.select(*_USER_COLUMNS).where(in_tenant(User), User.id == user_id).first()
    if user is None:
        raise NotFound("user")
    memberships = await _current_memberships([user_id])
    if WHOLE_TENANT not in prefixes and not any(
        _administers(prefixes, m["unit_path"]) for m in memberships
    ):
        raise NotFound("user")
    return _user_out(access, prefixes, user, memberships)


async def get_user(access: Access, user_id: int) -> UserOut:
    return await _visible_user(access, _require_admin(access), user_id)


async def _managed_user(access: Access, user_id: int, action: str) -> UserOut:
    prefixes = _require_admin(access)
    if user_id == access.user_id:
        raise Forbidden(
            f"Không thể tự {action} cho chính mình. / You cannot do this to your own account."
        )
    user = await _visible_user(access, prefixes, user_id)
    if not user.manageable:
        raise Forbidden(
            "Người dùng này còn giữ vai trò ngoài phạm vi hoặc cao hơn quyền quản trị của bạn. / "
            "This user holds a role outside, or above, what you administer."
        )
    return user


async def _unit_row(unit_id: int) -> dict[str, Any]:
    row = await (
        OrgUnit.select(OrgUnit.id, OrgUnit.path, OrgUnit.name, OrgUnit.parent)
        .where(in_tenant(OrgUnit), OrgUnit.id == unit_id)
        .first()
        .run()
    )
    if row is None:
        raise InvalidInput("Không có đơn vị này / No such unit: unit_id", field="unit_id")
    return row


async def _check_grant(access: Access, prefixes: list[str], unit_id: int, role: Role) -> Any:
    unit = await _unit_row(unit_id)
    held = access.role_on(unit["path"])
    if not _administers(prefixes, unit["path"]) or held is None:
        # A unit the caller does not administer looks like no unit at all.
        raise InvalidInput("Không có đơn vị này / No such unit: unit_id", field="unit_id")
    if RANK[role] > RANK[held]:
        raise Forbidden(
            "Không thể gán vai trò cao hơn vai trò của chính bạn tại đơn vị này. / "
            "You cannot grant a role above your own on this unit: role",
            field="role",
        )
    if role == "tenant_admin" and unit["parent"] is not None:
        raise InvalidInput(
            "Vai trò quản trị tỉnh chỉ gán tại đơn vị gốc của tỉnh. / "
            "The tenant administrator role is granted on the root unit only: unit_id",
            field="unit_id",
        )
    return unit


def _clean_username(username: str) -> str:
    name = nfc(username).lower()
    if not USERNAME_PATTERN.match(name):
        raise InvalidInput(
            "Tên đăng nhập gồm 2–64 chữ cái không dấu, chữ số, dấu chấm, gạch ngang hoặc gạch "
            "dưới, bắt đầu bằng chữ hoặc số. / The username takes 2–64 letters a–z, digits, "
            "'.', '-' or '_': username",
            field="username",
        )
    return name


async def create_user(
    access: Access, data: UserCreate, password: str | None = None
) -> OneTimePassword:
    """Create a user (with a first role when given). Without ``password`` a one-time
    password is made, to be changed at the first sign-in; it is returned once."""
    prefixes = _require_admin(access)
    username = _clean_username(data.username)
    full_name = nfc(data.full_name)
    if not full_name:
        raise InvalidInput("Họ tên không được để trống / full_name is empty", field="full_name")
    if (data.unit_id is None) != (data.role is None):
        field = "role" if data.role is None else "unit_id"
        raise InvalidInput(
            "Hãy chọn cả đơn vị và vai trò. / Give both unit_id and role: " + field, field=field
        )
    if data.unit_id is None and WHOLE_TENANT not in prefixes:
        raise InvalidInput(
            "Hãy chọn đơn vị và vai trò cho người dùng mới. / "
            "A unit administrator gives the new user a role: unit_id",
            field="unit_id",
        )
    unit = None
    if data.unit_id is not None and data.role is not None:
        unit = await _check_grant(access, prefixes, data.unit_id, data.role)
    taken = await User.select(User.id).where(in_tenant(User), User.username == username).first()
    if taken is not None:
        raise Conflict(
            "Tên đăng nhập đã có người dùng. / This username is taken: username", field="username"
        )
    secret = password if password is not None else one_time_password()
    user = User(
        tenant_id=require_tenant(),
        username=username,
        full_name=full_name,
        password_hash=hash_password(secret),
        must_change_password=password is None,
    )
    await user.save().run()
    actor = actor_of(access)
    await record_event(
        actor, "create", "user", user.id, after={"username": username, "full_name": full_name}
    )
    if unit is not None and data.role is not None:
        await _add_membership(actor, user.id, unit["id"], data.role)
    created = await _visible_user(access, prefixes, user.id)
    return OneTimePassword(user=created, one_time_password=secret if password is None else "")


async def _add_membership(actor: Actor, user_id: int, unit_id: int, role: Role) -> int:
    today = today_in_vietnam()
    membership = Membership(
        tenant_id=require_tenant(), user=user_id, unit=unit_id, role=role, valid_from=today
    )
    await membership.save().run()
    await record_event(
        actor,
        "grant_role",
        "user",
        user_id,
        after={"membership_id": membership.id, "unit_id": unit_id, "role": role},
    )
    return membership.id


def _refuse_own_roles(access: Access, user_id: int) -> None:
    if user_id == access.user_id:
        raise Forbidden(
            "Không thể tự thay đổi vai trò của chính mình. / You cannot change your own roles."
        )


async def grant_role(access: Access, user_id: int, unit_id: int, role: Role) -> UserOut:
    prefixes = _require_admin(access)
    _refuse_own_roles(access, user_id)
    user = await _visible_user(access, prefixes, user_id)
    unit = await _check_grant(access, prefixes, unit_id, role)
    if any(m.unit_id == unit["id"] and m.role == role for m in user.memberships):
        raise Conflict(
            "Người dùng đã có vai trò này tại đơn vị này. / The user already holds this role "
            "on this unit: role",
            field="role",
        )
    await _add_membership(actor_of(access), user_id, unit["id"], role)
    return await _visible_user(access, prefixes, user_id)


async def _other_active_tenant_admins(user_id: int) -> int:
    today = today_in_vietnam()
    rows = await (
        Membership.select(Membership.user)
        .where(
            in_tenant(Membership),
            Membership.role == "tenant_admin",
            Membership.user != user_id,
            Membership.user.is_active == True,  # noqa: E712 (a SQL comparison)
            Membership.valid_from <= today,
            (Membership.valid_to.is_null()) | (Membership.valid_to >= today),
        )
        .run()
    )
    return len({row["user"] for row in rows})


LAST_ADMIN = (
    "Đây là quản trị tỉnh cuối cùng còn hoạt động: hãy gán vai trò này cho người khác trước. / "
    "This is the last active tenant administrator: make someone else one first."
)


async def revoke_role(access: Access, user_id: int, membership_id: int) -> UserOut:
    """End a role from today (the membership stays as history, valid until yesterday)."""
    prefixes = _require_admin(access)
    _refuse_own_roles(access, user_id)
    user = await _visible_user(access, prefixes, user_id)
    membership = next((m for m in user.memberships if m.id == membership_id), None)
    if membership is None:
        if await _ended_membership(prefixes, user_id, membership_id):
            return user  # ended already: ending it again changes nothing
        raise NotFound("membership")
    held = access.role_on(membership.unit_path)
    if not _administers(prefixes, membership.unit_path) or held is None:
        raise NotFound("membership")
    if RANK[membership.role] > RANK[held]:
        raise Forbidden(
            "Không thể thu hồi vai trò cao hơn vai trò của chính bạn. / "
            "You cannot take away a role above your own."
        )
    if membership.role == "tenant_admin" and not await _other_active_tenant_admins(user_id):
        raise Conflict(LAST_ADMIN)
    yesterday = today_in_vietnam() - dt.timedelta(days=1)
    await (
        Membership.update({Membership.valid_to: yesterday})
        .where(in_tenant(Membership), Membership.id == membership_id)
        .run()
    )
    await record_event(
        actor_of(access),
        "revoke_role",
        "user",
        user_id,
        before={
            "membership_id": membership_id,
            "unit_id": membership.unit_id,
            "role": membership.role,
        },
        after={"valid_to": yesterday},
    )
    return await _visible_user(access, prefixes, user_id)


async def _ended_membership(prefixes: list[str], user_id: int, membership_id: int) -> bool:
    """Whether ``membership_id`` is a role of this user, in the caller's subtrees, that
    ended before today."""
    row = await (
        Membership.select(Membership.unit.path.as_alias("unit_path"), Membership.valid_to)
        .where(in_tenant(Membership), Membership.id == membership_id, Membership.user == user_id)
        .first()
        .run()
    )
    return (
        row is not None
        and row["valid_to"] is not None
        and row["valid_to"] < today_in_vietnam()
        and _administers(prefixes, row["unit_path"])
    )


async def reset_password(access: Access, user_id: int) -> OneTimePassword:
    """A one-time password for the user; their sessions and tokens end now."""
    await _managed_user(access, user_id, "đặt lại mật khẩu")
    secret = one_time_password()
    await (
        User.update(
            {
                User.password_hash: hash_password(secret),
                User.must_change_password: True,
                User.credentials_changed_at: dt.datetime.now(dt.UTC),
            }
        )
        .where(in_tenant(User), User.id == user_id)
        .run()
    )
    await record_event(actor_of(access), "reset_password", "user", user_id)
    user = await _visible_user(access, _require_admin(access), user_id)
    return OneTimePassword(user=user, one_time_password=secret)


async def set_active(access: Access, user_id: int, active: bool) -> UserOut:
    """Deactivate (every session and token ends at once) or reactivate a user."""
    user = await _managed_user(access, user_id, "khóa tài khoản" if not active else "mở khóa")
    if user.is_active == active:
        raise Conflict(
            ("Tài khoản đang hoạt động / The account is already active: is_active")
            if active
            else ("Tài khoản đã bị khóa / The account is already deactivated: is_active"),
            field="is_active",
        )
    admin = any(m.role == "tenant_admin" for m in user.memberships)
    if not active and admin and not await _other_active_tenant_admins(user_id):
        raise Conflict(LAST_ADMIN)
    await (
        User.update({User.is_active: active, User.credentials_changed_at: dt.datetime.now(dt.UTC)})
        .where(in_tenant(User), User.id == user_id)
        .run()
    )
    await record_event(
        actor_of(access),
        "reactivate" if active else "deactivate",
        "user",
        user_id,
        before={"is_active": not active},
        after={"is_active": active},
    )
    return await _visible_user(access, _require_admin(access), user_id)


async def sign_ins(access: Access, user_id: int | None = None, limit: int = 50) -> SignInList:
    """Recent sign-in attempts, newest first: one user's, or all the caller may see
    (a tenant administrator also sees attempts with names no user has)."""
    prefixes = _require_admin(access)
    query = SignIn.select().where(in_tenant(SignIn))
    if user_id is not None:
        await _visible_user(access, prefixes, user_id)
        query = query.where(SignIn.user_id == user_id)
    elif WHOLE_TENANT not in prefixes:
        users, _ = await _visible_users(access, prefixes)
        ids = [user["id"] for user in users]
        if not ids:
            return SignInList(items=[])
        query = query.where(SignIn.user_id.is_in(ids))
    rows = (
        await query.order_by(SignIn.at, ascending=False)
        .order_by(SignIn.id, ascending=False)
        .limit(limit)
        .run()
    )
    return SignInList(
        items=[
            SignInOut(
                id=row["id"],
                at=row["at"],
                username=row["username"],
                user_id=row["user_id"],
                address=row["address"],
                channel=row["channel"],
                result=row["result"],
            )
            for row in rows
        ]
    )


async def record_sign_in(username: str, address: str, channel: str, result: str) -> None:
    """Log one sign-in attempt of the current tenant (the user found by name, if any)."""
    name = nfc(username)[:64]
    user = await User.select(User.id).where(in_tenant(User), User.username == name).first()
    await SignIn.insert(
        SignIn(
            tenant_id=require_tenant(),
            user_id=None if user is None else user["id"],
            username=name,
            address=address[:64],
            channel=channel,
            result=result,
        )
    ).run()
