"""One database transaction around a mutating request's work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from nguon.db.binding import current_engine


@asynccontextmanager
async def atomic() -> AsyncIterator[None]:
    async with current_engine().transaction():
        yield
