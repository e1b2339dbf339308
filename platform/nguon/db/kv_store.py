"""Stores every server process shares: Redis when configured, the database otherwise.

Both kinds are Litestar ``Store``s (sessions use them as such) and both can count
atomically (``increment``), which login rate limits and lock-outs need when two
processes answer the same address.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any, Protocol, Self, runtime_checkable

from litestar.stores.base import NamespacedStore, Store
from litestar.stores.redis import RedisStore
from redis.asyncio import Redis

from nguon.clock import now_ms
from nguon.portal.tables import KeyValue

_PURGE_CHANCE = 0.01
"""How often a write also removes expired rows (the database store only)."""


@runtime_checkable
class CountingStore(Protocol):
    async def increment(self, key: str, window: int) -> int:
        """Add one to the counter at ``key``; a new or expired counter starts at 1 and
        expires ``window`` seconds later. Returns the count."""
        ...

    async def count(self, key: str) -> int:
        """The counter at ``key`` now: 0 when absent or expired."""
        ...


def _seconds(value: int | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class DatabaseStore(NamespacedStore):
    """A store in the ``kv_store`` table of the bound database (SQLite or Postgres)."""

    __slots__ = ()

    def __init__(self, namespace: str = "nguon") -> None:
        self.namespace = namespace

    def with_namespace(self, namespace: str) -> Self:
        return type(self)(f"{self.namespace}_{namespace}")

    def _key(self, key: str) -> str:
        return f"{self.namespace}:{key}"

    @staticmethod
    def _expiry(expires_in: int | dt.timedelta | None) -> int | None:
        if expires_in is None:
            return None
        return now_ms() + int(_seconds(expires_in) * 1000)

    async def set(
        self, key: str, value: str | bytes, expires_in: int | dt.timedelta | None = None
    ) -> None:
        data = value.encode() if isinstance(value, str) else value
        await KeyValue.raw(
            "INSERT INTO kv_store (key, value, counter, expires_at) VALUES ({}, {}, 0, {}) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, counter = 0, "
            "expires_at = excluded.expires_at",
            self._key(key),
            data,
            self._expiry(expires_in),
        ).run()
        if random.random() < _PURGE_CHANCE:
            await self.delete_expired()

    async def get(self, key: str, renew_for: int | dt.timedelta | None = None) -> bytes | None:
        full = self._key(key)
        rows = await KeyValue.raw(
            "SELECT value, expires_at FROM kv_store WHERE key = {}", full
        ).run()
        if not rows:
            return None
        row = rows[0]
        if row["expires_at"] is not None and row["expires_at"] <= now_ms():
            await KeyValue.delete().where(KeyValue.key == full).run()
            return None
        if renew_for and row["expires_at"] is not None:
            await (
                KeyValue.update({KeyValue.expires_at: self._expiry(renew_for)})
                .where(KeyValue.key == full)
                .run()
            )
        return bytes(row["value"])

    async def delete(self, key: str) -> None:
        await KeyValue.delete().where(KeyValue.key == self._key(key)).run()

    async def delete_all(self) -> None:
        """Everything in this namespace and the namespaces under it."""
        # In LIKE "_" matches any one character, so "ns_%" also covers child namespaces.
        await (
            KeyValue.delete()
            .where(
                (KeyValue.key.like(f"{self.namespace}:%"))
                | (KeyValue.key.like(f"{self.namespace}_%:%"))
            )
            .run()
        )

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        row = await (
            KeyValue.select(KeyValue.expires_at).where(KeyValue.key == self._key(key)).first().run()
        )
        if row is None or row["expires_at"] is None:
            return None
        remaining = (row["expires_at"] - now_ms()) // 1000
        return remaining if remaining > 0 else None

    async def increment(self, key: str, window: int) -> int:
        now = now_ms()
        rows = await KeyValue.raw(
            "INSERT INTO kv_store (key, value, counter, expires_at) VALUES ({}, {}, 1, {}) "
            "ON CONFLICT (key) DO UPDATE SET "
            "counter = CASE WHEN kv_store.expires_at <= {} THEN 1 "
            "ELSE kv_store.counter + 1 END, "
            "expires_at = CASE WHEN kv_store.expires_at <= {} THEN excluded.expires_at "
            "ELSE kv_store.expires_at END "
            "RETURNING counter",
            self._key(key),
            b"",
            now + window * 1000,
            now,
            now,
        ).run()
        return int(rows[0]["counter"])

    async def count(self, key: str) -> int:
        row = await (
            KeyValue.select(KeyValue.counter)
            .where(KeyValue.key == self._key(key), KeyValue.expires_at > now_ms())
            .first()
            .run()
        )
        return int(row["counter"]) if row else 0

    async def delete_expired(self) -> None:
        await KeyValue.delete().where(KeyValue.expires_at <= now_ms()).run()


class CountingRedisStore(RedisStore):
    """Litestar's Redis store with an atomic counter."""

    def with_namespace(self, namespace: str) -> CountingRedisStore:
        return CountingRedisStore(
            redis=self._redis,
            namespace=f"{self.namespace}_{namespace}" if self.namespace else namespace,
            handle_client_shutdown=False,
        )

    async def increment(self, key: str, window: int) -> int:
        full = self._make_key(key)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(full)
            pipe.expire(full, window, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def count(self, key: str) -> int:
        value = await self._redis.get(self._make_key(key))
        return int(value) if value is not None else 0


def shared_store(redis_url: str | None, namespace: str = "nguon") -> Store:
    """The store for ``namespace``: Redis at ``redis_url``, else the database."""
    if redis_url:
        client: Redis[Any] = Redis.from_url(redis_url)
        return CountingRedisStore(client, namespace=namespace, handle_client_shutdown=True)
    return DatabaseStore(namespace)
