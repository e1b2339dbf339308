"""Hưng Yên as its manifest describes it, onboarded under a fresh slug, with the people who
sit on the committees of one district branch and one Police branch, and an API client
that acts as them."""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

from nguon.org.tables import OrgUnit
from nguon.tenancy.context import tenant_context
from nguon.tenancy.manifest import ManifestMembership, ManifestUser
from nguon.tenancy.scoped import in_tenant
from tests.conftest import Database
from tests.http.conftest import (  # noqa: F401 (the client fixture is shared)
    _PASSWORD_HASH,
    AppClient,
    client,
    token_for,
    unique_slug,
)
from tests.onboarding.conftest import manifest_as, onboard_as_owner

# Units of tenants/hungyen.toml, by code.
PROVINCE = "hy"
BOARD = "hy.btc"
DISTRICT = "hy.vanlam"
DISTRICT_CENTRE = "hy.vanlam.ttct"
TOWNSHIP = "hy.vanlam.nhuquynh"
NEIGHBOURHOOD_CELL = "hy.vanlam.nhuquynh.tdp-1"
POLICE = "hy.ca"
POLICE_DEPARTMENT = "hy.ca.pc02"
POLICE_CELL = "hy.ca.pc02.trong-an"

# Who sits where: (username, full name, unit code, role).
OFFICERS = (
    ("bithu.tdp1", "Phạm Văn Đức", NEIGHBOURHOOD_CELL, "editor"),
    ("duy.nhuquynh", "Nguyễn Thị Mai", TOWNSHIP, "approver"),
    ("huyenuy.vanlam", "Trần Quang Huy", DISTRICT, "approver"),
    ("btc.tinhuy", "Lê Thị Thanh", BOARD, "approver"),
    ("thuongtruc.tinhuy", "Đỗ Văn Hùng", PROVINCE, "approver"),
    ("bithu.trongan", "Vũ Đình Khoa", POLICE_CELL, "editor"),
    ("duy.pc02", "Hoàng Văn Long", POLICE_DEPARTMENT, "approver"),
    ("thuongvu.ca", "Ngô Quốc Bảo", POLICE, "approver"),
)


class Province(msgspec.Struct):
    tenant_id: int
    slug: str
    units: dict[str, int]
    """Unit ids by the manifest's codes."""

    def api(self, path: str) -> str:
        return f"/t/{self.slug}/api/v1{path}"

    def code_of(self, unit_id: int) -> str:
        return next(code for code, known in self.units.items() if known == unit_id)


async def onboard_hungyen(db: Database) -> Province:
    """Onboard ``tenants/hungyen.toml`` under a slug of its own, with the officers above."""
    slug = unique_slug("hungyen-e2e")
    manifest = manifest_as("hungyen.toml", slug)
    officers = [
        ManifestUser(
            username=username,
            full_name=full_name,
            password_hash=_PASSWORD_HASH,
            memberships=[ManifestMembership(unit=unit, role=role)],
        )
        for username, full_name, unit, role in OFFICERS
    ]
    manifest = msgspec.structs.replace(manifest, users=[*manifest.users, *officers])
    report = await onboard_as_owner(db, manifest)
    with db.as_owner(), tenant_context(report.tenant_id):
        rows = await OrgUnit.select(OrgUnit.id, OrgUnit.code).where(in_tenant(OrgUnit)).run()
    return Province(tenant_id=report.tenant_id, slug=slug, units={r["code"]: r["id"] for r in rows})


class Api:
    """The JSON API, used by the province's officers (tokens cached)."""

    def __init__(self, app_client: AppClient, province: Province) -> None:
        self.client = app_client
        self.province = province
        self._tokens: dict[str, dict[str, str]] = {}

    async def call(self, username: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if username not in self._tokens:
            self._tokens[username] = await token_for(self.client, self.province.slug, username)
        return await self.client.request(
            method, self.province.api(path), headers=self._tokens[username], **kwargs
        )

    async def ok(self, username: str, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.call(username, method, path, **kwargs)
        assert response.status_code in {200, 201}, f"{method} {path}: {response.text}"
        return (
            response.json()
            if response.headers.get("content-type", "").startswith("application/json")
            else response.content
        )
