"""A fixed pool of session ids whose 32-bit engine hashes are distinct.

durable-rules finds sessions by an FNV-1a 32-bit hash of the session id only, so two
ids with one hash would share facts. Person ids are never session ids.
"""

from __future__ import annotations

from collections import deque

FNV_OFFSET_BASIS = 2166136261
FNV_PRIME = 16777619


def fnv1a_32(text: str) -> int:
    """The hash durable-rules' C core computes for a session id (ASCII ids)."""
    value = FNV_OFFSET_BASIS
    for byte in text.encode("ascii"):
        value ^= byte
        value = (value * FNV_PRIME) & 0xFFFFFFFF
    return value


class SessionPool:
    def __init__(self, size: int = 64, prefix: str = "nguon-s") -> None:
        if not 1 <= size <= 1024:
            raise ValueError("a ruleset holds at most 1,024 live sessions")
        ids = [f"{prefix}{n:04d}" for n in range(size)]
        hashes = {fnv1a_32(sid) for sid in ids}
        if len(hashes) != len(ids):
            raise RuntimeError("session ids of the pool collide in the engine's 32-bit hash")
        self._free: deque[str] = deque(ids)
        self.retired: list[str] = []

    def acquire(self) -> str:
        if not self._free:
            raise RuntimeError("no session id left in the pool")
        return self._free.popleft()

    def release(self, sid: str) -> None:
        self._free.append(sid)

    def retire(self, sid: str) -> None:
        """Never reuse ``sid``: its session could not be deleted safely."""
        self.retired.append(sid)

    def __len__(self) -> int:
        return len(self._free)
