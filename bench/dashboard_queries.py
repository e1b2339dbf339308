"""The district dashboard's data, the portal's queries one by one against
``nguon.reports.dashboard.dashboard_figures``, on the bench database of ``bench.portal``.

    .venv/bin/python -m bench.dashboard_queries [--rounds 50]

Sequential calls in one process, alternating, so both see the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import time

from bench.harness import ROLES, _url, load_average
from nguon.db.binding import bind_engine
from nguon.db.engine import make_engine
from nguon.portal.progress import (
    current_and_previous,
    period_status,
    quarters,
    stage_counts_by_unit,
    subtree_units,
)
from nguon.reports.dashboard import dashboard_figures
from nguon.tenancy.context import tenant_context

DISTRICT_ID = 5
TENANT_ID = 1


async def portal_queries(path: str, year: int, periods: list) -> None:
    await subtree_units(path)
    await stage_counts_by_unit(path)
    await quarters(path, year, DISTRICT_ID)
    for period in periods:
        await period_status(path, period)


async def main(rounds: int) -> None:
    engine = make_engine(_url(ROLES.app))
    bind_engine(engine)
    await engine.start_connection_pool(min_size=1, max_size=2)
    year = dt.date.today().year
    periods = [p for p in current_and_previous("hungyen", dt.date.today()) if p is not None]
    old: list[float] = []
    new: list[float] = []
    with tenant_context(TENANT_ID):
        path = next(u["path"] for u in await subtree_units("") if u["id"] == DISTRICT_ID)
        for _ in range(rounds):
            start = time.perf_counter()
            await portal_queries(path, year, periods)
            old.append(time.perf_counter() - start)
            start = time.perf_counter()
            await dashboard_figures(path, DISTRICT_ID, year, periods)
            new.append(time.perf_counter() - start)
    await engine.close_connection_pool()
    print(f"district dashboard data, {rounds} rounds, load average {load_average()}")
    for name, times in (("portal queries", old), ("dashboard_figures", new)):
        print(
            f"{name:<20} median {statistics.median(times) * 1000:6.1f} ms  "
            f"p90 {statistics.quantiles(times, n=10)[-1] * 1000:6.1f} ms"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    asyncio.run(main(parser.parse_args().rounds))
