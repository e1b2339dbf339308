"""Moments as whole milliseconds since the epoch (session stamps, token stamps, expiries)."""

from __future__ import annotations

import datetime as dt
import time


def now_ms() -> int:
    return int(time.time() * 1000)


def epoch_ms(moment: dt.datetime | None) -> int:
    """``moment`` in milliseconds since the epoch; 0 for none."""
    return int(moment.timestamp() * 1000) if moment is not None else 0


VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")
"""Asia/Ho_Chi_Minh: UTC+7 all year (no daylight saving)."""


def utc_now() -> dt.datetime:
    """Now, aware, in UTC (one place, so a test can set the clock)."""
    return dt.datetime.now(dt.UTC)


def today_in_vietnam() -> dt.date:
    """The user's day: at 2026-12-31T18:00Z it is already 01/01/2027 in Hưng Yên."""
    return utc_now().astimezone(VIETNAM).date()
