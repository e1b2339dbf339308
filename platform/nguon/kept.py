"""Values kept in one process by content: a bounded map, least recently used out first,
and single flights, so that requests arriving together for the same missing value make it
once."""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar

import msgspec

V = TypeVar("V")


class BoundedCache(Generic[V]):
    """A map key → value holding at most ``size`` items, least recently used out first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[bytes, V] = OrderedDict()

    def get(self, key: bytes) -> V | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: bytes, value: V) -> None:
        if self.size <= 0:
            return
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class SingleFlight:
    """Concurrent requests for the same missing page: the first reads and renders it,
    the others wait for it and then find it kept, so a page everyone asks for at once
    (right after a change) is rendered once instead of by every one of them."""

    def __init__(self) -> None:
        self._running: dict[bytes, asyncio.Future[None]] = {}

    @asynccontextmanager
    async def after_others(self, key: bytes) -> AsyncIterator[None]:
        """Run the body once no other request is running it for ``key``; the body looks
        for what an earlier one kept before doing the work itself."""
        while (running := self._running.get(key)) is not None:
            # Only ever resolved, never failed; shielded: a waiter that gives up (its
            # client went away) does not cancel the running one.
            await asyncio.shield(running)
        finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._running[key] = finished
        try:
            yield
        finally:
            del self._running[key]
            finished.set_result(None)


def content_key(*parts: Any) -> bytes:
    """A digest of ``parts`` (anything msgpack encodes)."""
    return hashlib.blake2b(msgspec.msgpack.encode(parts), digest_size=20).digest()
