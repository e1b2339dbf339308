"""A small province per test: tenant, unit tree, users with roles, and an app client.

The tree of :func:`build_world` (ids differ per tenant), Hưng Yên before 2025-07-01:

    province (Tỉnh ủy)
    ├── district_1 (Huyện ủy Văn Lâm)
    │   └── commune_1 (Đảng ủy xã Lạc Hồng, grassroots committee)
    │       ├── cell_x (Chi bộ thôn Ngọc Đà)
    │       └── cell_y (Chi bộ thôn Đình Dù)
    └── district_2 (Huyện ủy Ân Thi)
        └── cell_z (Chi bộ cơ sở Trường THPT Ân Thi)

The tree of :func:`build_today_world`, from 2025-07-01 (no district level):

    province (Tỉnh ủy)
    ├── board (Ban Tổ chức Tỉnh ủy)
    └── committee (Đảng ủy xã Như Quỳnh, commune committee)
        ├── cell_x (Chi bộ thôn Ngọc Đà)
        └── cell_y (Chi bộ thôn Đình Dù)
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import msgspec
import pytest
from litestar import Litestar

from nguon.accounts.passwords import hash_password
from nguon.accounts.tables import User
from nguon.app import create_app
from nguon.clock import today_in_vietnam
from nguon.db.binding import current_engine
from nguon.db.engine import is_postgres
from nguon.org.tables import Membership, OrgUnit
from nguon.settings import Settings
from nguon.tenancy.scoped import switch_tenant_in_transaction
from nguon.tenancy.tables import Tenant
from tests.conftest import Database

os.environ.setdefault("NGUON_SECRET_KEY", "test-secret-key-for-the-http-suite")

PASSWORD = "mật-khẩu-đủ-dài-2024"
BASE_URL = "https://testserver.local"
_counter = itertools.count()
_CSRF_INPUT = re.compile(r'name="_csrf_token" value="([^"]+)"')

# Passwords are hashed once: argon2 is deliberately slow.
_PASSWORD_HASH = hash_password(PASSWORD)


class World(msgspec.Struct):
    tenant_id: int
    slug: str
    units: dict[str, int]
    users: dict[str, int]


def unique_slug(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{next(_counter)}"


async def _add_unit(
    tenant_id: int,
    code: str,
    name: str,
    kind: str,
    parent: OrgUnit | None,
    valid_from: dt.date = dt.date(2020, 1, 1),
    unit_id: int | None = None,
) -> OrgUnit:
    """A unit; ``unit_id`` forces its id (higher than any so far), for look-alike paths."""
    unit = OrgUnit(
        **({"id": unit_id} if unit_id is not None else {}),
        tenant_id=tenant_id,
        code=code,
        name=name,
        kind=kind,
        parent=parent.id if parent else None,
        path="",
        depth=(parent.depth + 1) if parent else 0,
        valid_from=valid_from,
    )
    await unit.save().run()
    if unit_id is not None and is_postgres(current_engine()):
        # Later units must be numbered after the forced id.
        await OrgUnit.raw(
            "SELECT setval(pg_get_serial_sequence('org_unit', 'id'), {})", unit_id
        ).run()
    unit.path = f"{parent.path if parent else ''}{unit.id}."
    await unit.save([OrgUnit.path]).run()
    return unit


# key: (code, name, kind, parent key)
_TREE_2024 = {
    "province": ("TU", "Tỉnh ủy Hưng Yên", "province_committee", None),
    "district_1": ("VL", "Huyện ủy Văn Lâm", "district_committee", "province"),
    "commune_1": ("LH", "Đảng ủy xã Lạc Hồng", "grassroots_committee", "district_1"),
    "cell_x": ("ND", "Chi bộ thôn Ngọc Đà", "subordinate_cell", "commune_1"),
    "cell_y": ("DD", "Chi bộ thôn Đình Dù", "subordinate_cell", "commune_1"),
    "district_2": ("AT", "Huyện ủy Ân Thi", "district_committee", "province"),
    "cell_z": ("THPT", "Chi bộ Trường THPT Ân Thi", "grassroots_cell", "district_2"),
}
_GRANTS_2024 = {
    "admin": ("province", "tenant_admin"),
    "district_1_editor": ("district_1", "editor"),
    "cell_x_editor": ("cell_x", "editor"),
    "cell_y_editor": ("cell_y", "editor"),
    "cell_x_viewer": ("cell_x", "viewer"),
    "district_2_editor": ("district_2", "editor"),
}
_TREE_TODAY = {
    "province": ("TU", "Tỉnh ủy Hưng Yên", "province_committee", None),
    "board": ("BTC", "Ban Tổ chức Tỉnh ủy", "organisation_board", "province"),
    "committee": ("NQ", "Đảng ủy xã Như Quỳnh", "commune_committee", "province"),
    "cell_x": ("ND", "Chi bộ thôn Ngọc Đà", "subordinate_cell", "committee"),
    "cell_y": ("DD", "Chi bộ thôn Đình Dù", "subordinate_cell", "committee"),
}
_GRANTS_TODAY = {
    "admin": ("province", "tenant_admin"),
    "committee_approver": ("committee", "approver"),
    "cell_x_editor": ("cell_x", "editor"),
}


async def build_world(db: Database, prefix: str = "tinh", lookalike: bool = False) -> World:
    """Create a tenant with the 2024 tree above and one user per role/unit (as the owner).

    With ``lookalike``, district_1's id is district_2's followed by a 7 (paths ``1.n.`` and
    ``1.n7.``): a path compared without its trailing dot would put one inside the other.
    """
    tree = _TREE_2024
    if lookalike:
        tree = {"province": tree["province"], "district_2": tree["district_2"], **tree}
    return await _build(db, prefix, tree, _GRANTS_2024, dt.date(2020, 1, 1), lookalike=lookalike)


async def build_today_world(db: Database, prefix: str = "today") -> World:
    """Create a tenant with today's tree above (units from 2025-07-01) and its users."""
    return await _build(db, prefix, _TREE_TODAY, _GRANTS_TODAY, dt.date(2025, 7, 1))


async def _build(
    db: Database,
    prefix: str,
    tree: dict[str, tuple[str, str, str, str | None]],
    grants: dict[str, tuple[str, str]],
    valid_from: dt.date,
    lookalike: bool = False,
) -> World:
    slug = unique_slug(prefix)
    with db.as_owner():
        async with db.owner.transaction():
            tenant = Tenant(slug=slug, name=f"Tỉnh {slug}", rules_package="hungyen")
            await tenant.save().run()
            await switch_tenant_in_transaction(tenant.id)
            t = tenant.id
            made: dict[str, OrgUnit] = {}
            for key, (code, name, kind, parent_key) in tree.items():
                parent = made[parent_key] if parent_key else None
                forced = None
                if lookalike and key == "district_1":
                    forced = int(f"{made['district_2'].id}7")
                made[key] = await _add_unit(t, code, name, kind, parent, valid_from, forced)
            units = {key: unit.id for key, unit in made.items()}
            users: dict[str, int] = {}
            for username, (unit_key, role) in grants.items():
                user = User(
                    tenant_id=t,
                    username=username,
                    full_name=f"Người dùng {username}",
                    password_hash=_PASSWORD_HASH,
                )
                await user.save().run()
                users[username] = user.id
                await (
                    Membership(
                        tenant_id=t,
                        user=user.id,
                        unit=units[unit_key],
                        role=role,
                        valid_from=valid_from,
                    )
                    .save()
                    .run()
                )
    return World(tenant_id=tenant.id, slug=slug, units=units, users=users)


def app_settings() -> Settings:
    return Settings(
        database_url="unused://the-test-engine-is-passed-in",
        migrate_database_url="unused://",
        secret_key=os.environ["NGUON_SECRET_KEY"],
        redis_url=None,
        debug=False,
    )


class AppClient(httpx.AsyncClient):
    """An httpx client talking to the app in this event loop (the Postgres pool's loop).

    Litestar's AppClient runs the app on a portal thread with its own loop, which
    an asyncpg pool made on the test loop cannot serve.
    """

    def __init__(self, app: Litestar) -> None:
        # Redirects are part of what the tests check; never follow them silently.
        super().__init__(
            transport=httpx.ASGITransport(app=app), base_url=BASE_URL, follow_redirects=False
        )
        self.app = app


@asynccontextmanager
async def started(app: Litestar) -> AsyncIterator[AppClient]:
    """A client of ``app``, started before and stopped after, even when the test fails:
    a started app's background loops (event relay, webhook deliveries, in-process jobs)
    must not outlive its test and write beside the next ones."""
    # Litestar's lifespan() runs a task group that pytest-asyncio would enter and exit
    # in different tasks; the app's own hooks take no arguments, so call them directly.
    for hook in app.on_startup:
        await hook()
    try:
        async with AppClient(app) as test_client:
            yield test_client
    finally:
        for hook in app.on_shutdown:
            await hook()


@asynccontextmanager
async def serving(database: Database) -> AsyncIterator[AppClient]:
    """The app on ``database``'s engine, started and stopped around a client."""
    async with started(create_app(app_settings(), engine=database.app)) as test_client:
        yield test_client


@pytest.fixture
async def client(db: Database) -> AsyncIterator[AppClient]:
    async with serving(db) as test_client:
        yield test_client


@pytest.fixture
async def pg_client(postgres_db: Database) -> AsyncIterator[AppClient]:
    """A client of the app on Postgres only (tests of concurrency the pool must serve)."""
    async with serving(postgres_db) as test_client:
        yield test_client


async def token_for(client: AppClient, slug: str, username: str) -> dict[str, str]:
    response = await client.post(
        f"/t/{slug}/api/v1/auth/token", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def csrf_token_in(html: str) -> str:
    match = _CSRF_INPUT.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


async def portal_login(client: AppClient, slug: str, username: str) -> None:
    page = await client.get(f"/t/{slug}/login")
    response = await client.post(
        f"/t/{slug}/login",
        data={
            "username": username,
            "password": PASSWORD,
            "_csrf_token": csrf_token_in(page.text),
        },
    )
    assert response.status_code == 303, response.text


def candidate_body(unit_id: int, full_name: str = "Nguyễn Văn An", **extra: object) -> dict:
    return {
        "unit_id": unit_id,
        "full_name": full_name,
        "date_of_birth": "2002-05-17",
        "sex": "male",
        "education": "upper_secondary",
        **extra,
    }


def member_body(unit_id: int, full_name: str = "Trần Thị Bình") -> dict:
    return {
        "unit_id": unit_id,
        "full_name": full_name,
        "date_of_birth": "1980-03-02",
        "sex": "female",
        "admitted_on": "2005-09-02",
        "official_on": "2006-09-02",
    }


async def survey_list_of_one(client: AppClient, world: World) -> tuple[str, dict[str, str], int]:
    """A survey list of cell_x with one person on it: the page URL, admin API headers and
    the person's id."""
    slug, cell = world.slug, world.units["cell_x"]
    headers = await token_for(client, slug, "admin")
    made = await client.post(
        f"/t/{slug}/api/v1/candidates",
        json=candidate_body(cell, full_name="Đỗ Văn Bình", political_standard="passed"),
        headers=headers,
    )
    assert made.status_code == 201, made.text
    created = await client.post(
        f"/t/{slug}/api/v1/lists",
        json={"unit_id": cell, "step": "survey", "period": f"{today_in_vietnam().year}-annual"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    return f"/t/{slug}/lists/{created.json()['list']['id']}", headers, made.json()["id"]


_SHEETS = {
    "candidates": "Họ và tên;Ngày sinh;Giới tính;Trình độ học vấn\r\n"
    "Bị Nhập Trộm;01/01/2000;Nam;12/12\r\n",
    "members": "Họ và tên;Ngày sinh;Giới tính;Số thẻ đảng viên;Ngày vào Đảng\r\n"
    "Bị Nhập Trộm;01/01/1980;Nam;TROM.0001;01/01/2010\r\n",
}
"""A good sheet for each import route of the API (a multipart form, not JSON)."""


async def send(
    client: AppClient, method: str, path: str, body: object, headers: dict[str, str]
) -> httpx.Response:
    """The request ``method`` ``path`` with ``body`` as JSON, or, for an API route taking a
    sheet, with a good sheet as its ``file``."""
    kind = path.removesuffix("/import").rsplit("/", 1)[-1]
    if "/api/" in path and path.endswith("/import") and kind in _SHEETS:
        sheet = ("trom.csv", _SHEETS[kind].encode(), "text/csv")
        return await client.request(method, path, files={"file": sheet}, headers=headers)
    return await client.request(method, path, json=body, headers=headers)
