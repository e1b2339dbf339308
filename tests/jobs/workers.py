"""``nguon worker`` processes for tests, with tight heartbeat and stall settings."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import TEST_DATABASE, TEST_ROLES

ROOT = Path(__file__).resolve().parents[2]
APP_URL = f"postgresql://{TEST_ROLES.app}@127.0.0.1:5432/{TEST_DATABASE}"
FAST = ("--heartbeat", "0.3", "--stalled-after", "1.5", "--poll", "0.2")
FAST_ENV = {"NGUON_EVENT_RELAY_SECONDS": "1", "NGUON_OUTBOUND_ALLOW": "127.0.0.1/32"}
"""Leftovers relayed every second; the tests' receivers listen on loopback."""


def start_worker(
    *extra: str, log: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "NGUON_DATABASE_URL": APP_URL, **FAST_ENV, **(env or {})}
    environment.pop("NGUON_REDIS_URL", None)
    output = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "-c", "from nguon.cli import main; main()", "worker", *FAST, *extra],
        cwd=ROOT,
        env=environment,
        stdout=output,
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM, as an orchestrator stops a worker; its exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


@contextmanager
def worker(*extra: str, log: Path | None = None) -> Iterator[subprocess.Popen[bytes]]:
    process = start_worker(*extra, log=log)
    try:
        yield process
    finally:
        stop(process)
