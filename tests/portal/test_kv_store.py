"""The database store behaves as Litestar's stores do: values expire, can be renewed,
namespaces are apart, and counters count."""

from __future__ import annotations

import asyncio
import uuid

from nguon.db.kv_store import DatabaseStore
from tests.conftest import Database


async def test_values_expire_renew_and_stay_in_their_namespace(db: Database) -> None:
    store = DatabaseStore(f"test_{uuid.uuid4().hex[:8]}")
    other = store.with_namespace("other")
    await store.set("a", b"value", expires_in=60)
    await store.set("forever", "text")
    await other.set("a", b"elsewhere")
    assert await store.get("a") == b"value"
    assert await store.get("forever") == b"text"
    assert await other.get("a") == b"elsewhere"
    assert 58 <= (await store.expires_in("a") or 0) <= 60
    assert await store.expires_in("forever") is None

    await store.get("a", renew_for=3600)
    assert (await store.expires_in("a") or 0) > 3500

    await store.set("short", b"x", expires_in=1)
    await asyncio.sleep(1.1)
    assert await store.get("short") is None
    assert not await store.exists("short")

    await store.delete("forever")
    assert await store.get("forever") is None
    await store.delete_all()
    assert await store.get("a") is None
    assert await other.get("a") is None


async def test_counters_count_and_restart_after_their_window(db: Database) -> None:
    store = DatabaseStore(f"test_{uuid.uuid4().hex[:8]}")
    counts = await asyncio.gather(*(store.increment("n", 60) for _ in range(5)))
    assert sorted(counts) == [1, 2, 3, 4, 5]
    await store.increment("brief", 1)
    await asyncio.sleep(1.1)
    assert await store.increment("brief", 1) == 1
