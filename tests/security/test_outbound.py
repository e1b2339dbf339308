"""Server-side request forgery: a tenant administrator cannot make the server talk to
internal addresses, neither by configuring a receiver nor by DNS answers at delivery."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import pytest

from nguon.audit.service import Actor
from nguon.hook_events import ListSummary
from nguon.outbound import (
    OutboundPolicy,
    OutboundRefused,
    check_url,
    guarded_client,
    use_outbound_policy,
)
from nguon.pipeline.events import ListEvent, dispatch
from nguon.plugin_admin.service import save_setting
from nguon.plugins_builtin.webhooks.outbox import deliver_due
from nguon.plugins_builtin.webhooks.tables import WebhookDelivery
from nguon.tenancy.context import tenant_context
from tests.conftest import Database
from tests.http.conftest import AppClient, World, build_world, token_for
from tests.plugins.receiver import Receiver, free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "receiver-shared-secret-0123456789"

INTERNAL_URLS = [
    "http://127.0.0.1/hook",
    "http://127.0.0.1:5432/",
    "http://2130706433/",
    "http://017700000001/",
    "http://0x7f.1/",
    "http://127.1/",
    "http://localhost/hook",
    "http://LOCALHOST./hook",
    "http://api.localhost/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1:5432/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://100.100.100.200/",
    "http://0.0.0.0:8000/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[fd00:ec2::254]/",
    "http://[2002:7f00:1::]/",
    "http://[64:ff9b::a00:1]/",
    "http://[ff02::1]/",
    "ftp://hooks.example.org/x",
    "file:///etc/passwd",
    "http://user:pw@hooks.example.org/",
]
PUBLIC_URLS = [
    "https://hooks.example.org/nguon",
    "https://so-lieu.hungyen.gov.vn/nguon/events",
    "http://1.1.1.1:8443/x",
    "https://[2606:4700:4700::1111]/",
]


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_internal_addresses_are_refused_in_every_spelling(url: str) -> None:
    with pytest.raises(OutboundRefused):
        check_url(url, OutboundPolicy())


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_public_receivers_are_accepted(url: str) -> None:
    check_url(url, OutboundPolicy())


def test_the_operator_allow_list_opens_internal_networks_but_never_metadata() -> None:
    policy = OutboundPolicy.parse("10.20.0.0/16, 127.0.0.1, 169.254.0.0/16")
    check_url("http://10.20.3.4:8080/hook", policy)
    check_url("http://127.0.0.1:9000/hook", policy)
    with pytest.raises(OutboundRefused):
        check_url("http://10.21.0.1/hook", policy)
    with pytest.raises(OutboundRefused):
        check_url("http://169.254.169.254/", policy)
    with pytest.raises(SystemExit):
        OutboundPolicy.parse("not-a-network")


async def _put_webhooks(client: AppClient, world: World, admin: dict[str, str], url: str) -> Any:
    config = {"endpoints": [{"url": url, "secret": SECRET}]}
    return await client.put(
        f"/t/{world.slug}/api/v1/admin/plugins/webhooks",
        headers=admin,
        json={"enabled": True, "config": config},
    )


async def test_a_tenant_admin_cannot_configure_an_internal_receiver(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "ssrf-config")
    admin = await token_for(client, world.slug, "admin")
    for url in INTERNAL_URLS:
        refused = await _put_webhooks(client, world, admin, url)
        assert refused.status_code == 400, f"{url}: {refused.text}"
        (error,) = refused.json()["errors"]
        assert error["field"] == "config.endpoints[0].url", error
        assert error["pointer"] == "/config/endpoints/0/url", error
        assert error["detail"].count("config.endpoints[0].url") == 1, error
    not_a_url = await _put_webhooks(client, world, admin, "ftp:/x")
    (error,) = not_a_url.json()["errors"]
    assert (error["pointer"], error["code"]) == ("/config/endpoints/0/url", "invalid_format")
    assert "regex" not in not_a_url.text and error["detail"].count("`config.endpoints") == 1
    assert (await _put_webhooks(client, world, admin, PUBLIC_URLS[0])).status_code == 200


async def test_every_problem_of_the_webhook_settings_is_named_at_once(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "ssrf-all")
    admin = await token_for(client, world.slug, "admin")
    config = {
        "endpoints": [
            {"url": "http://192.168.1.1/h"},
            {"url": "https://169.254.169.254/x", "secret": SECRET},
        ],
        "max_attempts": 0,
    }
    refused = await client.put(
        f"/t/{world.slug}/api/v2/admin/plugins/webhooks",
        headers=admin,
        json={"enabled": True, "config": config},
    )
    assert refused.status_code == 400, refused.text
    found = {e["pointer"]: e["code"] for e in refused.json()["errors"]}
    assert found == {
        "/config/endpoints/0/secret": "required",
        "/config/endpoints/1/url": "rule",
        "/config/max_attempts": "out_of_range",
    }, refused.text
    metadata = next(e for e in refused.json()["errors"] if e["code"] == "rule")
    assert "NGUON_OUTBOUND_ALLOW" in metadata["detail"] and "Không được gửi" in metadata["detail"]


@pytest.fixture
def open_port() -> Iterator[Receiver]:
    receiver = Receiver(free_port())
    receiver.start()
    yield receiver
    receiver.stop()


async def _fire(world: World) -> None:
    summary = ListSummary(
        id=1,
        tenant_id=world.tenant_id,
        unit_id=world.units["cell_x"],
        step="survey",
        period="2025-annual",
        state="submitted",
        version=2,
        receiver_unit_id=world.units["commune_1"],
    )
    event = ListEvent(
        kind="submitted", candidate_list=summary, actor=Actor(label="user:x", user_id=1)
    )
    with tenant_context(world.tenant_id):
        await dispatch(event)


async def _log(world: World) -> list[dict[str, Any]]:
    with tenant_context(world.tenant_id):
        return await WebhookDelivery.select().where(WebhookDelivery.tenant_id == world.tenant_id)


def _resolving_to(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> list[str]:
    """DNS as an attacker's name server answers it; returns the names looked up."""
    asked: list[str] = []

    async def getaddrinfo(host: str, port: int, **_: Any) -> list[Any]:
        asked.append(host)
        if host not in answers:  # another test's receiver still due: no such name here
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in answers[host]
        ]

    monkeypatch.setattr(anyio, "getaddrinfo", getaddrinfo)
    return asked


async def test_a_name_resolving_inside_is_refused_at_delivery_and_open_and_closed_ports_look_alike(
    db: Database, open_port: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = free_port()
    hosts = {"open.attacker.example": open_port.port, "closed.attacker.example": closed}
    asked = _resolving_to(monkeypatch, {host: ["127.0.0.1"] for host in hosts})
    logs = []
    for host, port in hosts.items():
        world = await build_world(db, "ssrf-dns")
        with tenant_context(world.tenant_id):
            # Accepted when configured: the name is public; only resolution tells.
            await save_setting(
                world.tenant_id,
                "webhooks",
                True,
                {"endpoints": [{"url": f"http://{host}:{port}/hook", "secret": SECRET}]},
            )
        await _fire(world)
        async with guarded_client() as http:
            await deliver_due(http)
        (row,) = await _log(world)
        logs.append((row["status"], row["last_status"], row["last_error"], row["attempts"]))
    assert open_port.received == []
    assert set(hosts) <= set(asked)
    assert (
        logs[0]
        == logs[1]
        == (
            "failed",
            None,
            "refused by policy: the receiver's address is not allowed",
            1,
        )
    )


async def test_every_address_of_a_name_is_checked_and_the_checked_one_is_dialled(
    open_port: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = _resolving_to(
        monkeypatch,
        {
            "mixed.attacker.example": ["1.1.1.1", "10.0.0.1"],
            "mapped.attacker.example": ["::ffff:127.0.0.1"],
            "hooks.internal.example": ["127.0.0.1"],
        },
    )
    async with guarded_client(OutboundPolicy()) as http:
        for host in ("mixed.attacker.example", "mapped.attacker.example"):
            with pytest.raises(OutboundRefused):
                await http.post(f"http://{host}:{open_port.port}/hook", content=b"{}")
    assert open_port.received == []
    # An allow-listed internal receiver: one lookup, then the socket goes to that address.
    async with guarded_client(OutboundPolicy.parse("127.0.0.1/32")) as http:
        answer = await http.post(
            f"http://hooks.internal.example:{open_port.port}/hook", content=b"{}"
        )
    assert answer.status_code == 204
    assert asked.count("hooks.internal.example") == 1
    assert open_port.received[0].headers["Host"] == f"hooks.internal.example:{open_port.port}"


class _Redirecting(BaseHTTPRequestHandler):
    target = ""

    def do_POST(self) -> None:
        self.send_response(307)
        self.send_header("Location", self.target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


async def test_redirects_are_checked_like_the_first_request(open_port: Receiver) -> None:
    _Redirecting.target = f"http://127.0.0.2:{open_port.port}/hook"
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        async with guarded_client(OutboundPolicy.parse("127.0.0.1/32")) as http:
            # Deliveries do not follow redirects at all...
            assert (await http.post(url, content=b"{}")).status_code == 307
            # ...and a caller that asks to follow one meets the guard again.
            with pytest.raises(OutboundRefused):
                await http.post(url, content=b"{}", follow_redirects=True)
    finally:
        server.shutdown()
        server.server_close()
    assert open_port.received == []


def test_no_code_reaches_the_network_except_through_the_guard() -> None:
    forbidden = (
        "httpx.AsyncClient(",
        "httpx.Client(",
        "httpx.get(",
        "httpx.post(",
        "urllib.request",
        "urlopen(",
        "import requests",
        "import aiohttp",
        "http.client",
    )
    guard = ROOT / "platform" / "nguon" / "outbound"
    offenders = [
        f"{path.relative_to(ROOT)}: {needle}"
        for folder in (ROOT / "platform", ROOT / "plugins")
        for path in folder.rglob("*.py")
        if guard not in path.parents
        for needle in forbidden
        if needle in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_the_allow_list_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from nguon.outbound import policy

    monkeypatch.setenv(policy.ALLOW_ENV, "192.168.7.0/24")
    with use_outbound_policy(None):
        check_url("http://192.168.7.9/hook")
        with pytest.raises(OutboundRefused):
            check_url("http://192.168.8.9/hook")
