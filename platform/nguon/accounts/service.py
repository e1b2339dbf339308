"""Signing in: check a password within the current tenant; changing one's password.

Unknown user, wrong password, inactive or locked account all give the same answer,
so a caller learns nothing about which usernames exist.
"""

from __future__ import annotations

import datetime as dt
import logging

import msgspec

from nguon.accounts.passwords import hash_password, needs_rehash, verify_password
from nguon.accounts.permissions import Access, load_access
from nguon.accounts.tables import User
from nguon.audit.service import Actor, record_event
from nguon.tenancy.context import require_tenant
from nguon.tenancy.scoped import in_tenant
from nguon.text import nfc

LOGIN_FAILED_MESSAGE = (
    "Tên đăng nhập hoặc mật khẩu không đúng. / The username or password is incorrect."
)

logger = logging.getLogger("nguon.accounts")

# Verified when the user does not exist, so both paths take about the same time.
_DUMMY_HASH = hash_password("nguon-dummy-password")


class SignedInUser(msgspec.Struct, frozen=True):
    user_id: int
    username: str
    full_name: str


async def authenticate(username: str, password: str) -> SignedInUser | None:
    """The user of the current tenant with this name and password, if active.

    Rate limits and lock-outs are the caller's (``nguon.accounts.throttle``).
    """
    tenant_id = require_tenant()
    user = await User.objects().where(in_tenant(User), User.username == nfc(username)).first()
    if user is None:
        verify_password(_DUMMY_HASH, password)
        logger.info("login failed", extra={"tenant_id": tenant_id, "reason": "unknown_user"})
        return None
    if not verify_password(user.password_hash, password) or not user.is_active:
        logger.info("login failed", extra={"tenant_id": tenant_id, "user_id": user.id})
        return None
    if needs_rehash(user.password_hash):
        await (
            User.update({User.password_hash: hash_password(password)})
            .where(in_tenant(User), User.id == user.id)
            .run()
        )
    logger.info("login succeeded", extra={"tenant_id": tenant_id, "user_id": user.id})
    return SignedInUser(user_id=user.id, username=user.username, full_name=user.full_name)


async def access_for_user(user_id: int) -> Access | None:
    """The access of an active user of the current tenant, or None."""
    tenant_id = require_tenant()
    row = await (
        User.select(User.id, User.username, User.full_name, User.is_active)
        .where(in_tenant(User), User.id == user_id)
        .first()
        .run()
    )
    if row is None or not row["is_active"]:
        return None
    return await load_access(row["id"], tenant_id, row["username"], row["full_name"])


MIN_PASSWORD_LENGTH = 10


async def change_password(access: Access, current: str, new: str, confirm: str) -> dict[str, str]:
    """Change the signed-in user's password; returns Vietnamese messages by field, or {}."""
    errors: dict[str, str] = {}
    user = await User.objects().where(in_tenant(User), User.id == access.user_id).first()
    if user is None or not verify_password(user.password_hash, current):
        errors["current_password"] = "Mật khẩu hiện tại không đúng."
    if len(new) < MIN_PASSWORD_LENGTH:
        errors["new_password"] = f"Mật khẩu mới cần ít nhất {MIN_PASSWORD_LENGTH} ký tự."
    elif nfc(new).casefold() == nfc(access.username).casefold():
        errors["new_password"] = "Mật khẩu mới không được trùng với tên đăng nhập."
    elif new == current:
        errors["new_password"] = "Mật khẩu mới phải khác mật khẩu hiện tại."
    if confirm != new:
        errors["confirm_password"] = "Mật khẩu nhập lại không khớp với mật khẩu mới."
    if errors or user is None:
        return errors
    await (
        User.update(
            {
                User.password_hash: hash_password(new),
                User.credentials_changed_at: dt.datetime.now(dt.UTC),
                User.must_change_password: False,
            }
        )
        .where(in_tenant(User), User.id == user.id)
        .run()
    )
    await record_event(
        Actor(label=access.username, user_id=access.user_id),
        "change_password",
        "user",
        user.id,
        None,
        None,
    )
    logger.info("password changed", extra={"tenant_id": require_tenant(), "user_id": user.id})
    return {}
