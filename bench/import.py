"""Member import at province size, as a ratio of a bare ``COPY`` of the same file in the
same run (issue 16: the import's rate ≥ 30 % of COPY's).

    NGUON_BENCH_DATABASE=nguon_bench .venv/bin/python -m bench.import [--rows 100000] [--rounds 2]

Needs a bench database with the Hưng Yên tenant (``bench.portal`` or ``bench.province``
makes one). The file is a CSV as Excel saves it (UTF-8 with a BOM, semicolons), its rows
spread over every cell of today's tree; ``--xlsx`` times the same rows as an XLSX sheet too.
Each round runs, interleaved and each rolled back:

- **bare COPY**: the file into a temporary table of text columns (no check, no tenant);
- **import**: ``nguon.people.member_import.import_members`` as the tenant admin on the app
  role (row-level security on): the file read, every row checked, duplicates looked up,
  then the members, their history rows and audit events written.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from bench.harness import ROLES, SECRET, _url, admin_database_url, load_average, run
from nguon.accounts.permissions import load_access
from nguon.db.binding import bind_engine
from nguon.db.engine import make_engine, postgres_config
from nguon.demo.names import full_name
from nguon.people import member_import
from nguon.people.member_import import HEADERS, import_members
from nguon.people.member_input import parse_day
from nguon.people.sheet_files import ImportRefused
from nguon.tenancy.context import tenant_context
from nguon.tenancy.package import tenant_package
from nguon.text import search_key

TENANT = "hungyen"
ADMIN = "demo.admin"
PROVINCE = "hy"


class Rolled(Exception):
    """Raised at the end of a timed transaction so that it rolls back."""


def member_file(cells: list[str], rows: int, seed: int = 16) -> list[list[str]]:
    """``rows`` members over ``cells``; no two alike in a cell (the import refuses those)."""
    chance = random.Random(seed)
    lines: list[list[str]] = []
    seen: set[tuple[str, str, str]] = set()
    while len(lines) < rows:
        number = len(lines) + 1
        born = 1945 + chance.randrange(60)
        admitted = min(born + 19 + chance.randrange(30), 2025)
        official = "" if chance.random() < 0.05 else f"15/06/{admitted + 1}"
        sex = chance.choice(("male", "female"))
        name = full_name(chance, sex)
        birthday = f"{1 + chance.randrange(28):02d}/{1 + chance.randrange(12):02d}/{born}"
        cell = chance.choice(cells)
        if (cell, name, birthday) in seen:
            continue
        seen.add((cell, name, birthday))
        lines.append(
            [
                str(number),
                name,
                birthday,
                "Nam" if sex == "male" else "Nữ",
                f"B{number:08d}",
                f"03/02/{admitted}",
                official,
                cell,
            ]
        )
    return lines


def as_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


def as_xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(list(HEADERS))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def _bare_copy(content: bytes) -> float:
    """The file's rows COPYed into a temporary table of text columns: reading, no more."""
    connection = await asyncpg.connect(**postgres_config(admin_database_url()))
    try:
        began = time.perf_counter()
        async with connection.transaction():
            columns = ", ".join(f"c{i} text" for i in range(len(HEADERS)))
            await connection.execute(f"CREATE TEMPORARY TABLE bare ({columns}) ON COMMIT DROP")
            await connection.copy_to_table(
                "bare",
                source=io.BytesIO(content.removeprefix("\ufeff".encode())),
                format="csv",
                header=True,
                delimiter=";",
            )
            elapsed = time.perf_counter() - began
            raise Rolled
    except Rolled:
        return elapsed
    finally:
        await connection.close()


async def _copy_into_members(rows: list[list[str]], cells: dict[str, tuple[int, str]]) -> float:
    """The same members COPYed straight into ``party_member`` (its indexes and constraints;
    as the superuser, since row-level security refuses COPY): no check, no history, no
    audit — the floor of writing these rows."""
    connection = await asyncpg.connect(**postgres_config(admin_database_url()))
    try:
        tenant = await connection.fetchval("SELECT id FROM tenant WHERE slug = $1", TENANT)
        records = [
            (
                tenant,
                cells[row[7]][0],
                cells[row[7]][1],
                row[1],
                search_key(row[1]),
                parse_day(row[2]),
                "male" if row[3] == "Nam" else "female",
                "full" if row[6] else "probationary",
                parse_day(row[5]),
                parse_day(row[6]) if row[6] else None,
                row[4],
            )
            for row in rows
        ]
        began = time.perf_counter()
        async with connection.transaction():
            await connection.copy_records_to_table(
                "party_member",
                records=records,
                columns=[
                    "tenant_id",
                    "unit",
                    "unit_path",
                    "full_name",
                    "name_search",
                    "date_of_birth",
                    "sex",
                    "status",
                    "admitted_on",
                    "official_on",
                    "card_number",
                ],
            )
            elapsed = time.perf_counter() - began
            raise Rolled
    except Rolled:
        return elapsed
    finally:
        await connection.close()


async def _import(content: bytes, filename: str) -> tuple[float, float, int]:
    """Seconds for the whole import, seconds of it spent writing, members written."""
    engine = make_engine(_url(ROLES.app))
    bind_engine(engine)
    owner = await asyncpg.connect(**postgres_config(admin_database_url()))
    try:
        found = await owner.fetchrow(
            "SELECT t.id AS tenant, u.id, u.full_name, p.id AS unit, p.path FROM tenant AS t "
            "JOIN app_user AS u ON u.tenant_id = t.id AND u.username = $2 "
            "JOIN org_unit AS p ON p.tenant_id = t.id AND p.code = $3 AND p.valid_to IS NULL "
            "WHERE t.slug = $1",
            TENANT,
            ADMIN,
            PROVINCE,
        )
    finally:
        await owner.close()
    written: list[float] = []
    real_write = member_import.write_members

    async def timed_write(*args: Any) -> None:
        began = time.perf_counter()
        await real_write(*args)
        written.append(time.perf_counter() - began)

    member_import.write_members = timed_write  # type: ignore[assignment]
    try:
        with tenant_context(found["tenant"]):
            access = await load_access(found["id"], found["tenant"], ADMIN, found["full_name"])
            unit = {"id": found["unit"], "path": found["path"]}
            await tenant_package()  # loaded once per process: a worker has it already
            began = time.perf_counter()
            try:
                async with engine.transaction():
                    try:
                        result = await import_members(access, unit, content, filename)
                    except ImportRefused as error:
                        raise SystemExit(f"the file was refused: {error.problems[:5]}") from None
                    elapsed = time.perf_counter() - began
                    raise Rolled
            except Rolled:
                return elapsed, sum(written), result.created
    finally:
        member_import.write_members = real_write  # type: ignore[assignment]
        await engine.close_connection_pool() if engine.pool else None


async def _cells() -> dict[str, tuple[int, str]]:
    owner = await asyncpg.connect(**postgres_config(admin_database_url()))
    try:
        rows = await owner.fetch(
            "SELECT u.code, u.id, u.path FROM org_unit AS u JOIN tenant AS t ON t.id = u.tenant_id "
            "WHERE t.slug = $1 AND u.valid_to IS NULL AND u.kind = ANY($2::text[]) "
            "ORDER BY u.code",
            TENANT,
            ["subordinate_cell", "grassroots_cell"],
        )
    finally:
        await owner.close()
    return {r["code"]: (r["id"], r["path"]) for r in rows}


def _timed(label: str, measure: Callable[[], Awaitable[float]]) -> float:
    seconds = run(measure())
    print(f"  {label}: {seconds:,.2f} s")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--xlsx", action="store_true", help="also the same rows as an XLSX sheet")
    args = parser.parse_args()
    os.environ.setdefault("NGUON_SECRET_KEY", SECRET)
    os.environ.setdefault("NGUON_APP_ROLE", ROLES.app)
    member_import.MAX_ROWS = max(member_import.MAX_ROWS, args.rows)
    cells = run(_cells())
    rows = member_file(sorted(cells), args.rows)
    files = {"CSV": as_csv(rows)}
    if args.xlsx:
        files["XLSX"] = as_xlsx(rows)
    sizes = ", ".join(f"{kind} {len(content) / 1e6:.1f} MB" for kind, content in files.items())
    print(f"{args.rows:,} members over {len(cells):,} cells ({sizes}); load {load_average()}")
    for round_number in range(1, args.rounds + 1):
        print(f"round {round_number}")
        for kind, content in files.items():
            _timed("bare COPY of the CSV file into a text table", lambda: _bare_copy(files["CSV"]))
            copy = _timed(
                "bare COPY of the same members into party_member",
                lambda: _copy_into_members(rows, cells),
            )
            began = time.perf_counter()
            seconds, writing, created = run(_import(content, f"members.{kind.lower()}"))
            assert created == args.rows, created
            print(
                f"  import of the {kind} file: {seconds:,.2f} s "
                f"(checks {seconds - writing:,.2f} s, writing {writing:,.2f} s; "
                f"wall {time.perf_counter() - began:,.2f} s)"
            )
            print(f"  ratio (import rate / COPY into party_member rate): {copy / seconds:.2f}")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
