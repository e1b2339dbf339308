"""Real server processes: ``uvicorn --factory nguon.app:create_app`` on free ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(
    database_url: str,
    *,
    redis_url: str | None = None,
    log: Path | None = None,
    settings: dict[str, str] | None = None,
) -> Iterator[str]:
    """One server process on plain http (cookies without ``Secure``); yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "NGUON_DATABASE_URL": database_url,
        "NGUON_SECRET_KEY": os.environ["NGUON_SECRET_KEY"],
        "NGUON_DEBUG": "1",
        **(settings or {}),
    }
    env.pop("NGUON_REDIS_URL", None)
    if redis_url:
        env["NGUON_REDIS_URL"] = redis_url
    output = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "nguon.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not answer /health within 30 s")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log:
            output.close()
