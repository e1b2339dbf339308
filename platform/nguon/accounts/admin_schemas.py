"""What the user administration API takes and gives."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from nguon.accounts.permissions import Role

Username = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
FullName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
SignInResult = Literal["succeeded", "failed", "locked"]


class UserCreate(msgspec.Struct, forbid_unknown_fields=True):
    username: Username
    full_name: FullName
    unit_id: int | None = None
    """With ``role``: the first membership (required of unit administrators)."""
    role: Role | None = None


class MembershipIn(msgspec.Struct, forbid_unknown_fields=True):
    unit_id: int
    role: Role


class MembershipOut(msgspec.Struct):
    id: int
    unit_id: int
    unit_name: str
    unit_path: str
    role: Role
    valid_from: dt.date
    valid_to: dt.date | None


class UserOut(msgspec.Struct):
    id: int
    username: str
    full_name: str
    is_active: bool
    must_change_password: bool
    created_at: dt.datetime
    memberships: list[MembershipOut]
    manageable: bool
    """Whether the caller may reset the password and deactivate: every role the user holds
    is within what the caller administers."""


class UserPage(msgspec.Struct):
    items: list[UserOut]
    total: int
    page: int
    page_size: int


class OneTimePassword(msgspec.Struct):
    """Shown once to the administrator; the user must replace it at the next sign-in."""

    user: UserOut
    one_time_password: str


class SignInOut(msgspec.Struct):
    id: int
    at: dt.datetime
    username: str
    user_id: int | None
    address: str
    channel: str
    result: SignInResult


class SignInList(msgspec.Struct):
    items: list[SignInOut]


class PasswordChange(msgspec.Struct, forbid_unknown_fields=True):
    current_password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
    new_password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
