"""Portal pages under load on Postgres with a realistic tenant, as ratios of a trivial
Litestar endpoint served by the same server in the same run.

Two servers in one run: as deployed (list pages kept rendered while what they show is
unchanged, ``nguon.portal.rendered``), and with every view rendered anew, which is what
the first view after any change costs.

    .venv/bin/python -m bench.portal [--candidates 20000] [--seconds 10] [--connections 32]
    .venv/bin/python -m bench.portal --quick          # a short run on a small tenant
    .venv/bin/python -m bench.portal --reuse          # keep the database of the last run

A signed-in commune committee user (demo.coso, Đảng ủy xã Như Quỳnh: the demo's tree is
today's, without districts) asks for the survey list page of a cell and the committee's
dashboard, beside the password form: the least a signed-in page costs (session, the
user's access, the layout), the floor under the others. The session cookie of a sign-in
through the form (with its CSRF token) goes to wrk as a header.
"""

from __future__ import annotations

import argparse
import re
import time

import asyncpg
import httpx

from bench.harness import (
    REDIS_URL,
    Measurement,
    admin_database_url,
    database_exists,
    load_average,
    measure_rounds,
    migrate_existing,
    prepare_tenant,
    report_rounds,
    rss_mb,
    run,
    server,
)
from nguon.clock import today_in_vietnam
from nguon.db.engine import postgres_config

TENANT = "hungyen"
USER = ("demo.coso", "coso-demo-2024")
PROVINCE_USER = ("demo.tinh", "tinh-demo-2024")
COMMITTEE = "hy.x.nhuquynh"
PROVINCE = "hy"
CELL = "hy.x.nhuquynh.nhuquynh-tdp-1"
"""A village cell of ordinary size (the demo's focus cells under Lạc Hồng hold 8× more)."""
SESSION_COOKIE = "nguon_session"
_CSRF_INPUT = re.compile(r'name="_csrf_token"\s+value="([^"]+)"')


async def unit_ids(cell: str = CELL) -> dict[str, int]:
    connection = await asyncpg.connect(**postgres_config(admin_database_url()))
    try:
        rows = await connection.fetch(
            "SELECT code, id FROM org_unit WHERE code = ANY($1::text[]) AND valid_to IS NULL",
            [COMMITTEE, cell, PROVINCE],
        )
    finally:
        await connection.close()
    found = {row["code"]: row["id"] for row in rows}
    found[CELL] = found[cell]
    return found


def sign_in(base: str, user: tuple[str, str] = USER) -> str:
    """The session cookie of ``user`` after signing in through the portal form."""
    with httpx.Client(base_url=base) as client:
        page = client.get(f"/t/{TENANT}/login")
        page.raise_for_status()
        match = _CSRF_INPUT.search(page.text)
        if match is None:
            raise RuntimeError("the sign-in page has no CSRF field")
        response = client.post(
            f"/t/{TENANT}/login",
            data={"username": user[0], "password": user[1], "_csrf_token": match.group(1)},
        )
        if response.status_code != 303:
            raise RuntimeError(f"sign-in failed: {response.status_code} {response.text[:200]}")
        return client.cookies[SESSION_COOKIE]


def survey_list(base: str, cell_id: int) -> tuple[int, int, int]:
    """The cell's survey list for the current period (created if missing): its id, the
    people on it and the candidates the rules left off (the page shows both)."""
    api = f"{base}/t/{TENANT}/api/v1"
    token = httpx.post(f"{api}/auth/token", json={"username": USER[0], "password": USER[1]}).json()[
        "access_token"
    ]
    auth = {"Authorization": f"Bearer {token}"}
    year = today_in_vietnam().year
    periods = httpx.get(f"{api}/periods", params={"year": year}, headers=auth).json()["items"]
    period = next(p for p in periods if p["kind"] == "survey")["code"]
    found = httpx.get(
        f"{api}/lists", params={"unit_id": cell_id, "step": "survey"}, headers=auth
    ).json()["items"]
    if found:
        list_id = found[0]["id"]
    else:
        created = httpx.post(
            f"{api}/lists",
            json={"unit_id": cell_id, "step": "survey", "period": period},
            headers=auth,
            timeout=60,
        )
        created.raise_for_status()
        list_id = created.json()["list"]["id"]
    detail = httpx.get(f"{api}/lists/{list_id}", headers=auth, timeout=60)
    detail.raise_for_status()
    body = detail.json()
    return list_id, len(body["entries"]), len(body["refused"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidates", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="repeat every target this often")
    parser.add_argument("--quick", action="store_true", help="2,000 candidates, 3 s per target")
    parser.add_argument("--reuse", action="store_true", help="keep an existing bench database")
    parser.add_argument("--cell", default=CELL, help=f"the cell whose list is shown ({CELL})")
    parser.add_argument(
        "--unrendered-only",
        action="store_true",
        help="only the servers with every view rendered (NGUON_RENDERED_PAGES=0)",
    )
    args = parser.parse_args()
    if args.quick:
        args.candidates, args.seconds, args.rounds = min(args.candidates, 2_000), 3, 1

    if args.reuse and run(database_exists()):
        run(migrate_existing())
    else:
        run(prepare_tenant(args.candidates))
    ids = run(unit_ids(args.cell))
    people = "the bench database as it is" if args.reuse else f"{args.candidates:,} candidates"
    print(
        f"{people}, {args.connections} connections, one uvicorn worker, "
        f"sessions in {'Redis' if REDIS_URL else 'the database'}"
    )
    configurations = CONFIGURATIONS[1:] if args.unrendered_only else CONFIGURATIONS
    for title, overrides in configurations:
        rounds = measure_server(ids, args, overrides)
        print(f"\n{title} — load average {load_average()}")
        print(MEMORY[-1])
        report_rounds(rounds)


CONFIGURATIONS = (
    ("As deployed: a list page unchanged since it was last shown is served as kept", {}),
    (
        "Every view rendered anew (NGUON_RENDERED_PAGES=0; a list's people sections kept"
        " by their content, as after writes elsewhere)",
        {"NGUON_RENDERED_PAGES": "0"},
    ),
    (
        "Every view rendered anew, people too (NGUON_RENDERED_PAGES=0"
        " NGUON_RENDERED_PEOPLE=0: as after a write to the list shown)",
        {"NGUON_RENDERED_PAGES": "0", "NGUON_RENDERED_PEOPLE": "0"},
    ),
)


def measure_server(
    ids: dict[str, int], args: argparse.Namespace, overrides: dict[str, str]
) -> list[list[Measurement]]:
    with server(env_overrides=overrides) as base:
        started = rss_mb(base.pid)
        list_id, entries, refused = survey_list(base, ids[args.cell])
        cookie = {"Cookie": f"{SESSION_COOKIE}={sign_in(base)}"}
        province = {"Cookie": f"{SESSION_COOKIE}={sign_in(base, PROVINCE_USER)}"}
        portal = f"{base}/t/{TENANT}"
        targets = [
            ("trivial", f"{base}/bench/trivial", {}),
            # The floor of every signed-in page: session, user's access, layout, a form.
            ("signed-in page (password form)", f"{portal}/account/password", cookie),
            (f"cell list page ({entries}+{refused} people)", f"{portal}/lists/{list_id}", cookie),
            ("commune dashboard", f"{portal}/units/{ids[COMMITTEE]}/dashboard", cookie),
            ("province dashboard", f"{portal}/units/{ids[PROVINCE]}/dashboard", province),
        ]
        for name, url, headers in list(targets):
            times = []
            for _ in range(VIEWS):
                began = time.perf_counter()
                check = httpx.get(url, headers=headers, timeout=120)
                times.append((time.perf_counter() - began) * 1000)
                if check.status_code != 200:
                    raise RuntimeError(f"{name}: {url} answered {check.status_code}")
            print(
                f"{name}: one view alone {min(times):,.0f}–{max(times):,.0f} ms ({VIEWS} views;"
                f" the first {times[0]:,.0f} ms)"
            )
            if min(times) > TOO_SLOW_MS:
                # 32 connections on a page this slow only time out and keep the server
                # busy long after wrk stops, spoiling the targets measured after it.
                print(f"{name}: left out of wrk (over {TOO_SLOW_MS:,} ms a view)")
                targets.remove((name, url, headers))
        rounds = measure_rounds(targets, args.seconds, args.connections, args.rounds)
        MEMORY.append(
            f"server memory (RSS): {started:.0f} MB at start, {rss_mb(base.pid):.0f} MB after"
        )
        return rounds


MEMORY: list[str] = []
VIEWS = 3
TOO_SLOW_MS = 2_000


if __name__ == "__main__":
    main()
