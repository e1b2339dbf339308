"""One database transaction around a mutating request's work, and work for after it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar

from nguon.db.binding import current_engine

_after_commit: ContextVar[list[Callable[[], None]] | None] = ContextVar(
    "nguon_after_commit", default=None
)


@asynccontextmanager
async def atomic() -> AsyncIterator[None]:
    """A transaction; inside another ``atomic()`` it joins that one."""
    if _after_commit.get() is not None:
        async with current_engine().transaction():
            yield
        return
    callbacks: list[Callable[[], None]] = []
    token = _after_commit.set(callbacks)
    try:
        async with current_engine().transaction():
            yield
    finally:
        _after_commit.reset(token)
    for callback in callbacks:
        callback()


def on_commit(callback: Callable[[], None]) -> None:
    """Call ``callback`` once the outermost ``atomic()`` has committed (never on a
    rollback); outside one, now."""
    callbacks = _after_commit.get()
    if callbacks is None:
        callback()
    else:
        callbacks.append(callback)
