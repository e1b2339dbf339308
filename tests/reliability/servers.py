"""Real server processes for the fault tests, which kill them with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.plugins.receiver import free_port
from tests.portal.servers import ROOT

UVICORN = (sys.executable, "-m", "uvicorn", "--factory", "nguon.app:create_app")


class Server:
    def __init__(self, process: subprocess.Popen[bytes], base: str) -> None:
        self.process = process
        self.base = base

    def kill_9(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.1)


@contextmanager
def running_server(
    database_url: str,
    log: Path,
    *,
    redis_url: str | None = None,
    env: dict[str, str] | None = None,
    ready: bool = True,
) -> Iterator[Server]:
    """``uvicorn --factory nguon.app:create_app`` on a free port, logging to ``log``;
    ``ready``: wait for ``/health`` to answer (any status) first."""
    port = free_port()
    environment = {
        **os.environ,
        "NGUON_DATABASE_URL": database_url,
        "NGUON_DEBUG": "1",
        **(env or {}),
    }
    environment.pop("NGUON_REDIS_URL", None)
    if redis_url:
        environment["NGUON_REDIS_URL"] = redis_url
    output = open(log, "ab")  # noqa: SIM115
    process = subprocess.Popen(
        [*UVICORN, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT,
        env=environment,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    server = Server(process, f"http://127.0.0.1:{port}")
    try:
        if ready:
            wait_until(lambda: _answers(server), 30, "the server answers /health")
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        output.close()


def _answers(server: Server) -> bool:
    if server.process.poll() is not None:
        raise RuntimeError(f"the server exited with {server.process.returncode}")
    try:
        httpx.get(f"{server.base}/health", timeout=1)
    except httpx.TransportError:
        return False
    return True
