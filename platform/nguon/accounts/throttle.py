"""Login lock-outs, kept in the store every server process shares.

Limits are per account and per (client address, account), never per address alone: a
commune office signs in from one address, and neither a colleague's mistakes nor an
attacker's made-up names on that address may refuse another person's right password.

- Per (tenant, address, username): after ``max_failures`` wrong passwords in a row that
  address is locked out of that name for ``lockout`` — every attempt from it, even with the
  right password, is refused until then. The account's owner at another address is not.
- Per (tenant, username): after ``max_account_failures`` wrong passwords from any addresses
  within ``lockout`` (a guessing attack spread over many addresses) the name is locked for
  every address that has not signed in to it successfully in the last ``known_for``: its
  owner at their usual address still gets in.

Successful sign-ins are never counted against anyone. Unknown usernames are counted and
locked exactly like real ones, so the answers never tell which names exist. The address is
the client's as ``nguon.api.proxies`` established it (X-Forwarded-For only from proxies
the operator trusts).
"""

from __future__ import annotations

import datetime as dt
from typing import cast

import msgspec
from litestar.stores.base import Store

from nguon.db.kv_store import CountingStore
from nguon.text import nfc

VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")


class LoginLimits(msgspec.Struct, frozen=True, kw_only=True):
    max_failures: int = 5
    """Wrong passwords in a row from one address that lock it out of the account."""
    max_account_failures: int = 50
    """Wrong passwords from all addresses that lock the account for unknown addresses."""
    lockout: dt.timedelta = dt.timedelta(minutes=15)
    known_for: dt.timedelta = dt.timedelta(days=90)
    """How long an address that signed in to an account stays known to it."""


class LockedOut(Exception):
    def __init__(self, until: dt.datetime) -> None:
        super().__init__(until)
        self.until = until

    @property
    def retry_after(self) -> int:
        return max(1, int((self.until - dt.datetime.now(dt.UTC)).total_seconds()) + 1)

    @property
    def message(self) -> str:
        local = self.until.astimezone(VIETNAM)
        return (
            "Tài khoản tạm khóa do nhập sai mật khẩu nhiều lần liên tiếp. "
            f"Hãy thử lại sau {local:%H:%M} ngày {local:%d/%m/%Y}. / "
            f"Sign-in is locked after repeated wrong passwords until {self.until:%H:%M} UTC."
        )


def _name(username: str) -> str:
    return nfc(username).strip().casefold()


class LoginGuard:
    def __init__(self, store: Store, limits: LoginLimits | None = None) -> None:
        if not isinstance(store, CountingStore):
            raise TypeError(f"{type(store).__name__} cannot count; use nguon.db.kv_store")
        self.store = store
        self.counter = cast(CountingStore, store)
        self.limits = limits or LoginLimits()

    async def _locked_until(self, key: str) -> dt.datetime | None:
        raw = await self.store.get(key)
        return dt.datetime.fromisoformat(raw.decode()) if raw else None

    async def before_attempt(self, tenant_id: int, address: str, username: str) -> None:
        """Raise ``LockedOut`` when this attempt may not be checked."""
        name = _name(username)
        until = await self._locked_until(f"lock:{tenant_id}:{address}:{name}")
        if until is None:
            until = await self._locked_until(f"account-lock:{tenant_id}:{name}")
            if until is not None and await self.store.exists(f"known:{tenant_id}:{address}:{name}"):
                until = None
        if until is not None:
            raise LockedOut(until)

    async def _lock_if(self, key: str, limit: int, lock_key: str) -> dt.datetime | None:
        seconds = int(self.limits.lockout.total_seconds())
        if await self.counter.increment(key, seconds) < limit:
            return None
        until = dt.datetime.now(dt.UTC) + self.limits.lockout
        await self.store.set(lock_key, until.isoformat(), expires_in=seconds)
        await self.store.delete(key)
        return until

    async def failed(self, tenant_id: int, address: str, username: str) -> dt.datetime | None:
        """Count a wrong password; returns the end of the lock-out of this address, if any."""
        name = _name(username)
        await self._lock_if(
            f"account-failures:{tenant_id}:{name}",
            self.limits.max_account_failures,
            f"account-lock:{tenant_id}:{name}",
        )
        return await self._lock_if(
            f"failures:{tenant_id}:{address}:{name}",
            self.limits.max_failures,
            f"lock:{tenant_id}:{address}:{name}",
        )

    async def succeeded(self, tenant_id: int, address: str, username: str) -> None:
        name = _name(username)
        await self.store.delete(f"failures:{tenant_id}:{address}:{name}")
        seconds = int(self.limits.known_for.total_seconds())
        await self.store.set(f"known:{tenant_id}:{address}:{name}", b"1", expires_in=seconds)
