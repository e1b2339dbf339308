"""Login limits as an office meets them: many colleagues sign in from one address, and
nobody's failures refuse another person's right password."""

from __future__ import annotations

import pytest

from nguon.accounts.throttle import LockedOut, LoginGuard, LoginLimits
from nguon.db.kv_store import DatabaseStore
from tests.conftest import Database

OFFICE = "203.0.113.7"


async def test_an_office_signing_in_together_is_never_limited(db: Database) -> None:
    guard = LoginGuard(DatabaseStore(f"office-{db.kind}"))
    for n in range(60):
        await guard.before_attempt(1, OFFICE, f"can-bo-{n}")
        await guard.succeeded(1, OFFICE, f"can-bo-{n}")


async def test_made_up_names_from_one_address_never_lock_a_real_account(db: Database) -> None:
    guard = LoginGuard(DatabaseStore(f"spray-{db.kind}"))
    for n in range(40):
        await guard.before_attempt(1, OFFICE, f"khong-co-{n}")
        await guard.failed(1, OFFICE, f"khong-co-{n}")
    await guard.before_attempt(1, OFFICE, "can-bo-that")


async def test_wrong_passwords_lock_that_address_out_of_that_account_only(db: Database) -> None:
    guard = LoginGuard(DatabaseStore(f"pair-{db.kind}"), LoginLimits(max_failures=3))
    for _ in range(2):
        await guard.before_attempt(1, "198.51.100.9", "doan")
        assert await guard.failed(1, "198.51.100.9", "doan") is None
    assert await guard.failed(1, "198.51.100.9", "DOAN ") is not None
    with pytest.raises(LockedOut) as refused:
        await guard.before_attempt(1, "198.51.100.9", "doan")
    assert refused.value.retry_after > 14 * 60
    await guard.before_attempt(1, "192.0.2.1", "doan")  # the owner, elsewhere
    await guard.before_attempt(1, "198.51.100.9", "nguoi-khac")
    await guard.before_attempt(2, "198.51.100.9", "doan")  # another tenant's "doan"


async def test_guessing_spread_over_many_addresses_locks_the_account_but_not_its_owner(
    db: Database,
) -> None:
    guard = LoginGuard(
        DatabaseStore(f"botnet-{db.kind}"), LoginLimits(max_failures=5, max_account_failures=10)
    )
    await guard.succeeded(1, OFFICE, "chu-tai-khoan")  # the owner signed in from the office
    for n in range(10):
        await guard.failed(1, f"198.51.100.{n}", "chu-tai-khoan")
    with pytest.raises(LockedOut):
        await guard.before_attempt(1, "198.51.100.200", "chu-tai-khoan")
    await guard.before_attempt(1, OFFICE, "chu-tai-khoan")
