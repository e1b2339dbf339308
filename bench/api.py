"""The JSON API under load on Postgres with a realistic tenant, as ratios of a trivial
Litestar endpoint served by the same server in the same run.

    .venv/bin/python -m bench.api [--candidates 20000] [--seconds 8] [--connections 32]
    .venv/bin/python -m bench.api --reuse     # keep the database of the last run
"""

from __future__ import annotations

import argparse

import httpx

from bench.harness import (
    database_exists,
    load_average,
    measure_rounds,
    migrate_existing,
    prepare_tenant,
    report_rounds,
    run,
    server,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidates", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="repeat every target this often")
    parser.add_argument("--reuse", action="store_true", help="keep an existing bench database")
    args = parser.parse_args()

    if args.reuse and run(database_exists()):
        run(migrate_existing())
    else:
        run(prepare_tenant(args.candidates))
    with server() as base:
        token = httpx.post(
            f"{base}/t/hungyen/api/v1/auth/token",
            json={"username": "demo.coso", "password": "coso-demo-2024"},
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        api = f"{base}/t/hungyen/api/v1"
        listing = httpx.get(f"{api}/candidates?page_size=10", headers=auth)
        listing.raise_for_status()
        first = listing.json()["items"][0]["id"]
        targets = [
            ("trivial", f"{base}/bench/trivial", {}),
            ("candidates page (50, commune)", f"{api}/candidates?page_size=50", auth),
            ("candidate search 'nguyen van'", f"{api}/candidates?q=nguyen%20van", auth),
            ("one candidate", f"{api}/candidates/{first}", auth),
            ("unit tree", f"{api}/units", auth),
        ]
        rounds = measure_rounds(targets, args.seconds, args.connections, args.rounds)
    print(
        f"{args.candidates:,} candidates, {args.connections} connections, one uvicorn worker, "
        f"load average {load_average()}"
    )
    report_rounds(rounds)


if __name__ == "__main__":
    main()
