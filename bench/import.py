"""Member and candidate imports at province size, as a ratio of a bare ``COPY`` of the same
rows in the same run (issue 16: the import's rate ≥ 30 % of COPY's).

    NGUON_BENCH_DATABASE=nguon_bench .venv/bin/python -m bench.import [--rows 100000] [--rounds 2]
        [--people members|candidates] [--xlsx]

Needs a bench database with the Hưng Yên tenant (``bench.portal`` or ``bench.province``
makes one). The file is a CSV as Excel saves it (UTF-8 with a BOM, semicolons), its rows
spread over every cell of today's tree; ``--xlsx`` times the same rows as an XLSX sheet too.
Each round runs, interleaved and each rolled back:

- **bare COPY**: the file into a temporary table of text columns (no check, no tenant);
- **bare COPY into the table**: the same people straight into ``party_member`` or
  ``candidate`` as the superuser: no check, no history, no audit, no encryption;
- **import**: ``import_members`` or ``import_candidates`` as the tenant admin on the app
  role (row-level security on): the file read, every row checked, duplicates looked up,
  then the people (candidates' national IDs encrypted and hashed), the members' history
  rows and the audit events written.

The candidates' file is the Hưng Yên survey form's columns with the national ID and the
hardship mark; seven in ten people have a national ID.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from bench.harness import ROLES, SECRET, _url, admin_database_url, load_average, run
from nguon.accounts.permissions import load_access
from nguon.db.binding import bind_engine
from nguon.db.engine import make_engine, postgres_config
from nguon.demo.names import full_name
from nguon.people import candidate_import, member_import
from nguon.people.candidate_input import CANDIDATE_LABELS
from nguon.people.member_import import HEADERS
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


CANDIDATE_HEADERS = (
    "STT",
    "Họ và tên",
    "Ngày, tháng, năm sinh",
    "Giới tính",
    "Dân tộc",
    "Tôn giáo",
    "Quê quán",
    "Nơi cư trú",
    "Trình độ học vấn",
    "Nghề nghiệp",
    "Đoàn viên",
    "Công đoàn viên",
    "Chi bộ, đảng bộ",
    CANDIDATE_LABELS["national_id"],
    CANDIDATE_LABELS["hardship_area"],
    "Ghi chú",
)
"""The Hưng Yên survey summary form's columns (rules/hungyen/forms.toml) and the two the
form lacks, as ``nguon.people.candidate_import.template_columns`` orders them."""
EDUCATION = ("12/12", "12/12", "12/12", "9/12", "Đại học", "Cao đẳng", "Trung cấp", "10/10")
WORK = ("Công nhân", "Nông dân", "Giáo viên", "Kinh doanh", "Sinh viên", "Viên chức", "")


def candidate_file(cells: list[str], rows: int, seed: int = 16) -> list[list[str]]:
    """``rows`` people of a survey over ``cells``; no two alike in a cell, no ID twice."""
    chance = random.Random(seed)
    lines: list[list[str]] = []
    seen: set[tuple[str, str, str]] = set()
    while len(lines) < rows:
        number = len(lines) + 1
        born = 1967 + chance.randrange(40)
        sex = chance.choice(("male", "female"))
        name = full_name(chance, sex)
        birthday = f"{1 + chance.randrange(28):02d}/{1 + chance.randrange(12):02d}/{born}"
        cell = chance.choice(cells)
        if (cell, name, birthday) in seen:
            continue
        seen.add((cell, name, birthday))
        national_id = f"035{born % 100:02d}{number:07d}" if chance.random() < 0.7 else ""
        lines.append(
            [
                str(number),
                name,
                birthday,
                "Nam" if sex == "male" else "Nữ",
                "Kinh",
                "Không" if chance.random() < 0.9 else "Công giáo",
                "Hưng Yên",
                f"Thôn {1 + chance.randrange(12)}",
                chance.choice(EDUCATION),
                chance.choice(WORK),
                "x" if born > 1990 and chance.random() < 0.6 else "",
                "x" if chance.random() < 0.3 else "",
                cell,
                national_id,
                "",
                "",
            ]
        )
    return lines


def as_csv(rows: list[list[str]], headers: Sequence[str] = HEADERS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


def as_xlsx(rows: list[list[str]], headers: Sequence[str] = HEADERS) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(list(headers))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def _bare_copy(content: bytes, width: int) -> float:
    """The file's rows COPYed into a temporary table of text columns: reading, no more."""
    connection = await asyncpg.connect(**postgres_config(admin_database_url()))
    try:
        began = time.perf_counter()
        async with connection.transaction():
            columns = ", ".join(f"c{i} text" for i in range(width))
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


def member_records(
    tenant: int, rows: list[list[str]], cells: dict[str, tuple[int, str]]
) -> tuple[str, list[str], list[tuple[Any, ...]]]:
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
    columns = ["tenant_id", "unit", "unit_path", "full_name", "name_search", "date_of_birth"]
    columns += ["sex", "status", "admitted_on", "official_on", "card_number"]
    return "party_member", columns, records


def candidate_records(
    tenant: int, rows: list[list[str]], cells: dict[str, tuple[int, str]]
) -> tuple[str, list[str], list[tuple[Any, ...]]]:
    """The candidates as they are, the national ID copied in clear into its column: the
    floor of writing them (the import encrypts and hashes it besides)."""
    records = [
        (
            tenant,
            cells[row[12]][0],
            cells[row[12]][1],
            row[1],
            search_key(row[1]),
            parse_day(row[2]),
            "male" if row[3] == "Nam" else "female",
            *row[4:8],
            "upper_secondary",
            row[9],
            row[10] == "x",
            row[11] == "x",
            row[13] or None,
        )
        for row in rows
    ]
    columns = ["tenant_id", "unit", "unit_path", "full_name", "name_search", "date_of_birth"]
    columns += ["sex", "ethnicity", "religion", "home_town", "residence", "education"]
    columns += ["occupation", "youth_union_member", "trade_union_member", "national_id_encrypted"]
    return "candidate", columns, records


@dataclass(frozen=True)
class People:
    """What one kind of import reads, writes and is compared with."""

    headers: Sequence[str]
    make_file: Callable[[list[str], int], list[list[str]]]
    records: Callable[..., tuple[str, list[str], list[tuple[Any, ...]]]]
    module: Any
    importer: str
    writer: str


PEOPLE = {
    "members": People(
        HEADERS, member_file, member_records, member_import, "import_members", "write_members"
    ),
    "candidates": People(
        CANDIDATE_HEADERS,
        candidate_file,
        candidate_records,
        candidate_import,
        "import_candidates",
        "write_candidates",
    ),
}


async def _copy_into_table(
    people: People, rows: list[list[str]], cells: dict[str, tuple[int, str]]
) -> float:
    """The same people COPYed straight into their table (its indexes and constraints; as
    the superuser, since row-level security refuses COPY): no check, no history, no
    audit — the floor of writing these rows."""
    connection = await asyncpg.connect(**postgres_config(admin_database_url()))
    try:
        tenant = await connection.fetchval("SELECT id FROM tenant WHERE slug = $1", TENANT)
        table, columns, records = people.records(tenant, rows, cells)
        began = time.perf_counter()
        async with connection.transaction():
            await connection.copy_records_to_table(table, records=records, columns=columns)
            elapsed = time.perf_counter() - began
            raise Rolled
    except Rolled:
        return elapsed
    finally:
        await connection.close()


async def _import(people: People, content: bytes, filename: str) -> tuple[float, float, int]:
    """Seconds for the whole import, seconds of it spent writing, people written."""
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
    module = people.module
    real_write = getattr(module, people.writer)

    async def timed_write(*args: Any) -> None:
        began = time.perf_counter()
        await real_write(*args)
        written.append(time.perf_counter() - began)

    setattr(module, people.writer, timed_write)
    try:
        with tenant_context(found["tenant"]):
            access = await load_access(found["id"], found["tenant"], ADMIN, found["full_name"])
            unit = {"id": found["unit"], "path": found["path"]}
            await tenant_package()  # loaded once per process: a worker has it already
            began = time.perf_counter()
            try:
                async with engine.transaction():
                    try:
                        importer = getattr(module, people.importer)
                        result = await importer(access, unit, content, filename)
                    except ImportRefused as error:
                        raise SystemExit(f"the file was refused: {error.problems[:5]}") from None
                    elapsed = time.perf_counter() - began
                    raise Rolled
            except Rolled:
                return elapsed, sum(written), result.created
    finally:
        setattr(module, people.writer, real_write)
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
    parser.add_argument("--people", choices=sorted(PEOPLE), default="members")
    args = parser.parse_args()
    people = PEOPLE[args.people]
    os.environ.setdefault("NGUON_SECRET_KEY", SECRET)
    os.environ.setdefault("NGUON_APP_ROLE", ROLES.app)
    people.module.MAX_ROWS = max(people.module.MAX_ROWS, args.rows)
    cells = run(_cells())
    rows = people.make_file(sorted(cells), args.rows)
    files = {"CSV": as_csv(rows, people.headers)}
    if args.xlsx:
        files["XLSX"] = as_xlsx(rows, people.headers)
    sizes = ", ".join(f"{kind} {len(content) / 1e6:.1f} MB" for kind, content in files.items())
    table = "party_member" if args.people == "members" else "candidate"
    print(f"{args.rows:,} {args.people} over {len(cells):,} cells ({sizes}); load {load_average()}")
    for round_number in range(1, args.rounds + 1):
        print(f"round {round_number}")
        for kind, content in files.items():
            _timed(
                "bare COPY of the CSV file into a text table",
                lambda: _bare_copy(files["CSV"], len(people.headers)),
            )
            copy = _timed(
                f"bare COPY of the same {args.people} into {table}",
                lambda: _copy_into_table(people, rows, cells),
            )
            began = time.perf_counter()
            filename = f"{args.people}.{kind.lower()}"
            seconds, writing, created = run(_import(people, content, filename))
            assert created == args.rows, created
            print(
                f"  import of the {kind} file: {seconds:,.2f} s "
                f"(checks {seconds - writing:,.2f} s, writing {writing:,.2f} s; "
                f"wall {time.perf_counter() - began:,.2f} s)"
            )
            print(f"  ratio (import rate / COPY into {table} rate): {copy / seconds:.2f}")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
