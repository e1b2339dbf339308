"""Signing in: check a password within the current tenant, with a lockout after failures.

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
from nguon.tenancy.context import require_tenant
from nguon.tenancy.scoped import in_tenant
from nguon.text import nfc

MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
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
    tenant_id = require_tenant()
    user = await User.objects().where(in_tenant(User), User.username == nfc(username)).first()
    now = dt.datetime.now(dt.UTC)
    if user is None:
        verify_password(_DUMMY_HASH, password)
        logger.info("login failed", extra={"tenant_id": tenant_id, "reason": "unknown_user"})
        return None
    locked = user.locked_until is not None and user.locked_until > now
    if not verify_password(user.password_hash, password) or locked or not user.is_active:
        if not locked:
            failures = user.failed_logins + 1
            values: dict = {User.failed_logins: failures}
            if failures >= MAX_FAILED_LOGINS:
                values = {User.failed_logins: 0, User.locked_until: now + LOCKOUT}
            await User.update(values).where(in_tenant(User), User.id == user.id).run()
        logger.info(
            "login failed",
            extra={"tenant_id": tenant_id, "user_id": user.id, "locked": locked},
        )
        return None
    values = {User.failed_logins: 0, User.locked_until: None}
    if needs_rehash(user.password_hash):
        values[User.password_hash] = hash_password(password)
    await User.update(values).where(in_tenant(User), User.id == user.id).run()
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
