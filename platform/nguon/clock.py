"""Moments as whole milliseconds since the epoch (session stamps, token stamps, expiries)."""

from __future__ import annotations

import datetime as dt
import time


def now_ms() -> int:
    return int(time.time() * 1000)


def epoch_ms(moment: dt.datetime | None) -> int:
    """``moment`` in milliseconds since the epoch; 0 for none."""
    return int(moment.timestamp() * 1000) if moment is not None else 0
