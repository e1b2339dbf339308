"""The nightly re-evaluation against a full one, on the same people in the same run
(issue 16: touching only the people due, under 2 % of a full re-evaluation's time).

    NGUON_BENCH_DATABASE=nguon_province .venv/bin/python -m bench.nightly [--rounds 2]

Needs a bench database with the Hưng Yên tenant (``bench.province`` makes the full-size
one). Each round, as the worker runs them (app role, the tenant set, row-level security on):

- **full**: every person of the tenant evaluated on DAY and every decision stored, in
  batches of ``--batch`` (what a tenant-wide re-evaluation does);
- **nightly**: ``reevaluate_due`` on the next day, which reads the stored ``next_check``
  of the decisions just written and evaluates only the people whose outcome may change.

The full pass comes first in each round so that the nightly one starts from decisions
stored on DAY, as on a live system the night after a day's work.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time

import asyncpg

from bench.harness import ROLES, SECRET, _url, admin_database_url, load_average, run
from nguon.clock import today_in_vietnam
from nguon.db.binding import bind_engine
from nguon.db.engine import make_engine, postgres_config
from nguon.jobs.reevaluation import due_candidates, reevaluate_candidates, reevaluate_due
from nguon.people.tables import Candidate
from nguon.tenancy.context import tenant_context
from nguon.tenancy.package import tenant_package
from nguon.tenancy.scoped import in_tenant

TENANT = "hungyen"


async def _tenant_id() -> int:
    owner = await asyncpg.connect(**postgres_config(admin_database_url()))
    try:
        return await owner.fetchval("SELECT id FROM tenant WHERE slug = $1", TENANT)
    finally:
        await owner.close()


async def _full(day: dt.date, batch: int) -> tuple[float, int]:
    began = time.perf_counter()
    after, people = 0, 0
    while True:
        rows = await (
            Candidate.select(Candidate.id)
            .where(in_tenant(Candidate), Candidate.id > after)
            .order_by(Candidate.id)
            .limit(batch)
            .run()
        )
        if not rows:
            break
        ids = [row["id"] for row in rows]
        people += await reevaluate_candidates(ids, day)
        after = ids[-1]
    return time.perf_counter() - began, people


async def _nightly(day: dt.date) -> tuple[float, int]:
    began = time.perf_counter()
    people = await reevaluate_due(day)
    return time.perf_counter() - began, people


async def _round(tenant: int, day: dt.date, batch: int) -> tuple[float, float]:
    engine = make_engine(_url(ROLES.app))
    bind_engine(engine)
    try:
        with tenant_context(tenant):
            await tenant_package()  # a worker has it loaded already
            full, evaluated = await _full(day, batch)
            print(f"  full re-evaluation on {day:%d/%m/%Y}: {full:,.1f} s, {evaluated:,} people")
            due = len(await due_candidates(day + dt.timedelta(days=1), limit=10**9))
            nightly, touched = await _nightly(day + dt.timedelta(days=1))
            print(
                f"  nightly re-evaluation on {day + dt.timedelta(days=1):%d/%m/%Y}: "
                f"{nightly:,.2f} s, {touched:,} people due ({due:,} found by next_check)"
            )
            print(f"  ratio (nightly time / full time): {nightly / full:.4f}")
            return full, nightly
    finally:
        await engine.close_connection_pool() if engine.pool else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch", type=int, default=500, help="people per transaction")
    parser.add_argument("--day", type=dt.date.fromisoformat, default=None)
    args = parser.parse_args()
    os.environ.setdefault("NGUON_SECRET_KEY", SECRET)
    os.environ.setdefault("NGUON_APP_ROLE", ROLES.app)
    day = args.day or today_in_vietnam()
    tenant = run(_tenant_id())
    print(f"load average {load_average()}")
    ratios = []
    for round_number in range(1, args.rounds + 1):
        print(f"round {round_number}")
        full, nightly = run(_round(tenant, day, args.batch))
        ratios.append(nightly / full)
    print(f"nightly / full: {min(ratios):.4f}–{max(ratios):.4f} (goal < 0.02)")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
