"""The retry schedule an operator configures: the first retry after ``backoff_seconds``,
each further one twice as late, up to 25 % later for jitter, never later than 6 hours."""

from __future__ import annotations

import datetime as dt

from nguon.plugins_builtin.webhooks.config import WebhooksConfig
from nguon.plugins_builtin.webhooks.outbox import retry_delay


def test_each_retry_waits_twice_as_long_plus_jitter_up_to_six_hours() -> None:
    config = WebhooksConfig(backoff_seconds=10.0)
    for attempts, base in ((1, 10), (2, 20), (3, 40), (6, 320)):
        for _ in range(50):
            waited = retry_delay(config, attempts).total_seconds()
            assert base <= waited <= base * 1.25, (attempts, waited)
    seen = {retry_delay(config, 3).total_seconds() for _ in range(50)}
    assert len(seen) > 1  # jittered, so that failed receivers are not retried in step
    assert retry_delay(config, 30) == dt.timedelta(hours=6)
