"""A province with every reporting structure of 06-HD/BTCTU, and helpers to drive lists.

province (Tỉnh ủy)
├── board (Ban Tổ chức Tỉnh ủy)
├── district (Huyện ủy Văn Lâm)
│   ├── commune (Đảng ủy xã Lạc Hồng, grassroots committee)
│   │   ├── cell_x (subordinate cell)
│   │   └── cell_y (subordinate cell)
│   └── school (grassroots cell, education)
├── police (Đảng ủy Công an tỉnh)
│   └── police_gc (Đảng ủy Công an huyện, grassroots committee)
│       └── police_cell (subordinate cell)
└── bloc (Đảng ủy khối Cơ quan - Doanh nghiệp)
    └── iz_cell (grassroots cell of an industrial-zone enterprise)
"""

from __future__ import annotations

import datetime as dt

import httpx
import msgspec

from nguon.accounts.tables import User
from nguon.org.tables import Membership, OrgUnit
from nguon.tenancy.scoped import switch_tenant_in_transaction
from nguon.tenancy.tables import Tenant
from tests.conftest import Database
from tests.http.conftest import (  # noqa: F401 (the client fixtures are shared)
    _PASSWORD_HASH,
    AppClient,
    candidate_body,
    client,
    pg_client,
    token_for,
    unique_slug,
)

PERIOD = "2024-Q2"
RESOLUTION = {
    "number": "05-NQ/CB",
    "adopted_on": "2024-06-20",
    "members_total": 9,
    "members_present": 8,
    "members_agreeing": 7,
}

# key: (code, name, kind, bloc, parent key)
UNITS = {
    "province": ("TU", "Tỉnh ủy Hưng Yên", "province_committee", None, None),
    "board": ("BTC", "Ban Tổ chức Tỉnh ủy", "organisation_board", None, "province"),
    "district": ("VL", "Huyện ủy Văn Lâm", "district_committee", None, "province"),
    "commune": ("LH", "Đảng ủy xã Lạc Hồng", "grassroots_committee", "commune", "district"),
    "cell_x": ("ND", "Chi bộ thôn Ngọc Đà", "subordinate_cell", None, "commune"),
    "cell_y": ("DD", "Chi bộ thôn Đình Dù", "subordinate_cell", None, "commune"),
    "school": ("THPT", "Chi bộ Trường THPT Văn Lâm", "grassroots_cell", "education", "district"),
    "police": ("CA", "Đảng ủy Công an tỉnh", "police_committee", "police", "province"),
    "police_gc": ("CAVL", "Đảng ủy Công an huyện Văn Lâm", "grassroots_committee", None, "police"),
    "police_cell": ("CAX", "Chi bộ Công an xã Lạc Hồng", "subordinate_cell", None, "police_gc"),
    "bloc": ("KCQ", "Đảng ủy khối Cơ quan - Doanh nghiệp tỉnh", "bloc_committee", None, "province"),
    "iz_cell": (
        "KCN",
        "Chi bộ Công ty May Phố Nối",
        "grassroots_cell",
        "industrial_zone_enterprise",
        "bloc",
    ),
}
GRANTS = {
    "admin": ("province", "tenant_admin"),
    "x_editor": ("cell_x", "editor"),
    "y_editor": ("cell_y", "editor"),
    "x_viewer": ("cell_x", "viewer"),
    "school_editor": ("school", "editor"),
    "police_cell_editor": ("police_cell", "editor"),
    "iz_editor": ("iz_cell", "editor"),
    "commune_approver": ("commune", "approver"),
    "commune_editor": ("commune", "editor"),
    "district_approver": ("district", "approver"),
    "police_gc_approver": ("police_gc", "approver"),
    "police_approver": ("police", "approver"),
    "bloc_approver": ("bloc", "approver"),
    "board_approver": ("board", "approver"),
    "province_approver": ("province", "approver"),
}


class ChainWorld(msgspec.Struct):
    tenant_id: int
    slug: str
    units: dict[str, int]
    users: dict[str, int]

    def api(self, path: str = "") -> str:
        return f"/t/{self.slug}/api/v1{path}"


async def build_chain_world(db: Database, prefix: str = "chain") -> ChainWorld:
    slug = unique_slug(prefix)
    with db.as_owner():
        async with db.owner.transaction():
            tenant = Tenant(slug=slug, name="Tỉnh Hưng Yên", rules_package="hungyen")
            await tenant.save().run()
            await switch_tenant_in_transaction(tenant.id)
            made: dict[str, OrgUnit] = {}
            for key, (code, name, kind, bloc, parent_key) in UNITS.items():
                parent = made[parent_key] if parent_key else None
                unit = OrgUnit(
                    tenant_id=tenant.id,
                    code=code,
                    name=name,
                    kind=kind,
                    bloc=bloc,
                    parent=parent.id if parent else None,
                    path="",
                    depth=(parent.depth + 1) if parent else 0,
                    valid_from=dt.date(2020, 1, 1),
                )
                await unit.save().run()
                unit.path = f"{parent.path if parent else ''}{unit.id}."
                await unit.save([OrgUnit.path]).run()
                made[key] = unit
            users: dict[str, int] = {}
            for username, (unit_key, role) in GRANTS.items():
                user = User(
                    tenant_id=tenant.id,
                    username=username,
                    full_name=f"Đồng chí {username}",
                    password_hash=_PASSWORD_HASH,
                )
                await user.save().run()
                users[username] = user.id
                await (
                    Membership(
                        tenant_id=tenant.id,
                        user=user.id,
                        unit=made[unit_key].id,
                        role=role,
                        valid_from=dt.date(2020, 1, 1),
                    )
                    .save()
                    .run()
                )
    return ChainWorld(
        tenant_id=tenant.id, slug=slug, units={k: u.id for k, u in made.items()}, users=users
    )


class Driver:
    """Drives the API as named users (tokens cached)."""

    def __init__(self, app_client: AppClient, world: ChainWorld) -> None:
        self.client = app_client
        self.world = world
        self._tokens: dict[str, dict[str, str]] = {}

    async def headers(self, username: str) -> dict[str, str]:
        if username not in self._tokens:
            self._tokens[username] = await token_for(self.client, self.world.slug, username)
        return self._tokens[username]

    async def call(
        self, username: str, method: str, path: str, headers: dict | None = None, **kwargs: object
    ) -> httpx.Response:
        sent = {**await self.headers(username), **(headers or {})}
        return await self.client.request(method, self.world.api(path), headers=sent, **kwargs)

    async def ok(self, username: str, method: str, path: str, **kwargs: object) -> dict:
        response = await self.call(username, method, path, **kwargs)
        assert response.status_code in {200, 201}, response.text
        return response.json()

    async def candidate(self, unit: str, name: str, **extra: object) -> int:
        fields: dict[str, object] = {
            "date_of_birth": "2000-03-01",
            "political_standard": "passed",
            **extra,
        }
        body = candidate_body(self.world.units[unit], full_name=name, **fields)
        return (await self.ok("admin", "POST", "/candidates", json=body))["id"]

    async def create(self, username: str, unit: str, step: str = "survey") -> dict:
        body = {"unit_id": self.world.units[unit], "step": step, "period": PERIOD}
        return await self.ok(username, "POST", "/lists", json=body)

    async def adopt_and_submit(self, username: str, list_id: int) -> dict:
        detail = await self.ok(username, "GET", f"/lists/{list_id}")
        version = detail["list"]["version"]
        await self.ok(
            username,
            "POST",
            f"/lists/{list_id}/adopt",
            json={"version": version, "resolution": RESOLUTION},
        )
        return await self.ok(
            username, "POST", f"/lists/{list_id}/submit", json={"version": version + 1}
        )

    async def accept(self, username: str, list_id: int) -> dict:
        detail = await self.ok(username, "GET", f"/lists/{list_id}")
        return await self.ok(
            username,
            "POST",
            f"/lists/{list_id}/accept",
            json={"version": detail["list"]["version"]},
        )
