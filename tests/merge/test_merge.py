"""``merge_tenants``: every row moves with its id, all or nothing, once; on both engines."""

from __future__ import annotations

from pathlib import Path

import pytest
from piccolo.table import Table

from nguon.audit.tables import AuditEvent
from nguon.org.import_units import UnitImportError, import_units
from nguon.org.tables import Restructuring
from nguon.tenancy import merge as merge_module
from nguon.tenancy.context import tenant_context
from nguon.tenancy.manifest import ManifestError, parse_manifest
from nguon.tenancy.merge import MergeRefused, merge_tenants
from nguon.tenancy.onboarding import onboard
from nguon.tenancy.tenant_tables import tenant_tables
from tests.conftest import Database
from tests.http.conftest import serving, token_for
from tests.merge.conftest import (
    MERGED_ON,
    Provinces,
    counts,
    fill,
    list_detail,
    list_history,
    manifest_text,
    merge_as_owner,
    national_id,
    onboard_province,
    tenant_row,
    tenant_state,
)


async def test_the_merge_moves_every_row_of_every_tenant_table_with_its_id(
    db: Database, provinces: Provinces
) -> None:
    p = provinces
    # Signing in writes a row (the sign-in log): read the list before counting rows.
    async with serving(db) as client:
        list_before = await list_detail(client, p.source.slug, "tb.cell", p.source.list_id)
    assert list_before["list"]["receiver_unit_name"] == "Đảng ủy xã Song An"
    source_before = await tenant_state(db, p.source.tenant_id)
    target_before = await tenant_state(db, p.target.tenant_id)
    third_before = await tenant_state(db, p.third.tenant_id)
    empty = [table for table, state in source_before.items() if state.count == 0]
    assert not empty, f"give the source rows of {empty} in tests/merge/conftest.py"

    report = await merge_as_owner(db, p)

    assert not report.already_merged and not report.conflicts
    assert report.rows == counts(source_before)
    source_after = await tenant_state(db, p.source.tenant_id)
    target_after = await tenant_state(db, p.target.tenant_id)
    merged_event = 1
    for table, before in source_before.items():
        after = target_after[table]
        extra = merged_event if table == "audit_event" else 0
        assert after.count == before.count + target_before[table].count + extra, table
        assert before.ids | target_before[table].ids <= after.ids, table
        assert source_after[table].count == 0, table
    assert await tenant_state(db, p.third.tenant_id) == third_before

    closed = await tenant_row(db, p.source.tenant_id)
    assert (closed["merged_into"], closed["merged_on"]) == (p.target.slug, MERGED_ON)
    with db.as_owner(), tenant_context(p.target.tenant_id):
        events = (
            await AuditEvent.select()
            .where(AuditEvent.tenant_id == p.target.tenant_id, AuditEvent.action == "tenant_merged")
            .output(load_json=True)
        )
    assert len(events) == 1
    assert events[0]["entity_id"] == p.source.tenant_id
    assert events[0]["after"]["merged_into"] == p.target.slug

    # The 2024 list of Thái Bình, read by its own cell editor at the new address: the same
    # unit, chain, people, transitions and resolution.
    async with serving(db) as client:
        list_after = await list_detail(client, p.target.slug, "tb.cell", p.source.list_id)
    assert list_history(list_after) == list_history(list_before)
    assert list_after["list"]["unit_name"] == "Chi bộ thôn Trung An"
    assert list_after["list"]["receiver_unit_name"] == "Đảng ủy xã Song An"
    assert [t["to_state"] for t in list_after["transitions"]] == [
        "draft",
        "adopted",
        "submitted",
        "accepted",
    ]


async def test_running_the_same_merge_again_changes_nothing(
    db: Database, provinces: Provinces
) -> None:
    p = provinces
    first = await merge_as_owner(db, p)
    assert first.total > 0
    source = await tenant_state(db, p.source.tenant_id)
    target = await tenant_state(db, p.target.tenant_id)

    again = await merge_as_owner(db, p)
    dry = await merge_as_owner(db, p, dry_run=True)

    for report in (again, dry):
        assert report.already_merged and report.merged_on == MERGED_ON
        assert report.total == 0 and not report.conflicts
    assert await tenant_state(db, p.source.tenant_id) == source
    assert await tenant_state(db, p.target.tenant_id) == target


async def test_rows_written_under_the_old_tenant_after_the_merge_move_on_the_next_run(
    db: Database, provinces: Provinces
) -> None:
    """An app server keeps a tenant cached for a minute: a write that slipped in under the
    old tenant is not lost, the next run of the merge moves it."""
    p = provinces
    await merge_as_owner(db, p)
    with db.as_owner(), tenant_context(p.source.tenant_id):
        await AuditEvent.insert(
            AuditEvent(tenant_id=p.source.tenant_id, actor="late", action="update", entity_type="x")
        ).run()

    dry = await merge_as_owner(db, p, dry_run=True)
    assert dry.already_merged and dry.rows["audit_event"] == 1
    assert sum(counts(await tenant_state(db, p.source.tenant_id)).values()) == 1  # not moved

    report = await merge_as_owner(db, p)

    assert report.already_merged and report.rows["audit_event"] == 1 and report.total == 1
    assert sum(counts(await tenant_state(db, p.source.tenant_id)).values()) == 0
    with db.as_owner(), tenant_context(p.target.tenant_id):
        late = await AuditEvent.select(AuditEvent.tenant_id).where(AuditEvent.actor == "late")
        sweeps = await AuditEvent.count().where(
            AuditEvent.tenant_id == p.target.tenant_id,
            AuditEvent.action == "tenant_merge_leftovers",
        )
    assert late == [{"tenant_id": p.target.tenant_id}] and sweeps == 1


async def test_a_dry_run_reports_the_rows_and_writes_nothing(
    db: Database, provinces: Provinces
) -> None:
    p = provinces
    source = await tenant_state(db, p.source.tenant_id)
    target = await tenant_state(db, p.target.tenant_id)

    report = await merge_as_owner(db, p, dry_run=True)

    assert report.dry_run and not report.already_merged and not report.conflicts
    assert report.rows == counts(source)
    assert await tenant_state(db, p.source.tenant_id) == source
    assert await tenant_state(db, p.target.tenant_id) == target
    assert (await tenant_row(db, p.source.tenant_id))["merged_into"] is None


async def test_a_failure_half_way_leaves_both_tenants_exactly_as_before(
    db: Database, provinces: Provinces, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = provinces
    source = await tenant_state(db, p.source.tenant_id)
    target = await tenant_state(db, p.target.tenant_id)
    moved: list[str] = []
    real_move = merge_module.move_rows

    async def failing_move(table: type[Table], source_id: int, target_id: int) -> None:
        if len(moved) == len(tenant_tables()) // 2:
            raise RuntimeError("the disk is full")
        await real_move(table, source_id, target_id)
        moved.append(table._meta.tablename)

    monkeypatch.setattr(merge_module, "move_rows", failing_move)
    with pytest.raises(RuntimeError, match="the disk is full"):
        await merge_as_owner(db, p)

    assert len(moved) >= 5
    assert await tenant_state(db, p.source.tenant_id) == source
    assert await tenant_state(db, p.target.tenant_id) == target
    assert (await tenant_row(db, p.source.tenant_id))["merged_into"] is None


async def test_a_national_id_held_in_both_tenants_refuses_the_merge(db: Database) -> None:
    shared = national_id()
    async with serving(db) as client:
        source = await fill(client, db, await onboard_province(db, "tb"), (national_id(), shared))
        target = await fill(client, db, await onboard_province(db, "hy"), (shared,))
    p = Provinces(source=source, target=target, third=target)
    before = (
        await tenant_state(db, source.tenant_id),
        await tenant_state(db, target.tenant_id),
    )

    dry = await merge_as_owner(db, p, dry_run=True)
    with pytest.raises(MergeRefused) as refused:
        await merge_as_owner(db, p)

    assert refused.value.problems == dry.conflicts
    (problem,) = refused.value.problems
    assert problem.startswith(
        f"national ID number: {source.slug} candidate #{source.candidates[1]} "
        f"(Trần Thị Bình tb) and {target.slug} candidate #{target.candidates[0]} "
        "(Nguyễn Văn An hy) have the same national ID number"
    )
    assert shared not in problem
    after = (
        await tenant_state(db, source.tenant_id),
        await tenant_state(db, target.tenant_id),
    )
    assert after == before
    assert (await tenant_row(db, source.tenant_id))["merged_into"] is None


async def test_every_key_unique_within_a_tenant_is_checked(db: Database) -> None:
    """Two tenants onboarded from the same manifest collide on every natural key."""
    plugins = "[plugins.deadline_reminders]\ndays_before = 7\n"
    source = await onboard_province(db, "hy", plugins)
    target = await onboard_province(db, "hy", plugins)
    p = Provinces(source=source, target=target, third=target)
    for province in (source, target):
        with db.as_owner(), tenant_context(province.tenant_id):
            await Restructuring.insert(
                Restructuring(
                    tenant_id=province.tenant_id,
                    effective_on=MERGED_ON,
                    digest="ab" * 32,
                )
            ).run()

    with pytest.raises(MergeRefused) as refused:
        await merge_as_owner(db, p)

    problems = refused.value.problems
    generic = f"unique key restructuring_tenant_digest (digest='{'ab' * 32}'): held by both "
    assert any(x.startswith(f"{generic}{source.slug} restructuring #") for x in problems)
    codes = [x for x in problems if x.startswith("unit code 'hy")]
    assert len(codes) == 5
    assert (
        f"unit code 'hy.d1.xa': held by both {source.slug} org_unit "
        f"#{source.units['hy.d1.xa']} (Đảng ủy xã Lạc Hồng) and {target.slug} org_unit "
        f"#{target.units['hy.d1.xa']} (Đảng ủy xã Lạc Hồng)"
    ) in problems
    usernames = [x for x in problems if x.startswith("username '")]
    assert len(usernames) == 3
    assert any(x.startswith("plugin settings 'deadline_reminders': held by") for x in problems)
    assert len(problems) == 5 + 3 + 1 + 1


async def test_unknown_closed_or_same_tenants_are_refused(
    db: Database, provinces: Provinces
) -> None:
    p = provinces
    with db.as_owner():
        with pytest.raises(MergeRefused, match="no tenant 'no-such-province'"):
            await merge_tenants("no-such-province", p.target.slug, MERGED_ON)
        with pytest.raises(MergeRefused, match="cannot be merged into itself"):
            await merge_tenants(p.target.slug, p.target.slug, MERGED_ON)
    await merge_as_owner(db, p)
    with db.as_owner():
        with pytest.raises(MergeRefused, match=f"merge into '{p.target.slug}' instead"):
            await merge_tenants(p.third.slug, p.source.slug, MERGED_ON)
        with pytest.raises(MergeRefused, match=f"was merged into '{p.target.slug}'"):
            await merge_tenants(p.source.slug, p.third.slug, MERGED_ON)


async def test_a_merged_tenant_takes_no_more_units_or_users(
    db: Database, provinces: Provinces, tmp_path: Path
) -> None:
    p = provinces
    await merge_as_owner(db, p)
    closed = (
        f"tenant {p.source.slug!r} was merged into {p.target.slug!r} on 2025-07-01 and is "
        f"closed: work in {p.target.slug!r}"
    )
    units = tmp_path / "units.csv"
    units.write_text(
        "code,name,kind,bloc,parent_code,valid_from\n"
        "tb.d1.xa.thon-2,Chi bộ thôn 2,subordinate_cell,commune,tb.d1.xa,2020-01-01\n",
        encoding="utf-8",
    )
    before = await tenant_state(db, p.source.tenant_id)
    with db.as_owner():
        with pytest.raises(ManifestError) as refused:
            await onboard(parse_manifest(manifest_text("tb", p.source.slug)))
        assert refused.value.problems == [f"$.slug: {closed}"]
        with pytest.raises(UnitImportError) as not_imported:
            await import_units(p.source.slug, units)
        assert not_imported.value.problems == [closed]
    assert await tenant_state(db, p.source.tenant_id) == before


async def test_the_merge_refuses_to_run_inside_a_callers_transaction(db: Database) -> None:
    with db.as_owner():
        async with db.owner.transaction():
            with pytest.raises(RuntimeError, match="opens its own transaction"):
                await merge_tenants("a", "b", MERGED_ON)


async def test_the_source_admins_do_not_administer_the_merged_province(
    db: Database, provinces: Provinces
) -> None:
    p = provinces
    report = await merge_as_owner(db, p)
    assert report.admins_ended == ["admin.tb"]
    async with serving(db) as client:
        tb_admin = await token_for(client, p.target.slug, "admin.tb")
        units = await client.get(p.target.api("/units"), headers=tb_admin)
        hy_admin = await token_for(client, p.target.slug, "admin.hy")
        all_units = await client.get(p.target.api("/units"), headers=hy_admin)
    assert units.status_code == 200 and units.json()["items"] == []
    assert len(all_units.json()["items"]) > 0
