"""The stage machine, generated: every stage × every event is either a transition of the
machine, with a clause the rules packages hold, or refused with a 409 in Vietnamese that
writes nothing. And a person a higher level took off a list stays off the next lists
until someone re-adds them with a reason."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from nguon.api.errors import status_of
from nguon.audit.service import Actor
from nguon.audit.tables import AuditEvent
from nguon.clock import today_in_vietnam
from nguon.people.labels import STAGE_LABELS
from nguon.people.tables import Candidate
from nguon.pipeline.events import pipeline_transaction
from nguon.pipeline.stage_machine import (
    EVENTS,
    MACHINE_CLAUSES,
    STAGES,
    TRANSITIONS,
    StageRefused,
    check_clauses,
    transition_for,
)
from nguon.pipeline.stages import STAGE_DECISIONS, change_stage, require_transition
from nguon.pipeline.tables import StageChange
from nguon.rules.registry import load_package
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant, switch_tenant_in_transaction
from tests.conftest import Database
from tests.http.conftest import AppClient
from tests.pipeline.conftest import Driver, build_chain_world

PAIRS = list(itertools.product(STAGES, EVENTS))
IN_MACHINE = {(t.from_stage, t.event) for t in TRANSITIONS}
ACTOR = Actor(label="test", user_id=None)


def test_the_table_covers_every_stage_and_event_once() -> None:
    assert set(STAGES) == set(STAGE_LABELS)
    assert len(IN_MACHINE) == len(TRANSITIONS), "a (stage, event) pair appears twice"
    assert set(PAIRS) > IN_MACHINE
    # Final stages allow nothing but, after admission, the recognition that keeps the
    # stage; every other stage can at least be removed.
    for stage in STAGES:
        events = {e for s, e in IN_MACHINE if s == stage}
        if stage == "admitted":
            assert events == {"recognition_decision"}
            assert transition_for(stage, "recognition_decision").to_stage == "admitted"
        elif stage == "removed":
            assert events == set()
        else:
            assert "removal_resolution" in events


@pytest.mark.parametrize(("stage", "event"), PAIRS)
def test_each_pair_is_a_transition_or_a_409_in_vietnamese(stage: str, event: str) -> None:
    if (stage, event) in IN_MACHINE:
        transition = transition_for(stage, event)  # type: ignore[arg-type]
        assert transition.clause_id in MACHINE_CLAUSES
        if transition.to_stage != stage:
            assert transition.to_stage in STAGE_DECISIONS
        return
    with pytest.raises(StageRefused) as refused:
        transition_for(stage, event, "stage")  # type: ignore[arg-type]
    assert status_of(refused.value) == 409
    assert refused.value.field == "stage"
    assert f"«{STAGE_LABELS[stage]}»" in refused.value.message
    assert refused.value.message.startswith("Không thể ")


@pytest.mark.parametrize("package_id", ["national", "hungyen"])
def test_every_clause_the_machine_cites_is_in_the_packages(package_id: str) -> None:
    package = load_package(package_id)
    assert check_clauses(package) == []
    for transition in TRANSITIONS:
        clause = package.clause(transition.clause_id)
        assert clause.text and clause.document


@pytest.mark.parametrize(
    ("day", "clauses"),
    [
        (dt.date(2024, 6, 1), {"hd01.course.nominee", "qd24.admission.proposal"}),
        (dt.date(2025, 3, 1), {"hd01.course.nominee", "qd232.admission.proposal"}),
        (dt.date(2026, 12, 3), {"hd06tw.course.nominee", "qd294.admission.proposal"}),
    ],
)
def test_a_transition_cites_the_text_in_force_on_its_day(day: dt.date, clauses: set) -> None:
    package = load_package("hungyen")
    cited = {
        package.clause_on(clause_id, day)
        for clause_id in ("hd01.course.nominee", "qd24.admission.proposal")
    }
    assert cited == clauses
    for clause_id in MACHINE_CLAUSES:
        assert package.document_in_force(
            package.clause(package.clause_on(clause_id, day)).document, day
        )


def test_the_attendance_parameter_is_dated_with_its_reference() -> None:
    package = load_package("hungyen")
    spec = package.parameters["min_attendance_share"]
    assert all(v.reference and v.confidence in {"H", "M", "L"} for v in spec.values)
    for day in (dt.date(2021, 7, 30), dt.date(2024, 6, 1), dt.date(2026, 1, 1)):
        assert package.parameter("min_attendance_share", day) == "4/5"


async def test_every_pair_outside_the_machine_is_refused_and_writes_nothing(
    db: Database, client: AppClient
) -> None:
    world = await build_chain_world(db, "may-trang-thai")
    drive = Driver(client, world)
    ids = {stage: await drive.candidate("cell_x", f"Người {stage}") for stage in STAGES}
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            for stage, candidate_id in ids.items():
                await Candidate.update({Candidate.stage: stage}).where(Candidate.id == candidate_id)
    refused = 0
    with tenant_context(world.tenant_id):
        for stage, event in PAIRS:
            async with pipeline_transaction():
                row = await (
                    Candidate.select()
                    .where(in_tenant(Candidate), Candidate.id == ids[stage])
                    .first()
                    .run()
                )
                assert row is not None
                if (stage, event) in IN_MACHINE:
                    transition = await require_transition(row, event)  # type: ignore[arg-type]
                    assert transition.from_stage == stage
                    continue
                with pytest.raises(StageRefused) as error:
                    await change_stage(ACTOR, row, event, today_in_vietnam())  # type: ignore[arg-type]
                assert status_of(error.value) == 409
                refused += 1
        async with pipeline_transaction():
            rows = await Candidate.select(Candidate.id, Candidate.stage, Candidate.version).where(
                in_tenant(Candidate), Candidate.id.is_in(list(ids.values()))
            )
            changes = await StageChange.count().where(in_tenant(StageChange))
    assert refused == len(PAIRS) - len(IN_MACHINE)
    assert {r["id"]: r["stage"] for r in rows} == {v: k for k, v in ids.items()}
    assert all(r["version"] == 1 for r in rows)
    assert changes == 0


async def test_a_person_the_commune_removed_is_not_prefilled_again_until_readded(
    db: Database, client: AppClient
) -> None:
    world = await build_chain_world(db, "loai-khoi-ds")
    drive = Driver(client, world)
    removed = await drive.candidate("cell_x", "Nguyễn Văn Bị Loại")
    kept = await drive.candidate("cell_x", "Trần Văn Giữ")
    cell_list = (await drive.create("x_editor", "cell_x"))["list"]["id"]
    await drive.adopt_and_submit("x_editor", cell_list)
    await drive.accept("commune_approver", cell_list)
    commune = await drive.create("commune_editor", "commune")
    assert {e["candidate_id"] for e in commune["entries"]} == {removed, kept}
    reason = "Không tham gia sinh hoạt đoàn thể ở địa phương"
    no_reason = await drive.call(
        "commune_editor",
        "PATCH",
        f"/lists/{commune['list']['id']}",
        json={"version": commune["list"]["version"], "remove": [{"candidate_id": removed}]},
    )
    assert no_reason.status_code == 400
    taken_off = await drive.ok(
        "commune_editor",
        "PATCH",
        f"/lists/{commune['list']['id']}",
        json={
            "version": commune["list"]["version"],
            "remove": [{"candidate_id": removed, "reason": reason}],
        },
    )
    assert [e["candidate_id"] for e in taken_off["removed"]] == [removed]

    # The next step's list of the cell: not prefilled, shown among the removed with why.
    step2 = await drive.create("x_editor", "cell_x", "course_nominees")
    assert [e["candidate_id"] for e in step2["entries"]] == [kept]
    shown = {e["candidate_id"]: e for e in step2["removed"]}
    assert removed in shown
    assert "Đảng ủy xã Lạc Hồng" in shown[removed]["removal_reason"]
    assert reason in shown[removed]["removal_reason"]

    # A refresh does not bring them back either.
    refreshed = await drive.ok(
        "x_editor",
        "POST",
        f"/lists/{step2['list']['id']}/refresh",
        json={"version": step2["list"]["version"]},
    )
    assert removed not in {e["candidate_id"] for e in refreshed["entries"]}

    # Only an explicit re-add with a reason, audited.
    version = refreshed["list"]["version"]
    bare = await drive.call(
        "x_editor",
        "PATCH",
        f"/lists/{step2['list']['id']}",
        json={"version": version, "add": [{"candidate_id": removed}]},
    )
    assert bare.status_code == 400, bare.text
    assert bare.json()["errors"][0]["field"] == "add[0].override_justification"
    assert "Đảng ủy xã Lạc Hồng" in bare.json()["detail"]
    readded = await drive.ok(
        "x_editor",
        "PATCH",
        f"/lists/{step2['list']['id']}",
        json={
            "version": version,
            "add": [
                {
                    "candidate_id": removed,
                    "override_justification": "Đã tham gia sinh hoạt trở lại từ tháng 5",
                }
            ],
        },
    )
    entry = {e["candidate_id"]: e for e in readded["entries"]}[removed]
    assert entry["override_justification"] == "Đã tham gia sinh hoạt trở lại từ tháng 5"
    with tenant_context(world.tenant_id):
        async with pipeline_transaction():
            audited = await AuditEvent.select(AuditEvent.action, AuditEvent.actor).where(
                in_tenant(AuditEvent),
                AuditEvent.entity_type == "candidate",
                AuditEvent.entity_id == removed,
            )
    actions = {(a["action"], a["actor"]) for a in audited}
    assert ("list_exclusion", "commune_editor") in actions
    assert ("list_readded", "x_editor") in actions

    # Lifted: the next list is prefilled with them again.
    school = await drive.create("x_editor", "cell_x", "admission_sources")
    assert removed not in {e["candidate_id"] for e in school["removed"]}
