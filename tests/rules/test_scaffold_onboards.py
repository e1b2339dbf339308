"""``nguon rules new`` makes a package a province can be onboarded with at once: scaffold,
onboard its tenant.toml, add a person, and the portal evaluates them by its rules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from nguon.org.tables import OrgUnit
from nguon.rules.registry import RULES_PATH_VARIABLE, clear_cache, load_package
from nguon.rules.scaffold import scaffold_package
from nguon.tenancy.context import tenant_context
from nguon.tenancy.manifest import ManifestMembership, ManifestUser, load_manifest
from nguon.tenancy.scoped import in_tenant
from tests.conftest import Database
from tests.http.conftest import (  # noqa: F401 (the client fixture is shared)
    _PASSWORD_HASH,
    AppClient,
    candidate_body,
    client,
    portal_login,
    token_for,
    unique_slug,
)
from tests.onboarding.conftest import onboard_as_owner

PACKAGE = "tinhnhap"


@pytest.fixture
def drafts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "drafts"
    scaffold_package(PACKAGE, root, "Tỉnh Nháp — Hướng dẫn số 01-HD/BTCTU", year=2024)
    monkeypatch.setenv(RULES_PATH_VARIABLE, str(root))
    clear_cache()
    yield root
    clear_cache()


async def test_scaffold_then_onboard_then_evaluate_a_person(
    drafts: Path,
    db: Database,
    client: AppClient,  # noqa: F811 (the shared fixture)
) -> None:
    assert load_package(PACKAGE).title == "Tỉnh Nháp — Hướng dẫn số 01-HD/BTCTU"
    manifest = load_manifest(drafts / PACKAGE / "tenant.toml")
    assert manifest.rules_package == PACKAGE
    slug = unique_slug("nhap")
    cell_code = f"{PACKAGE}.cb1"
    secretary = ManifestUser(
        username="bithu.cb1",
        full_name="Phạm Thị Lan",
        password_hash=_PASSWORD_HASH,
        memberships=[ManifestMembership(unit=cell_code, role="editor")],
    )
    manifest = msgspec.structs.replace(manifest, slug=slug, users=[secretary])
    report = await onboard_as_owner(db, manifest)
    with db.as_owner(), tenant_context(report.tenant_id):
        rows = await OrgUnit.select(OrgUnit.id, OrgUnit.code).where(in_tenant(OrgUnit)).run()
    units = {row["code"]: row["id"] for row in rows}
    assert len(units) == 5

    headers = await token_for(client, slug, "bithu.cb1")
    created = await client.post(
        f"/t/{slug}/api/v1/candidates",
        json=candidate_body(units[cell_code], "Nguyễn Văn Bình"),
        headers=headers,
    )
    assert created.status_code == 201, created.text
    candidate_id = created.json()["id"]

    await portal_login(client, slug, "bithu.cb1")
    page = await client.get(f"/t/{slug}/candidates/{candidate_id}")
    assert page.status_code == 200, page.text
    html = page.text
    assert "Đánh giá theo hướng dẫn" in html
    # Not yet checked politically: needs review, citing the national rule in force.
    assert "Chưa thẩm tra, kết luận tiêu chuẩn chính trị." in html
    assert "58-QĐ/TW" in html
