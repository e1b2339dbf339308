"""Users of the portal and API: one tenant each, argon2id password hashes."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from nguon.tenancy.tables import Tenant


class User(Table, tablename="app_user"):
    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    username = Varchar(length=64)
    full_name = Varchar(length=200)
    password_hash = Varchar(length=200)
    is_active = Boolean(default=True)
    credentials_changed_at = Timestamptz(null=True, default=None)
    """Sessions and API tokens issued before this moment (a password change) are void."""
    created_at = Timestamptz(default=TimestamptzNow())
    must_change_password = Boolean(default=False)
    """Set by an administrator's password reset: the user must choose a new one first."""


class SignIn(Table, tablename="sign_in"):
    """One sign-in attempt: who (the name typed, the user when it exists), from where, how
    it ended. Append-only, like the audit log."""

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    at = Timestamptz(default=TimestamptzNow())
    user_id = Integer(null=True, default=None)
    username = Varchar(length=64)
    address = Varchar(length=64)
    channel = Varchar(length=16)
    result = Varchar(length=16)
