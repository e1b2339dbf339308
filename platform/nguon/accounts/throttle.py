"""Login rate limits and lock-outs, kept in the store every server process shares.

Per tenant and client address: at most ``per_address`` failed attempts a minute (a
commune office signs in from one address; its successful sign-ins are never limited).
Per tenant and username: at most ``per_username`` attempts a minute, and after ``max_failures``
wrong passwords in a row the name is locked for ``lockout`` — every attempt, even
with the right password, is refused until then. Unknown usernames are counted and
locked exactly like real ones, so the answers never tell which names exist.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

import msgspec
from litestar.stores.base import Store

from nguon.portal.store import CountingStore
from nguon.text import nfc

VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")


class LoginLimits(msgspec.Struct, frozen=True, kw_only=True):
    per_address: int = 20
    per_username: int = 10
    window_seconds: int = 60
    max_failures: int = 5
    lockout: dt.timedelta = dt.timedelta(minutes=15)


class TooManyAttempts(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        return (
            f"Đăng nhập quá nhiều lần trong thời gian ngắn. Hãy thử lại sau {self.retry_after} "
            f"giây. / Too many sign-in attempts; try again in {self.retry_after} seconds."
        )


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
            raise TypeError(f"{type(store).__name__} cannot count; use nguon.portal.store")
        self.store = store
        self.counter = cast(CountingStore, store)
        self.limits = limits or LoginLimits()

    async def _locked_until(self, tenant_id: int, username: str) -> dt.datetime | None:
        raw = await self.store.get(f"lock:{tenant_id}:{_name(username)}")
        return dt.datetime.fromisoformat(raw.decode()) if raw else None

    async def _count(self, key: str, limit: int) -> None:
        window = self.limits.window_seconds
        if await self.counter.increment(key, window) > limit:
            remaining = await self.store.expires_in(key)
            raise TooManyAttempts(retry_after=max(1, remaining or window))

    async def before_attempt(self, tenant_id: int, address: str, username: str) -> None:
        """Raise ``TooManyAttempts`` or ``LockedOut`` when this attempt may not be checked."""
        address_key = f"address:{tenant_id}:{address}"
        if await self.counter.count(address_key) >= self.limits.per_address:
            remaining = await self.store.expires_in(address_key)
            raise TooManyAttempts(retry_after=max(1, remaining or self.limits.window_seconds))
        await self._count(f"username:{tenant_id}:{_name(username)}", self.limits.per_username)
        until = await self._locked_until(tenant_id, username)
        if until is not None:
            raise LockedOut(until)

    async def failed(self, tenant_id: int, address: str, username: str) -> dt.datetime | None:
        """Count a wrong password; returns the end of the lock-out it starts, if any."""
        await self.counter.increment(f"address:{tenant_id}:{address}", self.limits.window_seconds)
        name = _name(username)
        seconds = int(self.limits.lockout.total_seconds())
        failures = await self.counter.increment(f"failures:{tenant_id}:{name}", seconds)
        if failures < self.limits.max_failures:
            return None
        until = dt.datetime.now(dt.UTC) + self.limits.lockout
        await self.store.set(f"lock:{tenant_id}:{name}", until.isoformat(), expires_in=seconds)
        await self.store.delete(f"failures:{tenant_id}:{name}")
        return until

    async def succeeded(self, tenant_id: int, username: str) -> None:
        await self.store.delete(f"failures:{tenant_id}:{_name(username)}")
