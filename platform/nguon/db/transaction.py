"""One database transaction around a mutating request's work, and work for after it."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar

from nguon.db.binding import current_engine

AfterCommit = Callable[[], Awaitable[None] | None]

_after_commit: ContextVar[list[AfterCommit] | None] = ContextVar("nguon_after_commit", default=None)


def in_atomic() -> bool:
    """Whether an ``atomic()`` is open here (a new one would join it)."""
    return _after_commit.get() is not None


@asynccontextmanager
async def atomic() -> AsyncIterator[None]:
    """A transaction; inside another ``atomic()`` it joins that one."""
    if _after_commit.get() is not None:
        async with current_engine().transaction():
            yield
        return
    callbacks: list[AfterCommit] = []
    token = _after_commit.set(callbacks)
    try:
        async with current_engine().transaction():
            yield
    finally:
        _after_commit.reset(token)
    for callback in callbacks:
        result = callback()
        if inspect.isawaitable(result):
            await result


def on_commit(callback: Callable[[], None]) -> None:
    """Call ``callback`` once the outermost ``atomic()`` has committed (never on a
    rollback); outside one, now."""
    callbacks = _after_commit.get()
    if callbacks is None:
        callback()
    else:
        callbacks.append(callback)


def after_commit(callback: Callable[[], Awaitable[None]]) -> bool:
    """Await ``callback()`` once the outermost ``atomic()`` has committed; False (and
    nothing registered) when no ``atomic()`` is open."""
    callbacks = _after_commit.get()
    if callbacks is None:
        return False
    callbacks.append(callback)
    return True
