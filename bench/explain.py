"""Every statement one portal view sends to Postgres, each re-run under ``EXPLAIN ANALYZE``
as the app role with a custom and a generic plan: the sequential scans and the time each
costs the database, which a profile of the web process does not show.

    NGUON_BENCH_DATABASE=nguon_province .venv/bin/python -m bench.explain [PAGE …]

PAGE: ``floor`` (the password form), ``list`` (a cell's survey list), ``commune``,
``province`` (dashboards); all four by default. The server runs the app under a factory
that records each statement asyncpg executes with its arguments; the page is viewed a few
times (so that kept trees and figures are warm, as on a live system) and then once more,
recorded. A prepared statement switches to a generic plan after five runs, which cannot
use an index for a ``LIKE`` parameter; and Row-Level Security keeps a join or filter that
calls a function not marked leakproof (``COALESCE`` among them) from being an index
condition — both show here as a sequential scan.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
from pathlib import Path
from typing import Any

import asyncpg
import asyncpg.connection
import httpx
from litestar import Litestar

from bench.harness import ROLES, run, server
from bench.portal import (
    COMMITTEE,
    PROVINCE,
    PROVINCE_USER,
    SESSION_COOKIE,
    TENANT,
    USER,
    sign_in,
    survey_list,
    unit_ids,
)
from nguon.db.engine import postgres_config

TRACE = "NGUON_BENCH_TRACE"
"""The file the traced server appends its statements to (JSON lines)."""
CELL = "hy.x.nhuquynh.full-25"
PAGES = ("floor", "list", "commune", "province")


def _encoded(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, list | tuple):
        return [_encoded(v) for v in value]
    return value if isinstance(value, int | float | str | bool) or value is None else str(value)


def _decoded(value: Any) -> Any:
    if isinstance(value, dict):
        text = value["date"]
        return dt.datetime.fromisoformat(text) if "T" in text else dt.date.fromisoformat(text)
    return [_decoded(v) for v in value] if isinstance(value, list) else value


def create_traced_app() -> Litestar:
    """The bench app, recording every statement with arguments to ``$NGUON_BENCH_TRACE``."""
    from bench.app import create_bench_app

    # Open for as long as the server runs: each statement is appended as it completes.
    log = Path(os.environ[TRACE]).open("a", buffering=1, encoding="utf-8")  # noqa: SIM115
    original = asyncpg.connection.Connection._execute

    async def traced(self: Any, query: str, args: Any, *rest: Any, **options: Any) -> Any:
        started = time.perf_counter()
        try:
            return await original(self, query, args, *rest, **options)
        finally:
            took = (time.perf_counter() - started) * 1000
            line = {"ms": took, "sql": query, "args": _encoded(list(args))}
            log.write(json.dumps(line, ensure_ascii=False) + "\n")

    asyncpg.connection.Connection._execute = traced  # type: ignore[method-assign]
    return create_bench_app()


def _url(base: str, page: str, ids: dict[str, int]) -> str:
    portal = f"{base}/t/{TENANT}"
    if page == "list":
        list_id, _, _ = survey_list(base, ids[CELL])
        return f"{portal}/lists/{list_id}"
    return {
        "floor": f"{portal}/account/password",
        "commune": f"{portal}/units/{ids[COMMITTEE]}/dashboard",
        "province": f"{portal}/units/{ids[PROVINCE]}/dashboard",
    }[page]


def record(page: str, trace: Path) -> list[dict[str, Any]]:
    """The statements of one warm view of ``page``."""
    ids = run(unit_ids(CELL))
    with server("bench.explain:create_traced_app", {"NGUON_RENDERED_PAGES": "0"}) as base:
        cookie = sign_in(base, PROVINCE_USER if page == "province" else USER)
        url = _url(base, page, ids)
        headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"}
        for _ in range(6):
            httpx.get(url, headers=headers, timeout=60).raise_for_status()
        trace.write_text("")
        httpx.get(url, headers=headers, timeout=60).raise_for_status()
    return [json.loads(line) for line in trace.read_text().splitlines()]


def _scans(plan: dict[str, Any]) -> list[str]:
    found = []
    if plan.get("Node Type") == "Seq Scan":
        found.append(f"{plan['Relation Name']} ({plan.get('Actual Rows')} rows)")
    for child in plan.get("Plans", []):
        found += _scans(child)
    return found


async def explain(statements: list[dict[str, Any]], tenant_id: int) -> None:
    """Each reading statement under EXPLAIN ANALYZE, in a transaction rolled back."""
    from bench.harness import _url as role_url

    connection = await asyncpg.connect(**postgres_config(role_url(ROLES.app)))
    try:
        for statement in statements:
            sql = " ".join(statement["sql"].split())
            if not sql.upper().startswith(("SELECT", "WITH")):
                print(f"{statement['ms']:6.2f} ms in the app, not a read: {sql[:120]}")
                continue
            plans = []
            for mode in ("force_custom_plan", "force_generic_plan"):
                transaction = connection.transaction()
                await transaction.start()
                try:
                    await connection.execute(
                        f"SELECT set_config('nguon.tenant_id', '{tenant_id:d}', true);"
                        f" SET LOCAL plan_cache_mode = {mode}"
                    )
                    rows = await connection.fetch(
                        f"EXPLAIN (ANALYZE, FORMAT JSON) {statement['sql']}",
                        *_decoded(statement["args"]),
                    )
                finally:
                    await transaction.rollback()
                found = json.loads(rows[0][0])[0]
                scans = ", ".join(_scans(found["Plan"])) or "none"
                plans.append(f"{mode[6:12]} {found['Execution Time']:.2f} ms, seq scans: {scans}")
            print(f"{statement['ms']:6.2f} ms in the app | {' | '.join(plans)}\n    {sql[:160]}")
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", metavar="PAGE", help=f"of {', '.join(PAGES)}")
    arguments = parser.parse_args()
    unknown = set(arguments.pages) - set(PAGES)
    if unknown:
        parser.error(f"unknown page {', '.join(sorted(unknown))}; the pages: {', '.join(PAGES)}")
    trace = Path(os.environ.setdefault(TRACE, "/tmp/nguon-bench-trace.jsonl"))
    for page in arguments.pages or PAGES:
        statements = record(page, trace)
        print(f"\n== {page}: {len(statements)} statements")
        run(explain(statements, tenant_id=_tenant_id()))


def _tenant_id() -> int:
    async def read() -> int:
        from bench.harness import ADMIN_URL, DATABASE

        config = postgres_config(ADMIN_URL)
        connection = await asyncpg.connect(**{**config, "database": DATABASE})
        try:
            return int(await connection.fetchval("SELECT id FROM tenant WHERE slug = $1", TENANT))
        finally:
            await connection.close()

    return run(read())


if __name__ == "__main__":
    main()
