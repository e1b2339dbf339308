"""The pieces of the scaled-out rehearsal: the processes it runs, HAProxy's configuration
taken from ``infra/haproxy.cfg``, and a signed-in portal user that records every request."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import msgspec

ROOT = Path(__file__).resolve().parents[2]
HAPROXY = Path("/usr/sbin/haproxy")
NGUON = Path(sys.executable).parent / "nguon"


def web_command(port: int) -> list[str]:
    """One web process on ``port``."""
    return [str(NGUON), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]


def worker_command() -> list[str] | None:
    """The job worker (a killed worker's jobs are queued again after 5 s instead of 30, to
    keep the rehearsal short)."""
    return [str(NGUON), "worker", "--heartbeat", "1", "--stalled-after", "5", "--poll", "1"]


def haproxy_config(listen_port: int, web_ports: list[int]) -> str:
    """``infra/haproxy.cfg`` with native processes instead of the compose service's
    replicas, and each answer naming the web process that gave it."""
    shipped = (ROOT / "infra" / "haproxy.cfg").read_text()
    shipped = re.sub(r"\nresolvers compose\n(?:    .*\n)+", "\n", shipped)
    assert "bind :8080" in shipped and "server-template web" in shipped
    servers = "\n".join(
        f"    server web{index} 127.0.0.1:{port} check" for index, port in enumerate(web_ports)
    )
    shipped = shipped.replace("bind :8080", f"bind 127.0.0.1:{listen_port}")
    shipped = re.sub(r"    server-template web .*", servers, shipped)
    return shipped + "    http-response set-header X-Served-By %s\n"


class Process:
    """A process the rehearsal starts, and may kill with SIGKILL."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.command = command
        self._log = open(log, "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def kill_9(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.1)


def answers_health(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def process_environment(**settings: str) -> dict[str, str]:
    """This environment without any NGUON_ setting of the caller's, plus ``settings``."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("NGUON_")}
    return {**inherited, "PYTHONPATH": os.environ.get("PYTHONPATH", ""), **settings}


class Request(msgspec.Struct):
    """One request as the client saw it: when it was in flight and how it ended."""

    user: str
    kind: str
    started: float
    ended: float
    status: int | None
    server: str | None
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.status is None or self.status >= 500

    def in_flight_at(self, moment: float) -> bool:
        return self.started <= moment <= self.ended


_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
_VERSION = re.compile(r'name="version" value="(\d+)"')


class PortalUser:
    """A signed-in user of the portal through the proxy, keeping its cookies itself: the
    app marks them Secure, and the rehearsal speaks plain http to HAProxy."""

    def __init__(self, base: str, slug: str, username: str, log: list[Request]) -> None:
        self.http = httpx.AsyncClient(base_url=base, timeout=30, follow_redirects=False)
        self.slug = slug
        self.username = username
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.log = log
        self.session_cookie = ""

    async def request(
        self, kind: str, method: str, path: str, data: dict[str, str] | None = None
    ) -> httpx.Response | None:
        started = time.monotonic()
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        try:
            response = await self.http.request(method, path, data=data, headers=headers)
        except httpx.TransportError as error:
            self.log.append(
                Request(self.username, kind, started, time.monotonic(), None, None, repr(error))
            )
            return None
        self.log.append(
            Request(
                self.username,
                kind,
                started,
                time.monotonic(),
                response.status_code,
                response.headers.get("x-served-by"),
            )
        )
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in header.lower() or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        if match := _CSRF.search(response.text):
            self.csrf = match.group(1)
        return response

    async def sign_in(self, password: str) -> None:
        await self.request("sign-in", "GET", f"/t/{self.slug}/login")
        response = await self.request(
            "sign-in",
            "POST",
            f"/t/{self.slug}/login",
            {"username": self.username, "password": password, "_csrf_token": self.csrf},
        )
        assert response is not None and response.status_code == 303, response
        self.session_cookie = self.cookies["nguon_session"]

    def signed_in(self, response: httpx.Response) -> bool:
        """Whether the portal still knows this user (not sent back to the login page)."""
        return "/login" not in response.headers.get("location", "")

    async def edit_version(self, candidate_id: int) -> int | None:
        page = await self.request("read", "GET", f"/t/{self.slug}/candidates/{candidate_id}/edit")
        if page is None or page.status_code != 200:
            return None
        match = _VERSION.search(page.text)
        return int(match.group(1)) if match else None

    async def close(self) -> None:
        await self.http.aclose()
