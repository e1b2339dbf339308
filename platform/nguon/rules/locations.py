"""Where an item of a package file starts, so that a refusal names the file and the line.

TOML keeps no positions after decoding; the items of a package file are arrays of tables
(``[[rule]]``, ``[[chain]]`` …), decoded in order, so the n-th item is the n-th header.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=64)
def _headers(path: Path, mtime_ns: int) -> dict[str, tuple[int, ...]]:
    found: dict[str, list[int]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    for number, line in enumerate(lines, start=1):
        match = re.match(r"\s*\[\[\s*([A-Za-z0-9_.]+)\s*\]\]", line)
        if match:
            found.setdefault(match.group(1), []).append(number)
    return {table: tuple(numbers) for table, numbers in found.items()}


def item_line(path: Path, table: str, index: int) -> int | None:
    """The line of the ``index``-th ``[[table]]`` header of ``path`` (1-based), if any."""
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return None
    numbers = _headers(path, mtime).get(table, ())
    return numbers[index] if 0 <= index < len(numbers) else None
