"""Signing in to the API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


class TokenResponse(msgspec.Struct):
    access_token: str
    expires_at: dt.datetime
    token_type: Literal["bearer"] = "bearer"


class LoginForm(msgspec.Struct):
    username: str = ""
    password: str = ""
    next: str = ""


class PasswordForm(msgspec.Struct):
    current_password: str = ""
    new_password: str = ""
    confirm_password: str = ""
