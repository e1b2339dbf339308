"""The JSON API under load on Postgres with a realistic tenant, as ratios of a trivial
Litestar endpoint served by the same server in the same run.

    .venv/bin/python -m bench.api [--candidates 20000] [--seconds 8] [--connections 32]
"""

from __future__ import annotations

import argparse

import httpx

from bench.harness import Measurement, prepare_tenant, report, run, server, wrk


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidates", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()

    run(prepare_tenant(args.candidates))
    with server() as base:
        token = httpx.post(
            f"{base}/t/hungyen/api/v1/auth/token",
            json={"username": "demo.huyen", "password": "huyen-demo-2024"},
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        api = f"{base}/t/hungyen/api/v1"
        listing = httpx.get(f"{api}/candidates?page_size=10", headers=auth)
        listing.raise_for_status()
        first = listing.json()["items"][0]["id"]
        targets = [
            ("trivial", f"{base}/bench/trivial", {}),
            ("candidates page (50, district)", f"{api}/candidates?page_size=50", auth),
            ("candidate search 'nguyen van'", f"{api}/candidates?q=nguyen%20van", auth),
            ("one candidate", f"{api}/candidates/{first}", auth),
            ("unit tree", f"{api}/units", auth),
        ]
        measurements: list[Measurement] = []
        for name, url, headers in targets:
            wrk(name, url, headers, 2, args.connections)  # warm up
            measurements.append(wrk(name, url, headers, args.seconds, args.connections))
    print(f"{args.candidates:,} candidates, {args.connections} connections, one uvicorn worker")
    report(measurements)


if __name__ == "__main__":
    main()
