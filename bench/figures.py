"""The dashboards' figures on the bench database, in-process on the app role (RLS on):
counting every person's records (what each view did before roll-ups, and what the nightly
job now does once) against a view that reads the kept roll-ups, and a view after a write
in one cell (that cell counted again).

    NGUON_BENCH_DATABASE=nguon_province .venv/bin/python -m bench.figures [--rounds 3]

Ratios are of times measured in the same run; the recount is the baseline.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from bench.harness import ROLES, SECRET, _url, admin_database_url, load_average, run
from nguon.clock import today_in_vietnam
from nguon.db.binding import bind_engine
from nguon.db.engine import make_engine, postgres_config
from nguon.db.transaction import atomic
from nguon.people.tables import Candidate
from nguon.portal.progress import current_and_previous
from nguon.reports.figures import compute, subtree_figures
from nguon.reports.records import load_records
from nguon.reports.rollups import Counted, count_ahead, own_figures
from nguon.reports.structure import load_units
from nguon.reports.tables import FigureRollup
from nguon.tenancy.context import tenant_context
from nguon.tenancy.package import tenant_package, tenant_package_id
from nguon.tenancy.scoped import in_tenant

TENANT = "hungyen"
PROVINCE = "hy"
COMMUNE = "hy.x.nhuquynh"


async def _ids() -> tuple[int, dict[str, dict[str, Any]]]:
    owner = await asyncpg.connect(**postgres_config(admin_database_url()))
    try:
        tenant = await owner.fetchval("SELECT id FROM tenant WHERE slug = $1", TENANT)
        rows = await owner.fetch(
            "SELECT id, code, path FROM org_unit WHERE code = ANY($1::text[]) AND valid_to IS NULL",
            [PROVINCE, COMMUNE],
        )
        return tenant, {r["code"]: dict(r) for r in rows}
    finally:
        await owner.close()


async def _timed(work: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = await work()
    return time.perf_counter() - began, result


async def _bench(rounds: int) -> None:
    tenant, units = await _ids()
    engine = make_engine(_url(ROLES.app))
    bind_engine(engine)
    today = today_in_vietnam()
    try:
        with tenant_context(tenant):
            package = await tenant_package()
            current, previous = current_and_previous(await tenant_package_id(), today)
            periods = [p for p in (current, previous) if p is not None]
            codes = [p.code for p in periods]
            holding = package.people_holding_kinds
            people = await Candidate.count().where(in_tenant(Candidate))
            print(f"{people:,} people; load average {load_average()}")
            await FigureRollup.delete().where(in_tenant(FigureRollup))
            counted_at_night, counted = await _timed(lambda: count_ahead(today))
            print(
                f"nightly count (every unit's roll-up of {today:%d/%m/%Y}): "
                f"{counted_at_night:,.1f} s, {counted.counted:,} units"
            )
            for code in (PROVINCE, COMMUNE):
                unit = units[code]

                async def recount(unit: dict[str, Any] = unit) -> Any:
                    records = await load_records(unit["path"], codes)
                    return compute(
                        records, records.units[unit["id"]], today.year, today, periods, holding
                    )

                async def view(unit: dict[str, Any] = unit) -> Any:
                    return await subtree_figures(
                        unit["id"], unit["path"], today.year, today, periods
                    )

                for number in range(1, rounds + 1):
                    recounted, by_count = await _timed(recount)
                    kept, by_rollup = await _timed(view)
                    assert by_count.totals == by_rollup.totals, code
                    # One write in one cell of the subtree: that cell is counted again.
                    person = (
                        await Candidate.select(Candidate.id)
                        .where(in_tenant(Candidate), Candidate.unit_path.like(f"{unit['path']}%"))
                        .first()
                    )
                    async with atomic():
                        await Candidate.update({Candidate.notes: f"bench {number}"}).where(
                            Candidate.id == person["id"]
                        )
                    after_write, _ = await _timed(view)
                    check = Counted()
                    await own_figures(await load_units(), unit["path"], today.year, today, check)
                    print(
                        f"{code} round {number}: recount {recounted * 1000:,.0f} ms, "
                        f"view from roll-ups {kept * 1000:,.0f} ms "
                        f"(ratio {kept / recounted:.4f}), after a write in one cell "
                        f"{after_write * 1000:,.0f} ms (ratio {after_write / recounted:.4f}); "
                        f"{check.kept:,} roll-ups read"
                    )
    finally:
        await engine.close_connection_pool() if engine.pool else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("NGUON_SECRET_KEY", SECRET)
    os.environ.setdefault("NGUON_APP_ROLE", ROLES.app)
    run(_bench(args.rounds))


if __name__ == "__main__":
    main()
