"""API tokens: issued for the right password, refused when wrong, tampered or expired;
accounts lock after repeated failures."""

from __future__ import annotations

import datetime as dt

from nguon.accounts.tokens import TokenSigner
from tests.conftest import Database
from tests.http.conftest import PASSWORD, AppClient, app_settings, build_world, token_for
from tests.problems import assert_problem


async def test_a_token_is_issued_and_used(db: Database, client: AppClient) -> None:
    world = await build_world(db, "auth-ok")
    response = await client.post(
        f"/t/{world.slug}/api/v1/auth/token", json={"username": "admin", "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert expires > dt.datetime.now(dt.UTC)
    units = await client.get(
        f"/t/{world.slug}/api/v1/units",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert units.status_code == 200


async def test_wrong_credentials_are_401_and_say_nothing_about_the_user(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "auth-wrong")
    url = f"/t/{world.slug}/api/v1/auth/token"
    wrong = await client.post(url, json={"username": "admin", "password": "sai"})
    unknown = await client.post(url, json={"username": "khong-co", "password": "sai"})
    assert wrong.status_code == unknown.status_code == 401
    # The same answer whoever is asked about (only the request's own id differs).
    assert {**wrong.json(), "request_id": None} == {**unknown.json(), "request_id": None}
    problem = assert_problem(wrong, 401, "unauthenticated")
    assert "mật khẩu không đúng" in problem["detail"]
    assert "password is incorrect" in problem["detail_en"]


async def test_missing_tampered_and_expired_tokens_are_401(db: Database, client: AppClient) -> None:
    world = await build_world(db, "auth-bad")
    url = f"/t/{world.slug}/api/v1/units"
    good = (await token_for(client, world.slug, "admin"))["Authorization"]
    payload, signature = good.removeprefix("Bearer ").split(".")
    signer = TokenSigner(app_settings().secret_key)
    expired, _ = signer.issue(world.users["admin"], world.tenant_id, dt.timedelta(seconds=-1))
    other_key, _ = TokenSigner("another-secret").issue(world.users["admin"], world.tenant_id)
    for header in (
        None,
        "Basic YWRtaW46eA==",
        f"Bearer {payload}.{signature[:-2]}AA",
        f"Bearer {payload}",
        f"Bearer {expired}",
        f"Bearer {other_key}",
    ):
        headers = {"Authorization": header} if header else {}
        response = await client.get(url, headers=headers)
        assert response.status_code == 401, header
        assert response.headers["www-authenticate"] == "Bearer"


async def test_five_failures_lock_the_account(db: Database, client: AppClient) -> None:
    world = await build_world(db, "auth-lock")
    url = f"/t/{world.slug}/api/v1/auth/token"
    for _ in range(5):
        response = await client.post(url, json={"username": "admin", "password": "sai"})
        assert response.status_code == 401
    locked = await client.post(url, json={"username": "admin", "password": PASSWORD})
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 14 * 60
    other_user = await client.post(url, json={"username": "cell_x_editor", "password": PASSWORD})
    assert other_user.status_code == 200
