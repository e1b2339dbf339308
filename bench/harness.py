"""Shared pieces of the HTTP benchmarks: a realistic tenant on Postgres, a real server,
and wrk measuring our endpoints beside a trivial Litestar endpoint served by the same
process in the same run. Figures are ratios; absolute numbers depend on the machine.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import msgspec

from nguon.db.engine import postgres_config
from nguon.db.migrate import migrate
from nguon.db.security import RoleNames, setup_database
from nguon.demo.prepare import prepare_demo

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("NGUON_BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE = os.environ.get("NGUON_BENCH_DATABASE", "nguon_bench")
"""The bench database (``NGUON_BENCH_DATABASE``); its roles are named after it, or after
``NGUON_BENCH_ROLES`` (a copy of another bench database keeps that one's roles)."""
_ROLES = os.environ.get("NGUON_BENCH_ROLES", DATABASE)
ROLES = RoleNames(owner=f"{_ROLES}_owner", app=f"{_ROLES}_app")
T = TypeVar("T")
SECRET = "bench-secret-key-not-for-production-0123456789"


class Measurement(msgspec.Struct):
    name: str
    requests_per_second: float
    p99_ms: float
    errors: int


def _url(role: str) -> str:
    config = postgres_config(ADMIN_URL)
    return f"postgresql://{role}@{config['host']}:{config['port']}/{DATABASE}"


async def prepare_tenant(candidates: int, analyze: bool = True) -> None:
    """A fresh database with Hưng Yên onboarded and ``candidates`` generated people."""
    admin = await asyncpg.connect(**postgres_config(ADMIN_URL))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    finally:
        await admin.close()
    await setup_database(ADMIN_URL, DATABASE, ROLES)
    os.environ["NGUON_APP_ROLE"] = ROLES.app
    os.environ["NGUON_SECRET_KEY"] = SECRET
    await prepare_demo(_url(ROLES.app), migrate_url=_url(ROLES.owner), candidates=candidates)
    if not analyze:
        return
    owner = await asyncpg.connect(**postgres_config(_url(ROLES.owner)))
    try:
        await owner.execute("VACUUM (ANALYZE)")  # as autovacuum would on a live system
    finally:
        await owner.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


REDIS_URL = os.environ.get("NGUON_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
"""Sessions and counters in Redis, as deployed (infra/compose.yaml); "" for the database."""


class Served(str):
    """The server's base URL, with the id of its process."""

    pid: int


def rss_mb(pid: int) -> float:
    """The resident memory of process ``pid`` in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def server(
    factory: str = "bench.app:create_bench_app", env_overrides: dict[str, str] | None = None
) -> Iterator[Served]:
    """One uvicorn worker serving the app as the NOBYPASSRLS app role, configured as
    deployed (not in debug mode, shared store in Redis)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "NGUON_DEBUG"}
    env.update(
        NGUON_DATABASE_URL=_url(ROLES.app),
        NGUON_SECRET_KEY=SECRET,
        NGUON_REDIS_URL=REDIS_URL,
        **(env_overrides or {}),
        PYTHONPATH=os.pathsep.join(
            # NGUON_BENCH_PLATFORM: serve another checkout's platform/ (before/after runs).
            [p for p in (os.environ.get("NGUON_BENCH_PLATFORM"), str(ROOT)) if p]
        ),
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            factory,
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = Served(f"http://127.0.0.1:{port}")
    base.pid = process.pid
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError("the server did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def wrk(
    name: str, url: str, headers: dict[str, str], seconds: int, connections: int
) -> Measurement:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency"]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99_value, p99_unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", output).groups()
    p99 = float(p99_value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99_unit]
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = (int(non_2xx.group(1)) if non_2xx else 0) + (
        sum(int(n) for n in socket.groups()) if socket else 0
    )
    return Measurement(name=name, requests_per_second=rps, p99_ms=p99, errors=errors)


def report(measurements: list[Measurement], baseline: str = "trivial") -> None:
    base = next(m for m in measurements if m.name == baseline)
    print(f"{'endpoint':<34} {'req/s':>9} {'p99 ms':>8} {'ratio':>7} {'errors':>7}")
    for m in measurements:
        ratio = m.requests_per_second / base.requests_per_second
        print(
            f"{m.name:<34} {m.requests_per_second:>9,.0f} {m.p99_ms:>8.1f} "
            f"{ratio:>7.2f} {m.errors:>7}"
        )


def measure_rounds(
    targets: list[tuple[str, str, dict[str, str]]], seconds: int, connections: int, rounds: int
) -> list[list[Measurement]]:
    """Every target ``rounds`` times, side by side, so a ratio compares like with like
    even when the machine's load changes during the run."""
    for name, url, headers in targets:
        wrk(name, url, headers, 2, connections)  # warm up
    return [
        [wrk(name, url, headers, seconds, connections) for name, url, headers in targets]
        for _ in range(rounds)
    ]


def report_rounds(rounds: list[list[Measurement]], baseline: str = "trivial") -> None:
    for number, measurements in enumerate(rounds, 1):
        print(f"round {number}")
        report(measurements, baseline)
    if len(rounds) < 2:
        return
    print("spread over rounds (min–max)")
    print(f"{'endpoint':<34} {'req/s':>15} {'p99 ms':>15} {'ratio':>11}")
    for index, first in enumerate(rounds[0]):
        rows = [r[index] for r in rounds]
        bases = [next(m for m in r if m.name == baseline) for r in rounds]
        rps = [m.requests_per_second for m in rows]
        p99 = [m.p99_ms for m in rows]
        ratio = [
            m.requests_per_second / b.requests_per_second for m, b in zip(rows, bases, strict=True)
        ]
        print(
            f"{first.name:<34} {min(rps):>7,.0f}–{max(rps):<7,.0f} "
            f"{min(p99):>7.1f}–{max(p99):<7.1f} {min(ratio):>5.2f}–{max(ratio):<5.2f}"
        )


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def admin_database_url() -> str:
    """The bench database as the administrator (no Row-Level Security in the way)."""
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{DATABASE}"


async def database_exists() -> bool:
    admin = await asyncpg.connect(**postgres_config(ADMIN_URL))
    try:
        return bool(await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE))
    finally:
        await admin.close()


async def migrate_existing() -> None:
    """An existing bench database brought to this checkout's schema, as a deploy would."""
    os.environ["NGUON_APP_ROLE"] = ROLES.app
    os.environ.setdefault("NGUON_SECRET_KEY", SECRET)
    await migrate(_url(ROLES.owner), ROLES)
    # What earlier runs wrote left dead row versions; a live system's autovacuum clears them.
    owner = await asyncpg.connect(**postgres_config(_url(ROLES.owner)))
    try:
        await owner.execute("VACUUM (ANALYZE)")
    finally:
        await owner.close()


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)
