"""Rotating NGUON_SECRET_KEY: national ID numbers stay readable and findable before, during
and after ``nguon secrets rotate``, which resumes after being stopped mid-way; tokens signed
with the old key work until the previous key is removed."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager

import asyncpg
import msgspec
import pytest

from nguon.accounts.permissions import Access, user_access
from nguon.accounts.tokens import TokenSigner
from nguon.crypto import _fernet, _lookup_key, key_id, seal_setting, unseal_setting
from nguon.db.engine import postgres_config
from nguon.errors import Conflict
from nguon.key_rotation.rotate import TenantProgress, rotate_tenant
from nguon.people.schemas import CandidateCreate
from nguon.people.service import create_candidate, get_candidate
from nguon.people.tables import Candidate
from nguon.plugin_admin.tables import TenantPlugin
from nguon.settings import Settings
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant
from tests.conftest import ADMIN_URL, TEST_DATABASE, Database
from tests.http.conftest import (
    AppClient,
    World,
    app_settings,
    build_world,
    candidate_body,
    csrf_token_in,
    portal_login,
    started,
)

OLD_KEY = "the-old-secret-key-for-rotation-tests-0001"
NEW_KEY = "the-new-secret-key-for-rotation-tests-0002"


@pytest.fixture(autouse=True)
async def _no_numbers_left_under_this_modules_keys() -> AsyncIterator[None]:
    """These tests write national ID numbers under throwaway keys; the rest of the session
    runs under the suite's key (``nguon check`` there reports numbers it cannot open), so
    the numbers they wrote under other keys are cleared afterwards. (Plugin secrets sealed
    under them stay: a tenant whose secrets do not open keeps that plugin off.)"""
    yield
    try:
        admin = await asyncpg.connect(**{**postgres_config(ADMIN_URL), "database": TEST_DATABASE})
    except (OSError, asyncpg.PostgresError):
        return  # no Postgres here: the SQLite half leaves nothing behind in it
    try:  # as the superuser: every tenant's rows, whatever Row-Level Security says
        await admin.execute(
            "UPDATE candidate SET national_id_encrypted = NULL, national_id_hash = NULL,"
            " national_id_key = NULL WHERE national_id_key IN ($1, $2)",
            key_id(OLD_KEY),
            key_id(NEW_KEY),
        )
    finally:
        await admin.close()


NUMBERS = [f"0010950{n:05d}" for n in range(7)]
LEGACY = "034099001234"


def _use_keys(monkeypatch: pytest.MonkeyPatch, current: str, previous: str | None) -> None:
    monkeypatch.setenv("NGUON_SECRET_KEY", current)
    if previous is None:
        monkeypatch.delenv("NGUON_SECRET_KEY_PREVIOUS", raising=False)
    else:
        monkeypatch.setenv("NGUON_SECRET_KEY_PREVIOUS", previous)


def _candidate(world: World, name: str, number: str) -> CandidateCreate:
    body = candidate_body(world.units["cell_x"], name, national_id=number)
    return msgspec.convert(body, CandidateCreate)


async def _admin(world: World) -> Access:
    access = await user_access(world.users["admin"])
    assert access is not None
    return access


async def _is_recorded(access: Access, world: World, number: str) -> bool:
    try:
        await create_candidate(access, _candidate(world, "Người trùng số", number))
    except Conflict as error:
        assert error.field == "national_id"
        return True
    raise AssertionError(f"{number} was not found: a duplicate was created")


async def _keys_in_use(world: World) -> dict[str | None, int]:
    rows = await Candidate.select(Candidate.national_id_key).where(
        in_tenant(Candidate), Candidate.national_id_encrypted.is_not_null()
    )
    counts: dict[str | None, int] = {}
    for row in rows:
        counts[row["national_id_key"]] = counts.get(row["national_id_key"], 0) + 1
    return counts


async def _masks(access: Access, ids: list[int]) -> list[str | None]:
    return [(await get_candidate(access, cid)).national_id_masked for cid in ids]


async def _add_legacy_row(world: World) -> int:
    """A number stored before key ids existed: no id in the value, no key column."""
    lookup = hmac.new(_lookup_key(OLD_KEY), LEGACY.encode(), hashlib.sha256).hexdigest()
    access = await _admin(world)
    made = await create_candidate(access, _candidate(world, "Người cũ", "099999999999"))
    await (
        Candidate.update(
            {
                Candidate.national_id_encrypted: _fernet(OLD_KEY).encrypt(LEGACY.encode()).decode(),
                Candidate.national_id_hash: lookup,
                Candidate.national_id_key: None,
            }
        )
        .where(in_tenant(Candidate), Candidate.id == made.id)
        .run()
    )
    return made.id


async def test_rotation_stopped_mid_way_resumes_and_lookups_always_work(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_keys(monkeypatch, OLD_KEY, None)
    world = await build_world(db, "rotate")
    with tenant_context(world.tenant_id):
        access = await _admin(world)
        ids = [
            (await create_candidate(access, _candidate(world, f"Người {i}", number))).id
            for i, number in enumerate(NUMBERS)
        ]
        ids.append(await _add_legacy_row(world))
        before = await _masks(access, ids)
        assert before[0] == "********0000" and before[-1] == "********1234"
        assert await _keys_in_use(world) == {key_id(OLD_KEY): 7, None: 1}

        # New key in force, the old one still known: everything reads and is found.
        _use_keys(monkeypatch, NEW_KEY, OLD_KEY)
        assert await _masks(access, ids) == before
        for number in (NUMBERS[0], NUMBERS[-1], LEGACY):
            assert await _is_recorded(access, world, number)

        seen: list[int] = []

        def stop_after_one_batch(progress: TenantProgress) -> None:
            seen.append(progress.rekeyed)
            if progress.rekeyed >= 3:
                raise KeyboardInterrupt  # the operator's Ctrl-C, or a killed process

        with db.as_owner(), pytest.raises(KeyboardInterrupt):
            await rotate_tenant(world.tenant_id, world.slug, 3, stop_after_one_batch)
        assert seen == [3]
        assert await _keys_in_use(world) == {key_id(NEW_KEY): 3, key_id(OLD_KEY): 4, None: 1}
        # During the rotation: numbers under either key are read and found.
        assert await _masks(access, ids) == before
        for number in (NUMBERS[0], NUMBERS[5], LEGACY):
            assert await _is_recorded(access, world, number)
        added = await create_candidate(access, _candidate(world, "Người mới", "001095099999"))
        ids.append(added.id)

        with db.as_owner():
            resumed = await rotate_tenant(world.tenant_id, world.slug, 3)
        assert (resumed.total, resumed.rekeyed, resumed.remaining) == (9, 5, 0)
        assert resumed.unreadable == 0
        assert await _keys_in_use(world) == {key_id(NEW_KEY): 9}
        with db.as_owner():
            again = await rotate_tenant(world.tenant_id, world.slug, 3)
        assert (again.rekeyed, again.remaining) == (0, 0)

        # The previous key removed: all still read and found, under the new key alone.
        _use_keys(monkeypatch, NEW_KEY, None)
        assert await _masks(access, ids) == [*before, "********9999"]
        for number in (NUMBERS[0], NUMBERS[6], LEGACY, "001095099999"):
            assert await _is_recorded(access, world, number)


async def test_without_the_previous_key_old_numbers_are_unreadable_and_reported(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_keys(monkeypatch, OLD_KEY, None)
    world = await build_world(db, "rotate-lost")
    with tenant_context(world.tenant_id):
        access = await _admin(world)
        made = await create_candidate(access, _candidate(world, "Người", NUMBERS[0]))
        _use_keys(monkeypatch, NEW_KEY, None)
        assert (await get_candidate(access, made.id)).national_id_masked == "*" * 12
        with db.as_owner():
            report = await rotate_tenant(world.tenant_id, world.slug, 10)
        assert (report.unreadable, report.rekeyed, report.remaining) == (1, 0, 1)
        assert await _keys_in_use(world) == {key_id(OLD_KEY): 1}


def _settings(current: str, previous: str | None) -> Settings:
    return msgspec.structs.replace(app_settings(), secret_key=current, previous_secret_key=previous)


def _app_client(db: Database, settings: Settings) -> AbstractAsyncContextManager[AppClient]:
    from nguon.app import create_app

    return started(create_app(settings, engine=db.app))


async def test_old_tokens_work_in_the_grace_period_and_fail_after(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await build_world(db, "rotate-token")
    old_token, _ = TokenSigner(OLD_KEY).issue(world.users["admin"], world.tenant_id)
    headers = {"Authorization": f"Bearer {old_token}"}
    url = f"/t/{world.slug}/api/v1/units"
    async with _app_client(db, _settings(NEW_KEY, OLD_KEY)) as grace:
        assert (await grace.get(url, headers=headers)).status_code == 200
        fresh = await grace.post(
            f"/t/{world.slug}/api/v1/auth/token",
            json={"username": "admin", "password": "mật-khẩu-đủ-dài-2024"},
        )
        new_token = fresh.json()["access_token"]
    TokenSigner(NEW_KEY).verify(new_token)  # issued under the new key
    with pytest.raises(Exception, match="bad signature"):
        TokenSigner(OLD_KEY).verify(new_token)
    async with _app_client(db, _settings(NEW_KEY, None)) as after:
        assert (await after.get(url, headers=headers)).status_code == 401
        assert (
            await after.get(url, headers={"Authorization": f"Bearer {new_token}"})
        ).status_code == 200


async def test_a_portal_session_outlives_the_rotation_and_its_forms_keep_working(
    db: Database,
) -> None:
    """Sessions are server-side (a random id, nothing signed): they survive the change of
    key; the CSRF cookie signed with the old key is replaced when the next page is read."""
    world = await build_world(db, "rotate-session")
    async with _app_client(db, _settings(OLD_KEY, None)) as before:
        await portal_login(before, world.slug, "cell_x_editor")
        cookies = before.cookies
    async with _app_client(db, _settings(NEW_KEY, None)) as after:
        after.cookies = cookies
        home = await after.get(f"/t/{world.slug}/")
        assert home.status_code == 200
        assert "nguon_csrf" in home.headers.get("set-cookie", "")
        out = await after.post(
            f"/t/{world.slug}/logout", data={"_csrf_token": csrf_token_in(home.text)}
        )
        assert out.status_code == 303


async def test_plugin_secrets_are_resealed_under_the_new_key(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_keys(monkeypatch, OLD_KEY, None)
    world = await build_world(db, "rotate-plugin")
    with db.as_owner(), tenant_context(world.tenant_id):
        sealed = seal_setting("chữ-ký-bí-mật")
        await TenantPlugin.insert(
            TenantPlugin(
                tenant_id=world.tenant_id,
                name="webhooks",
                enabled=True,
                config={"url": "https://example.org/hook", "secret": sealed},
            )
        ).run()
        _use_keys(monkeypatch, NEW_KEY, OLD_KEY)
        report = await rotate_tenant(world.tenant_id, world.slug, 10)
        assert report.plugin_secrets == 1
        again = await rotate_tenant(world.tenant_id, world.slug, 10)
        assert again.plugin_secrets == 0
        _use_keys(monkeypatch, NEW_KEY, None)
        row = (
            await TenantPlugin.select(TenantPlugin.config)
            .where(in_tenant(TenantPlugin), TenantPlugin.name == "webhooks")
            .first()
        )
    assert row is not None
    stored = row["config"]
    config = stored if isinstance(stored, dict) else msgspec.json.decode(stored)
    assert config["secret"] != sealed and unseal_setting(config["secret"]) == "chữ-ký-bí-mật"
    assert config["url"] == "https://example.org/hook"
