"""The one engine thread of the process, reached through a single-worker executor."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class EngineThread:
    """Owns the engine; every engine call runs on this one worker thread."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nguon-rules")
        self._engine: Any = None

    def _engine_here(self) -> Any:
        if self._engine is None:
            from nguon.rules.engine.durable_adapter import DurableEngine

            self._engine = DurableEngine()
        return self._engine

    def _call(self, method: str, *args: Any) -> Any:
        return getattr(self._engine_here(), method)(*args)

    def submit(self, method: str, *args: Any) -> Any:
        """Run an engine method on the engine thread and wait (for sync callers)."""
        return self._executor.submit(self._call, method, *args).result()

    async def run(self, method: str, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, method, *args)

    def call_in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(engine, *args)`` on the engine thread (tests and tools)."""
        return self._executor.submit(lambda: fn(self._engine_here(), *args)).result()


_instance: EngineThread | None = None
_lock = threading.Lock()


def get_engine_thread() -> EngineThread:
    global _instance
    with _lock:
        if _instance is None:
            _instance = EngineThread()
        return _instance
