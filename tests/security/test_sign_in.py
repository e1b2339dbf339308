"""Sign-in limits over HTTP: other people's failures never refuse a real user's right
password, and only a trusted proxy may say where a request comes from."""

from __future__ import annotations

import logging

import pytest

from tests.accounts.conftest import sign_in_rows
from tests.conftest import Database
from tests.http.conftest import PASSWORD, AppClient, build_world, csrf_token_in
from tests.problems import assert_problem


def _token(slug: str, username: str, password: str, **headers: str) -> tuple[str, dict]:
    return f"/t/{slug}/api/v1/auth/token", {
        "json": {"username": username, "password": password},
        "headers": headers,
    }


async def test_made_up_names_from_one_address_do_not_refuse_a_real_users_right_password(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "spray")
    for n in range(25):
        url, kwargs = _token(world.slug, f"khong-ton-tai-{n}", "doan-bua-123456")
        assert (await client.post(url, **kwargs)).status_code == 401
    url, kwargs = _token(world.slug, "cell_x_editor", PASSWORD)
    assert (await client.post(url, **kwargs)).status_code == 200
    # The portal's form is the same.
    page = await client.get(f"/t/{world.slug}/login")
    assert page.status_code == 200


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "xff-untrusted")
    for n in range(5):
        url, kwargs = _token(
            world.slug, "admin", "sai-mat-khau-123", **{"X-Forwarded-For": f"198.51.100.{n}"}
        )
        assert (await client.post(url, **kwargs)).status_code == 401
    # A new forged address changes nothing: the lock-out is on the real peer address.
    url, kwargs = _token(world.slug, "admin", PASSWORD, **{"X-Forwarded-For": "192.0.2.77"})
    locked = await client.post(url, **kwargs)
    problem = assert_problem(locked, 429, "too_many_requests")
    assert problem["retry_after"] == int(locked.headers["retry-after"]) > 0


async def test_behind_a_trusted_proxy_each_user_is_counted_at_their_own_address(
    db: Database, proxied: AppClient
) -> None:
    world = await build_world(db, "xff-trusted")
    attacker = {"X-Forwarded-For": "198.51.100.66"}
    for _ in range(5):
        url, kwargs = _token(world.slug, "admin", "sai-mat-khau-123", **attacker)
        assert (await proxied.post(url, **kwargs)).status_code == 401
    url, kwargs = _token(world.slug, "admin", PASSWORD, **attacker)
    assert (await proxied.post(url, **kwargs)).status_code == 429
    # The account's owner, at another address behind the same proxy, signs in.
    url, kwargs = _token(world.slug, "admin", PASSWORD, **{"X-Forwarded-For": "203.0.113.5"})
    assert (await proxied.post(url, **kwargs)).status_code == 200
    # A client cannot prepend an address of its choosing: the proxy's own entry counts.
    forged = {"X-Forwarded-For": "203.0.113.5, 198.51.100.66"}
    url, kwargs = _token(world.slug, "admin", PASSWORD, **forged)
    assert (await proxied.post(url, **kwargs)).status_code == 429


async def test_after_signing_in_the_portal_goes_only_to_a_page_of_the_same_province(
    db: Database, client: AppClient
) -> None:
    """A link's ``next`` is followed inside the province's portal only: another site, a
    protocol-relative ``//`` path or a backslash (which browsers read as ``/``) lead home."""
    world = await build_world(db, "sign-in-next")
    home = f"/t/{world.slug}/"
    for target, lands in (
        (f"{home}lists?page=2", f"{home}lists?page=2"),
        ("https://evil.example/", home),
        (f"{home}/evil.example/", home),
        (f"{home}\\evil.example/", home),
        (f"{home}..\\..\\evil.example", home),
    ):
        page = await client.get(f"{home}login")
        response = await client.post(
            f"{home}login",
            data={
                "username": "admin",
                "password": PASSWORD,
                "next": target,
                "_csrf_token": csrf_token_in(page.text),
            },
        )
        assert response.headers["location"] == lands, target


async def test_a_locked_out_attempt_and_each_failure_are_recorded_for_the_administrator(
    db: Database, client: AppClient, caplog: pytest.LogCaptureFixture
) -> None:
    """The sign-in log says an attempt was refused by the lock-out (not a wrong password),
    and the log line of a wrong password names the province and the account."""
    world = await build_world(db, "sign-in-locked")
    with caplog.at_level(logging.INFO, logger="nguon.accounts"):
        for _ in range(5):
            url, kwargs = _token(world.slug, "admin", "sai-mat-khau-123")
            assert (await client.post(url, **kwargs)).status_code == 401
    failures = [r for r in caplog.records if r.getMessage() == "login failed"]
    assert [(r.tenant_id, r.user_id) for r in failures] == [
        (world.tenant_id, world.users["admin"])
    ] * 5
    url, kwargs = _token(world.slug, "admin", PASSWORD)
    assert (await client.post(url, **kwargs)).status_code == 429
    rows = await sign_in_rows(db, world)
    assert [(r["username"], r["result"]) for r in rows] == [("admin", "failed")] * 5 + [
        ("admin", "locked")
    ]
