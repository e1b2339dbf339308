"""Applying a restructuring: the 2025 tree, what follows the successors, history kept."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from nguon.accounts.tables import User  # noqa: F401 (the membership's user table is loaded)
from nguon.audit.tables import AuditEvent
from nguon.org.restructure import restructure_file
from nguon.org.tables import Membership, Restructuring, UnitSuccession
from nguon.people.tables import Candidate, Member
from nguon.pipeline import list_read
from nguon.pipeline.chain import receiver_for
from nguon.pipeline.tables import AdmissionPlan, CandidateList, Course, ListEntry
from nguon.rules.registry import load_package
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant
from tests.conftest import Database
from tests.restructure.conftest import D, build_world, tenant_fingerprint, units_by_code, write_file


async def test_dry_run_reports_everything_and_writes_nothing(db: Database, tmp_path: Path) -> None:
    world = await build_world(db)
    before = await tenant_fingerprint(db, world.tenant_id)
    report = await restructure_file(write_file(tmp_path, world.slug), dry_run=True)
    assert report.dry_run and report.applied and report.restructuring_id is None
    summary = report.summary
    assert summary.actions == {"open": 2, "move": 5, "rename": 2, "merge": 1, "close": 2}
    # 2 opened; 5 moved, 2 renamed and 1 re-created under a renamed unit
    assert summary.units_created == 2 + 5 + 2 + 1
    # those 8 closed, 2 merged, the district with its training centre, the bloc committee
    assert summary.units_closed == 8 + 2 + 2 + 1
    assert summary.successions == 10
    assert (summary.candidates, summary.members) == (9, 3)
    assert (summary.lists, summary.plans, summary.courses) == (1, 1, 1)
    # the THPT secretary's role on the new cell; the ward approver's once on Phố Hiến
    assert summary.memberships == 2
    assert await tenant_fingerprint(db, world.tenant_id) == before


async def test_a_cell_moves_under_a_new_commune_committee_and_its_2024_list_keeps_its_chain(
    db: Database, tmp_path: Path
) -> None:
    world = await build_world(db)
    report = await restructure_file(write_file(tmp_path, world.slug))
    assert report.applied and not report.dry_run and report.restructuring_id
    units = await units_by_code(world.tenant_id)
    old, new = units["hy.hungyen.thpt"], units["hy.phohien.thpt"]
    commune, district = units["hy.phohien"], units["hy.hungyen"]
    # The old row is history: its 2024 name, path and kind, closed on D.
    # Its people moved out: the database moved the version of their figures too.
    assert old["figures_version"] > world.units["hy.hungyen.thpt"]["figures_version"]
    assert {**old, "figures_version": 0} == {
        **world.units["hy.hungyen.thpt"],
        "valid_to": D,
        "figures_version": 0,
    }
    assert (new["name"], new["kind"], new["bloc"]) == (old["name"], old["kind"], old["bloc"])
    assert (new["parent"], new["valid_from"], new["valid_to"]) == (commune["id"], D, None)
    assert new["path"] == f"{commune['path']}{new['id']}."
    assert commune["kind"] == "commune_committee" and commune["valid_from"] == D
    assert district["valid_to"] == D and units["hy.hungyen.ttct"]["valid_to"] == D

    package = load_package("hungyen")
    with tenant_context(world.tenant_id):
        candidates = await Candidate.select(Candidate.unit, Candidate.unit_path).where(
            in_tenant(Candidate), Candidate.full_name.like("Nguyễn Thị Hoa%")
        )
        members = await Member.select(Member.unit).where(
            in_tenant(Member), Member.full_name.like("%Giúp")
        )
        lists = {
            row["id"]: row
            for row in await CandidateList.select().where(
                CandidateList.id.is_in(list(world.lists.values()))
            )
        }
        plans = (
            await AdmissionPlan.select()
            .where(in_tenant(AdmissionPlan))
            .order_by(AdmissionPlan.year)
        )
        # The 2024 list: the 2024 unit, received by its 2024 district, chain and all.
        list_2024 = lists[world.lists["thpt-2024"]]
        assert (list_2024["unit"], list_2024["unit_path"]) == (old["id"], old["path"])
        assert list_2024["receiver_unit"] == district["id"]
        assert (await receiver_for(package, old, list_2024["period_opens"]))["id"] == district["id"]
        # Submitted before D, in a period that ended before D: stays where it was sent.
        list_q2 = lists[world.lists["thpt-2025-q2"]]
        assert (list_q2["unit"], list_q2["receiver_unit"]) == (old["id"], district["id"])
        # The current period's list follows the cell and goes to the new commune committee.
        list_q3 = lists[world.lists["thpt-2025-q3"]]
        assert (list_q3["unit"], list_q3["unit_path"]) == (new["id"], new["path"])
        assert list_q3["receiver_unit"] == commune["id"]
        assert (await receiver_for(package, new, list_q3["period_opens"]))["id"] == commune["id"]
        assert list_q3["version"] == 2
    assert {(row["unit"], row["unit_path"]) for row in candidates} == {(new["id"], new["path"])}
    assert [row["unit"] for row in members] == [new["id"]]
    assert [(p["year"], p["unit"], p["unit_path"]) for p in plans] == [
        (2024, old["id"], old["path"]),
        (2025, new["id"], new["path"]),
    ]


async def test_merge_of_two_communes_and_memberships_added_on_successors(
    db: Database, tmp_path: Path
) -> None:
    world = await build_world(db)
    await restructure_file(write_file(tmp_path, world.slug))
    units = await units_by_code(world.tenant_id)
    commune = units["hy.phohien"]
    leloi, minhkhai = units["hy.hungyen.leloi"], units["hy.hungyen.minhkhai"]
    assert leloi["valid_to"] == minhkhai["valid_to"] == D
    with tenant_context(world.tenant_id):
        successions = {
            row["predecessor"]: row
            for row in await UnitSuccession.select().where(in_tenant(UnitSuccession))
        }
        at_commune = await Candidate.select(Candidate.full_name).where(
            in_tenant(Candidate), Candidate.unit == commune["id"]
        )
        member_units = {
            row["full_name"]: row["unit"]
            for row in await Member.select(Member.full_name, Member.unit).where(in_tenant(Member))
        }
        memberships = (
            await Membership.select(
                Membership.user, Membership.unit, Membership.role, Membership.valid_from
            )
            .where(in_tenant(Membership))
            .order_by(Membership.id)
        )
    for merged in (leloi, minhkhai):
        assert successions[merged["id"]]["successor"] == commune["id"]
        assert successions[merged["id"]]["change"] == "merged"
    assert {row["full_name"] for row in at_commune} == {
        "Trần Văn Lợi",
        "Lê Thị Lan",
        "Phạm Minh Khải",
    }
    assert member_units["Đinh Văn Đảng"] == commune["id"]
    # The cells of the merged wards were moved by the file; the district closed alone.
    assert (
        successions[units["hy.hungyen.leloi.tdp-1"]["id"]]["successor"]
        == (units["hy.phohien.tdp-1"]["id"])
    )
    assert units["hy.hungyen.leloi.tdp-2-20250701"]["parent"] == commune["id"]
    assert units["hy.phohien.minhkhai-1"]["name"] == "Chi bộ tổ dân phố Minh Khai 1"
    assert units["hy.hungyen"]["id"] not in successions

    secretary, approver = world.users["bt.thpt"], world.users["ct.phuong"]
    old_thpt, new_thpt = units["hy.hungyen.thpt"], units["hy.phohien.thpt"]
    held = [(m["unit"], m["role"], m["valid_from"]) for m in memberships if m["user"] == secretary]
    assert held[0][:2] == (old_thpt["id"], "editor") and held[0][2] < D
    assert held[1:] == [(new_thpt["id"], "editor", D)]
    approver_units = [m["unit"] for m in memberships if m["user"] == approver]
    assert approver_units == [leloi["id"], minhkhai["id"], commune["id"]]


async def test_rename_recreates_the_units_below_and_keeps_the_old_names(
    db: Database, tmp_path: Path
) -> None:
    world = await build_world(db)
    await restructure_file(write_file(tmp_path, world.slug))
    units = await units_by_code(world.tenant_id)
    old, new = units["hy.ca.px01"], units["hy.ca.px01-2025"]
    assert old["name"] == "Chi bộ Phòng Tham mưu" and old["valid_to"] == D
    assert new["name"] == "Chi bộ Phòng Cảnh sát hình sự"
    assert (new["parent"], new["kind"], new["bloc"]) == (
        units["hy.ca"]["id"],
        "grassroots_cell",
        "police",
    )
    # A renamed committee's cell is re-created under it: the code prefix follows the new code.
    gc, cell = units["hy.ca.phohien"], units["hy.ca.phohien.c1"]
    assert cell["parent"] == gc["id"] and cell["name"] == "Chi bộ Đội Cảnh sát giao thông"
    assert units["hy.ca.gc.c1"]["valid_to"] == D
    with tenant_context(world.tenant_id):
        courses = await Course.select(
            Course.title, Course.organiser_unit, Course.organiser_path
        ).where(in_tenant(Course))
        changes = {
            row["predecessor"]: row["change"]
            for row in await UnitSuccession.select(
                UnitSuccession.predecessor, UnitSuccession.change
            )
        }
    by_title = {row["title"]: row for row in courses}
    assert by_title["Lớp bồi dưỡng quý I/2025"]["organiser_unit"] == units["hy.ca.gc"]["id"]
    assert by_title["Lớp bồi dưỡng quý III/2025"]["organiser_unit"] == gc["id"]
    assert by_title["Lớp bồi dưỡng quý III/2025"]["organiser_path"] == gc["path"]
    assert changes[old["id"]] == "renamed" and changes[units["hy.ca.gc"]["id"]] == "renamed"
    assert changes[units["hy.ca.gc.c1"]["id"]] == "moved"


async def test_applying_the_same_file_twice_changes_nothing_the_second_time(
    db: Database, tmp_path: Path
) -> None:
    world = await build_world(db)
    path = write_file(tmp_path, world.slug)
    with db.as_owner():
        first = await restructure_file(path)
    after_first = await tenant_fingerprint(db, world.tenant_id)
    with db.as_owner():
        second = await restructure_file(path)
    assert not second.applied and second.already_applied is not None
    assert second.already_applied.id == first.restructuring_id
    assert second.already_applied.applied_at.date() == dt.datetime.now(dt.UTC).date()
    assert await tenant_fingerprint(db, world.tenant_id) == after_first
    with tenant_context(world.tenant_id):
        events = await AuditEvent.select(AuditEvent.action, AuditEvent.entity_type).where(
            in_tenant(AuditEvent), AuditEvent.actor == "cli:restructure"
        )
        rows = await Restructuring.select(Restructuring.summary, Restructuring.digest).where(
            in_tenant(Restructuring)
        )
    actions = [(e["action"], e["entity_type"]) for e in events]
    assert actions.count(("create", "org_unit")) == 10
    assert actions.count(("close", "org_unit")) == 13
    assert actions.count(("restructure", "restructuring")) == 1
    assert len(rows) == 1 and len(rows[0]["digest"]) == 64


async def test_a_list_of_before_the_change_keeps_each_persons_unit_of_its_time(
    db: Database, tmp_path: Path
) -> None:
    world = await build_world(db, "rs-entries")
    old_cell = world.units["hy.hungyen.thpt"]
    with db.as_owner(), tenant_context(world.tenant_id):
        person = (
            await Candidate.select(Candidate.id)
            .where(in_tenant(Candidate), Candidate.full_name.like("Nguyễn Thị Hoa%"))
            .first()
        )
        # The 2024 entry as lists made before entries recorded a unit left it (no unit);
        # the current period's entry as lists make it now.
        for key, unit in (("thpt-2024", None), ("thpt-2025-q3", old_cell["id"])):
            await ListEntry(
                tenant_id=world.tenant_id,
                candidate_list=world.lists[key],
                candidate=person["id"],
                source="rules",
                unit=unit,
                outcome="eligible",
            ).save()

    await restructure_file(write_file(tmp_path, world.slug))

    new_cell = (await units_by_code(world.tenant_id))["hy.phohien.thpt"]
    with tenant_context(world.tenant_id):
        then = await list_read.entries_of({"id": world.lists["thpt-2024"]})
        now = await list_read.entries_of({"id": world.lists["thpt-2025-q3"]})
    assert [(e["candidate.unit"], e["unit.name"]) for e in then] == [
        (old_cell["id"], old_cell["name"])
    ]
    assert [e["candidate.unit"] for e in now] == [new_cell["id"]]


async def test_the_manifest_of_the_tree_before_is_refused_with_the_way_forward(
    db: Database, tmp_path: Path
) -> None:
    """An operator who adds a user to the onboarding manifest after the 2025 restructuring
    gets one line saying why it no longer applies and what to use, not a problem per unit."""
    from nguon.tenancy.manifest import ManifestError, parse_manifest
    from tests.restructure.conftest import MANIFEST, onboard_as_owner

    world = await build_world(db)
    await restructure_file(write_file(tmp_path, world.slug))
    try:
        await onboard_as_owner(db, parse_manifest(MANIFEST.format(slug=world.slug)))
    except ManifestError as error:
        problems = error.problems
    else:
        raise AssertionError("the manifest of the tree before was applied")
    assert len(problems) == 1
    assert problems[0].startswith(f"$.units: the tenant's tree was restructured on {D:%Y-%m-%d}")
    assert "`nguon users create`" in problems[0]
