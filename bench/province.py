"""The merged Hưng Yên of today at full size, on Postgres, fast: the demo's tenant
(``nguon.demo.prepare``: both 2024 trees, their history, the merger into 104 commune
committees, the demo logins) grown with COPY to

- ~3,500 cells under the 104 commune committees (besides the provincial blocs' cells),
- 180,000 Party members and 100,000 people in the source,
- three years of their records: stage changes (admissions among them), helpers, courses
  with enrolments and certificates, and the survey lists of every period since the merger
  for the new cells (the demo's own cells keep the demo's lists since 2024),

with a skew between communes (the largest holds more than ten times the smallest).
Deterministic for a seed. ``--scale`` shrinks every count (0.02 builds a small province in
seconds for a test).

    NGUON_BENCH_DATABASE=nguon_province .venv/bin/python -m bench.province [--scale 1]

The rows are written as the owner role inside one transaction with the tenant set
(``set_config('nguon.tenant_id', …, true)``), as ``nguon tenant onboard`` does: Row-Level
Security stays forced and every row carries its tenant_id. Ids come from the tables'
sequences, so the app's later inserts do not collide.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import random
import time
from collections import defaultdict
from typing import Any

import asyncpg
import msgspec

from nguon.clock import today_in_vietnam
from nguon.db.engine import SET_TENANT_SQL, postgres_config
from nguon.demo.names import full_name
from nguon.demo.people import (
    HUNG_YEN,
    Cell,
    _birth_date,
    candidate_row,
)
from nguon.text import search_key

CELLS = 3_500
MEMBERS = 180_000
PEOPLE = 100_000
YEARS = 3
COMMUNE_KIND = "commune_committee"
CELL_KIND = "subordinate_cell"
"""A commune committee's village and residential-group cells (chi bộ trực thuộc)."""
CHAIN = ("surveyed", "course_nominee", "certified", "admission_source", "admission_in_progress")
"""The stages in order; a person at a later stage went through the earlier ones."""
ACTOR = "Dữ liệu mẫu (tỉnh đủ cỡ)"


class ProvinceReport(msgspec.Struct, kw_only=True):
    tenant_id: int
    communes: int
    cells: int
    members: int
    people: int
    stage_changes: int
    helpers: int
    courses: int
    enrolments: int
    lists: int
    entries: int
    smallest_commune: int
    largest_commune: int
    """Cells of the smallest and of the largest commune committee."""
    seconds: float


def _scaled(count: int, scale: float) -> int:
    return max(1, round(count * scale))


async def _ids(connection: asyncpg.Connection, table: str, count: int) -> list[int]:
    rows = await connection.fetch(
        "SELECT nextval(pg_get_serial_sequence($1, 'id')) AS id FROM generate_series(1, $2)",
        table,
        count,
    )
    return [row["id"] for row in rows]


async def _copy(
    connection: asyncpg.Connection, table: str, columns: list[str], rows: list[tuple]
) -> int:
    """``rows`` into ``table``: COPY into a temporary table shaped like it (Postgres refuses
    COPY FROM into a table under Row-Level Security), then one INSERT … SELECT, which the
    tenant policy checks row by row."""
    if not rows:
        return 0
    staging = f"staging_{table}"
    await connection.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} (LIKE {table} INCLUDING DEFAULTS) "
        "ON COMMIT DROP"
    )
    await connection.execute(f"TRUNCATE {staging}")
    await connection.copy_records_to_table(staging, records=rows, columns=columns)
    names = ", ".join(columns)
    await connection.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging}")
    return len(rows)


def _weights(rng: random.Random, count: int) -> list[float]:
    """Commune sizes: a log-normal spread, so the largest is many times the smallest."""
    weights = [rng.lognormvariate(0, 0.7) for _ in range(count)]
    low, high = min(weights), max(weights)
    if high < 12 * low:  # realistic skew, whatever the seed: the largest ≥ 12 × the smallest
        weights[weights.index(high)] = 12 * low
    return weights


async def grow(
    owner_url: str,
    tenant_slug: str,
    scale: float = 1.0,
    seed: int = 2026,
    today: dt.date | None = None,
    people: int | None = None,
) -> ProvinceReport:
    """Grow the demo tenant ``tenant_slug`` to full size (times ``scale``); ``people``
    instead of the scaled 100,000 people (the same cells and members)."""
    started = time.perf_counter()
    today = today or today_in_vietnam()
    rng = random.Random(seed)
    connection = await asyncpg.connect(**postgres_config(owner_url))
    try:
        async with connection.transaction():
            tenant_id = await connection.fetchval(
                "SELECT id FROM tenant WHERE slug = $1", tenant_slug
            )
            if tenant_id is None:
                raise LookupError(f"no tenant {tenant_slug!r}: build the demo first")
            await connection.execute(SET_TENANT_SQL, str(tenant_id), True)
            report = await _grow(connection, tenant_id, scale, rng, today, people)
        # As autovacuum would on a live system (this machine's Postgres runs without it):
        # the build bumps every unit's figures version thousands of times, and the dead
        # versions left made the province's stamp scan ten times the pages.
        await connection.execute("VACUUM (ANALYZE)")
    finally:
        await connection.close()
    report.seconds = time.perf_counter() - started
    return report


async def _grow(
    connection: asyncpg.Connection,
    tenant_id: int,
    scale: float,
    rng: random.Random,
    today: dt.date,
    people_wanted: int | None = None,
) -> ProvinceReport:
    communes = await connection.fetch(
        "SELECT id, code, name, path, depth, valid_from FROM org_unit "
        "WHERE tenant_id = $1 AND kind = $2 AND valid_to IS NULL "
        "ORDER BY path",
        tenant_id,
        COMMUNE_KIND,
    )
    existing = await connection.fetch(
        "SELECT c.id, c.path, c.name, c.bloc, c.parent, p.name AS parent_name FROM org_unit c "
        "JOIN org_unit p ON p.id = c.parent "
        "WHERE c.tenant_id = $1 AND c.kind = ANY($2::text[]) AND c.valid_to IS NULL "
        "AND c.parent = ANY($3::int[]) ORDER BY c.id",
        tenant_id,
        ["grassroots_cell", "subordinate_cell"],
        [c["id"] for c in communes],
    )
    # 1. Cells: each commune's share of the province's cells by its weight.
    weights = _weights(rng, len(communes))
    total_weight = sum(weights)
    wanted = _scaled(CELLS, scale)
    have: dict[int, list[Cell]] = defaultdict(list)
    for row in existing:
        have[row["parent"]].append(
            Cell(row["id"], row["path"], row["name"], row["bloc"], row["parent_name"])
        )
    plan = {
        c["id"]: max(1, round(wanted * w / total_weight)) - len(have[c["id"]])
        for c, w in zip(communes, weights, strict=True)
    }
    new_count = sum(max(0, n) for n in plan.values())
    unit_ids = iter(await _ids(connection, "org_unit", new_count))
    unit_rows = []
    for commune in communes:
        for number in range(max(0, plan[commune["id"]])):
            unit_id = next(unit_ids)
            village = rng.choice(("thôn", "tổ dân phố"))
            name = f"Chi bộ {village} {len(have[commune['id']]) + 1}"
            path = f"{commune['path']}{unit_id}."
            code = f"{commune['code']}.full-{number + 1}"
            unit_rows.append(
                (
                    unit_id,
                    tenant_id,
                    code,
                    name,
                    CELL_KIND,
                    "commune",
                    commune["id"],
                    path,
                    commune["depth"] + 1,
                    commune["valid_from"],
                )
            )
            have[commune["id"]].append(Cell(unit_id, path, name, "commune", commune["name"]))
    await _copy(
        connection,
        "org_unit",
        [
            "id",
            "tenant_id",
            "code",
            "name",
            "kind",
            "bloc",
            "parent",
            "path",
            "depth",
            "valid_from",
        ],
        unit_rows,
    )
    # Every cell of a commune gets an equal share of the commune's weight.
    cells: list[Cell] = []
    cell_weights: list[float] = []
    commune_of: dict[int, dict[str, Any]] = {}
    for commune, weight in zip(communes, weights, strict=True):
        for cell in have[commune["id"]]:
            cells.append(cell)
            cell_weights.append(weight / len(have[commune["id"]]))
            commune_of[cell.id] = commune
    # 2. Members.
    member_count = _scaled(MEMBERS, scale)
    member_ids = await _ids(connection, "party_member", member_count)
    members_by_cell: dict[int, list[int]] = defaultdict(list)
    member_rows = []
    for member_id, cell in zip(
        member_ids, rng.choices(cells, weights=cell_weights, k=member_count), strict=True
    ):
        sex = rng.choice(("male", "female"))
        name = full_name(rng, sex)
        full = rng.random() < 0.95
        if full:
            birth = _birth_date(rng, today, 26, 80)
            admitted = birth + dt.timedelta(days=19 * 365 + rng.randint(0, 20 * 365))
            admitted = min(admitted, today - dt.timedelta(days=400))
            official: dt.date | None = admitted + dt.timedelta(days=365)
        else:
            birth = _birth_date(rng, today, 20, 35)
            admitted = today - dt.timedelta(days=rng.randint(30, 330))
            official = None
        members_by_cell[cell.id].append(member_id)
        member_rows.append(
            (
                member_id,
                tenant_id,
                cell.id,
                cell.path,
                name,
                search_key(name),
                birth,
                sex,
                "full" if full else "probationary",
                admitted,
                official,
                f"33.F{member_id:07d}",
            )
        )
    await _copy(
        connection,
        "party_member",
        [
            "id",
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
        member_rows,
    )
    await _copy(
        connection,
        "member_change",
        ["tenant_id", "member", "kind", "changed_on", "to_unit", "reason", "actor_name"],
        [(tenant_id, row[0], "added", row[9], row[2], "Dữ liệu mẫu", ACTOR) for row in member_rows],
    )
    # 3. People, created over three years; their stage changes walk the chain.
    people = people_wanted or _scaled(PEOPLE, scale)
    candidate_ids = await _ids(connection, "candidate", people)
    used: set[str] = set()
    taken = {
        row["national_id_hash"]
        for row in await connection.fetch(
            "SELECT national_id_hash FROM candidate WHERE national_id_hash IS NOT NULL"
        )
    }
    first_day = dt.date(today.year - YEARS + 1, 1, 1)
    span = (today - first_day).days
    candidate_rows: list[dict[str, Any]] = []
    changes = []
    for candidate_id, cell in zip(
        candidate_ids, rng.choices(cells, weights=cell_weights, k=people), strict=True
    ):
        row = candidate_row(rng, tenant_id, cell, today, used, HUNG_YEN)
        row["id"] = candidate_id
        if row["national_id_hash"] in taken:  # a number the demo's people already hold
            row["national_id_encrypted"] = row["national_id_hash"] = row["national_id_key"] = None
        created = first_day + dt.timedelta(days=rng.randint(0, span - 1))
        row["created_at"] = dt.datetime.combine(created, dt.time(8), tzinfo=dt.UTC)
        stage = row["stage"]
        steps = list(CHAIN[: CHAIN.index(stage) + 1]) if stage in CHAIN else list(CHAIN[:3])
        if stage not in CHAIN:
            steps.append(stage)  # admitted or removed, after some way along the chain
        day = created
        for before, after in itertools.pairwise(steps):
            day = min(today, day + dt.timedelta(days=rng.randint(20, 200)))
            changes.append((tenant_id, candidate_id, before, after, day, ACTOR, "Dữ liệu mẫu"))
        if row["certificate_date"] is not None:
            row["certificate_date"] = max(row["certificate_date"], created)
        candidate_rows.append(row)
    columns = list(candidate_rows[0])
    await _copy(
        connection, "candidate", columns, [tuple(r[c] for c in columns) for r in candidate_rows]
    )
    await _copy(
        connection,
        "stage_change",
        ["tenant_id", "candidate", "from_stage", "to_stage", "changed_on", "actor", "reason"],
        changes,
    )
    # 4. Helpers: two members of the cell for everyone from the certificate on.
    helper_rows = []
    for row in candidate_rows:
        if row["certificate_date"] is None or not members_by_cell[row["unit"]]:
            continue
        for member in rng.sample(
            members_by_cell[row["unit"]], min(2, len(members_by_cell[row["unit"]]))
        ):
            helper_rows.append((tenant_id, row["id"], member, row["certificate_date"]))
    await _copy(
        connection,
        "helper_assignment",
        ["tenant_id", "candidate", "member", "assigned_on"],
        helper_rows,
    )
    # 5. Courses: each commune runs two a year; the nominated and certified attend one.
    course_rows, course_of = [], {}
    for commune in communes:
        for year in range(today.year - YEARS + 1, today.year + 1):
            for half in (3, 9):
                opens = dt.date(year, half, 10)
                if opens > today:
                    continue
                course_of[(commune["id"], year, half)] = None
                course_rows.append((commune, year, half, opens))
    course_ids = await _ids(connection, "course", len(course_rows))
    await _copy(
        connection,
        "course",
        [
            "id",
            "tenant_id",
            "organiser_unit",
            "organiser_path",
            "title",
            "opens_on",
            "closes_on",
            "sessions_total",
            "state",
        ],
        [
            (
                cid,
                tenant_id,
                c["id"],
                c["path"],
                f"Lớp nhận thức về Đảng {half}/{year}",
                opens,
                opens + dt.timedelta(days=5),
                10,
                "closed",
            )
            for cid, (c, year, half, opens) in zip(course_ids, course_rows, strict=True)
        ],
    )
    courses_by_commune: dict[int, list[tuple[int, dt.date]]] = defaultdict(list)
    for cid, (c, _, _, opens) in zip(course_ids, course_rows, strict=True):
        courses_by_commune[c["id"]].append((cid, opens))
    enrolments = []
    for row in candidate_rows:
        if row["stage"] in ("surveyed", "removed"):
            continue
        created = row["created_at"].date()
        options = [
            (cid, opens)
            for cid, opens in courses_by_commune[commune_of[row["unit"]]["id"]]
            if opens >= created
        ]
        if not options:
            continue
        cid, opens = options[0]
        done = row["certificate_date"] is not None
        closes = opens + dt.timedelta(days=5)
        enrolments.append(
            (
                tenant_id,
                cid,
                row["id"],
                10 if done else rng.randint(4, 9),
                done,
                f"{row['id']}-GCN/TTCT" if done else None,
                closes if done else None,
            )
        )
    await _copy(
        connection,
        "course_enrolment",
        [
            "tenant_id",
            "course",
            "candidate",
            "attended_sessions",
            "completed",
            "certificate_number",
            "certificate_date",
        ],
        enrolments,
    )
    # 6. Survey lists of the periods since the merger for the new cells, accepted, with
    #    the cell's people created before the period closed.
    lists, entries = await _lists(connection, tenant_id, unit_rows, candidate_rows, rng, today)
    sizes = [len(have[c["id"]]) for c in communes]
    return ProvinceReport(
        tenant_id=tenant_id,
        communes=len(communes),
        cells=len(cells),
        members=member_count,
        people=people,
        stage_changes=len(changes),
        helpers=len(helper_rows),
        courses=len(course_rows),
        enrolments=len(enrolments),
        lists=lists,
        entries=entries,
        smallest_commune=min(sizes),
        largest_commune=max(sizes),
        seconds=0.0,
    )


async def _lists(
    connection: asyncpg.Connection,
    tenant_id: int,
    unit_rows: list[tuple],
    candidate_rows: list[dict[str, Any]],
    rng: random.Random,
    today: dt.date,
) -> tuple[int, int]:
    periods = await connection.fetch(
        "SELECT DISTINCT period_code, period_opens, period_deadline, package, package_version "
        "FROM candidate_list WHERE tenant_id = $1 AND step = 'survey' "
        "AND period_opens >= (SELECT min(valid_from) FROM org_unit WHERE tenant_id = $1 "
        "AND kind = 'commune_committee') AND period_deadline < $2 ORDER BY period_opens",
        tenant_id,
        today,
    )
    people_of: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in candidate_rows:
        people_of[row["unit"]].append(row)
    new_cells = [(row[0], row[7], row[6]) for row in unit_rows]  # id, path, commune
    list_ids = await _ids(connection, "candidate_list", len(new_cells) * len(periods))
    list_rows, entry_rows = [], []
    ids = iter(list_ids)
    for period in periods:
        closes = period["period_deadline"]
        submitted = dt.datetime.combine(closes, dt.time(9), tzinfo=dt.UTC)
        for cell_id, path, commune in new_cells:
            list_id = next(ids)
            list_rows.append(
                (
                    list_id,
                    tenant_id,
                    cell_id,
                    path,
                    "survey",
                    period["period_code"],
                    period["period_opens"],
                    closes,
                    "accepted",
                    commune,
                    period["package"],
                    period["package_version"],
                    submitted,
                )
            )
            for person in people_of[cell_id]:
                if person["created_at"].date() > closes:
                    continue
                eligible = rng.random() < 0.7
                entry_rows.append(
                    (
                        tenant_id,
                        list_id,
                        person["id"],
                        "rules",
                        "eligible" if eligible else "needs_review",
                        eligible,
                        json.dumps([]),
                    )
                )
    await _copy(
        connection,
        "candidate_list",
        [
            "id",
            "tenant_id",
            "unit",
            "unit_path",
            "step",
            "period_code",
            "period_opens",
            "period_deadline",
            "state",
            "receiver_unit",
            "package",
            "package_version",
            "submitted_at",
        ],
        list_rows,
    )
    await _copy(
        connection,
        "list_entry",
        ["tenant_id", "candidate_list", "candidate", "source", "outcome", "included", "reasons"],
        entry_rows,
    )
    return len(list_rows), len(entry_rows)


async def build(
    scale: float, seed: int, demo_candidates: int, people: int | None = None
) -> ProvinceReport:
    """A fresh bench database (``NGUON_BENCH_DATABASE``): the demo, then grown."""
    from bench.harness import ROLES, _url, prepare_tenant

    started = time.perf_counter()
    await prepare_tenant(demo_candidates, analyze=False)
    demo_seconds = time.perf_counter() - started
    report = await grow(_url(ROLES.owner), "hungyen", scale, seed, people=people)
    print(f"demo built in {demo_seconds:.0f} s; grown in {report.seconds:.1f} s")
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--people", type=int, help="instead of 100,000 × scale")
    parser.add_argument(
        "--demo-candidates",
        type=int,
        default=650,
        help="the demo's own Hưng Yên candidates (its history walk is most of a build's time)",
    )
    parser.add_argument(
        "--grow-only", action="store_true", help="grow the existing bench database's tenant"
    )
    args = parser.parse_args()
    if args.grow_only:
        from bench.harness import ROLES, _url

        report = asyncio.run(
            grow(_url(ROLES.owner), "hungyen", args.scale, args.seed, people=args.people)
        )
    else:
        report = asyncio.run(build(args.scale, args.seed, args.demo_candidates, args.people))
    print(msgspec.json.format(msgspec.json.encode(report)).decode())


if __name__ == "__main__":
    main()
