"""Login limits as an office meets them: many colleagues sign in from one address."""

from __future__ import annotations

import pytest

from nguon.accounts.throttle import LoginGuard, LoginLimits, TooManyAttempts
from nguon.portal.store import DatabaseStore
from tests.conftest import Database


async def test_an_office_signing_in_together_is_never_limited(db: Database) -> None:
    guard = LoginGuard(DatabaseStore(f"office-{db.kind}"))
    for n in range(60):
        await guard.before_attempt(1, "203.0.113.7", f"can-bo-{n}")
        await guard.succeeded(1, f"can-bo-{n}")


async def test_wrong_passwords_from_one_address_are_limited(db: Database) -> None:
    guard = LoginGuard(DatabaseStore(f"guessing-{db.kind}"), LoginLimits(per_address=3))
    for n in range(3):
        await guard.before_attempt(1, "198.51.100.9", f"doan-{n}")
        await guard.failed(1, "198.51.100.9", f"doan-{n}")
    with pytest.raises(TooManyAttempts) as refused:
        await guard.before_attempt(1, "198.51.100.9", "nguoi-khac")
    assert 0 < refused.value.retry_after <= 60
    await guard.before_attempt(1, "192.0.2.1", "nguoi-khac")
