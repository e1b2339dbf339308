"""Onboarding writes a province in one transaction, on both engines, and can be repeated."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from nguon.accounts.passwords import verify_password
from nguon.accounts.tables import User
from nguon.audit.tables import AuditEvent
from nguon.org.service import subtree_where, unit_by_code
from nguon.org.tables import Membership, OrgUnit
from nguon.tenancy.context import tenant_context
from nguon.tenancy.manifest import ManifestError, ManifestUnit
from nguon.tenancy.onboarding import list_tenants
from nguon.tenancy.scoped import in_tenant
from tests.conftest import Database
from tests.onboarding.conftest import fresh_slug, manifest_as, onboard_as_owner, row_counts


async def _units(tenant_id: int) -> list[dict]:
    with tenant_context(tenant_id):
        return await OrgUnit.select().where(in_tenant(OrgUnit)).run()


async def test_onboarding_two_provinces_builds_both_trees(db: Database) -> None:
    hy = await onboard_as_owner(db, manifest_as("hungyen.toml", fresh_slug("hy")))
    tb = await onboard_as_owner(db, manifest_as("thaibinh.toml", fresh_slug("tb")))
    assert hy.tenant_created and tb.tenant_created

    units = await _units(hy.tenant_id)
    assert len(units) == len(hy.units_created) == 251
    by_id = {u["id"]: u for u in units}
    kinds = [u["kind"] for u in units]
    assert kinds.count("district_committee") == 10
    assert kinds.count("political_training_centre") == 10
    assert {"police_committee", "military_committee", "bloc_committee"} <= set(kinds)
    for unit in units:
        parent = by_id.get(unit["parent"])
        if parent is None:
            assert unit["path"] == f"{unit['id']}." and unit["depth"] == 0
        else:
            assert unit["path"] == f"{parent['path']}{unit['id']}."
            assert unit["depth"] == parent["depth"] + 1
        if unit["kind"] == "political_training_centre":
            assert by_id[unit["parent"]]["kind"] == "district_committee"
    assert max(u["depth"] for u in units) == 3

    with tenant_context(hy.tenant_id):
        vanlam = await unit_by_code("hy.vanlam")
        assert vanlam is not None and vanlam.name == "Huyện ủy Văn Lâm"
        subtree = await OrgUnit.select(OrgUnit.code).where(
            in_tenant(OrgUnit), subtree_where(vanlam.path)
        )
        assert {r["code"] for r in subtree} == {
            u["code"]
            for u in units
            if u["code"] == "hy.vanlam" or u["code"].startswith("hy.vanlam.")
        }
        assert await unit_by_code("tb") is None
        admin = (
            await User.objects().where(in_tenant(User), User.username == "admin.hungyen").first()
        )
        assert verify_password(admin.password_hash, hy.generated_passwords["admin.hungyen"])
        role = await Membership.select(Membership.role, Membership.unit.code).where(
            in_tenant(Membership), Membership.user == admin.id
        )
        assert role == [{"role": "tenant_admin", "unit.code": "hy"}]
        events = await AuditEvent.select(AuditEvent.actor, AuditEvent.after).where(
            in_tenant(AuditEvent)
        )
    assert len(events) == 1 + 251 + 2 + 2
    assert {e["actor"] for e in events} == {"cli:onboard"}
    assert not any("password" in str(e["after"]) for e in events)

    assert len(await _units(tb.tenant_id)) == 171
    with db.as_owner():
        listed = {t.slug: t for t in await list_tenants()}
    assert listed[hy.slug].units == 251 and listed[tb.slug].units == 171


async def test_onboarding_again_changes_nothing(db: Database) -> None:
    manifest = manifest_as("thaibinh.toml", fresh_slug("again"))
    first = await onboard_as_owner(db, manifest)
    before = await row_counts(db)
    second = await onboard_as_owner(db, manifest)
    assert first.changed and not second.changed
    assert second.units_unchanged == 171 and second.users_unchanged == ["admin.thaibinh"]
    assert second.generated_passwords == {}
    assert await row_counts(db) == before


async def test_a_manifest_that_adds_units_creates_just_those(db: Database) -> None:
    manifest = manifest_as("thaibinh.toml", fresh_slug("grow"))
    await onboard_as_owner(db, manifest)
    root = manifest.units[0]
    vuthu = next(c for c in root.children if c.code == "tb.vuthu")
    new_commune = ManifestUnit(
        code="tb.vuthu.tanlap",
        name="Đảng ủy xã Tân Lập",
        kind="grassroots_committee",
        bloc="commune",
        valid_from=dt.date(2020, 10, 1),
        children=[
            ManifestUnit(
                code="tb.vuthu.tanlap.thon-1",
                name="Chi bộ thôn 1",
                kind="subordinate_cell",
                bloc="commune",
                valid_from=dt.date(2021, 1, 1),
            )
        ],
    )
    grown_vuthu = msgspec.structs.replace(vuthu, children=[*vuthu.children, new_commune])
    grown_root = msgspec.structs.replace(
        root, children=[grown_vuthu if c is vuthu else c for c in root.children]
    )
    report = await onboard_as_owner(db, msgspec.structs.replace(manifest, units=[grown_root]))
    assert report.units_created == ["tb.vuthu.tanlap", "tb.vuthu.tanlap.thon-1"]
    assert report.units_unchanged == 171 and not report.users_created
    with tenant_context(report.tenant_id):
        cell = await unit_by_code("tb.vuthu.tanlap.thon-1")
        commune = await unit_by_code("tb.vuthu.tanlap")
        district = await unit_by_code("tb.vuthu")
    assert cell.path == f"{district.path}{commune.id}.{cell.id}." and cell.depth == 3


async def test_a_conflicting_manifest_writes_nothing(db: Database) -> None:
    manifest = manifest_as("thaibinh.toml", fresh_slug("conflict"))
    await onboard_as_owner(db, manifest)
    before = await row_counts(db)
    root = manifest.units[0]
    renamed = msgspec.structs.replace(root.children[0], name="Ban Tổ chức (đổi tên)")
    extra = ManifestUnit(
        code="tb.new",
        name="Huyện ủy Mới",
        kind="district_committee",
        valid_from=dt.date(2021, 1, 1),
    )
    changed_root = msgspec.structs.replace(root, children=[renamed, *root.children[1:], extra])
    changed = msgspec.structs.replace(manifest, name="Tên khác", units=[changed_root])
    with pytest.raises(ManifestError) as caught:
        await onboard_as_owner(db, changed)
    problems = caught.value.problems
    assert any(p.startswith("$.name: tenant") for p in problems)
    assert any(
        p.startswith("$.units[0].children[0].code: unit 'tb.btc' already exists and differs")
        for p in problems
    )
    assert await row_counts(db) == before


async def test_a_new_tenant_with_errors_leaves_no_trace(db: Database) -> None:
    manifest = manifest_as("thaibinh.toml", fresh_slug("broken"))
    root = manifest.units[0]
    bad = ManifestUnit(
        code="tb.bad",
        name="Chi bộ lạc chỗ",
        kind="subordinate_cell",
        valid_from=dt.date(2021, 1, 1),
    )
    broken = msgspec.structs.replace(
        manifest, units=[msgspec.structs.replace(root, children=[*root.children, bad])]
    )
    before = await row_counts(db)
    with pytest.raises(ManifestError) as caught:
        await onboard_as_owner(db, broken)
    assert caught.value.problems == [
        f"$.units[0].children[{len(root.children)}].kind: a unit of kind 'subordinate_cell' "
        "cannot sit under 'tb' "
        "of kind 'province_committee' on 2021-01-01 (package 'hungyen' version 2024.1, "
        "structure.toml placement of 'subordinate_cell': allowed parents grassroots_committee)"
    ]
    assert await row_counts(db) == before
