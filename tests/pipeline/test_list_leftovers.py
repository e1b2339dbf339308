"""Leftovers of the lists: decisions stored by concurrent requests, an empty change,
and a list from below that arrives after the receiver adopted its own."""

from __future__ import annotations

import asyncio

from nguon.audit.tables import AuditEvent
from nguon.pipeline.tables import CandidateDecision
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant
from tests.conftest import Database
from tests.http.conftest import AppClient
from tests.pipeline.conftest import RESOLUTION, Driver, build_chain_world


async def test_two_lists_made_at_once_for_the_same_people_store_one_decision_each(
    postgres_db: Database, pg_client: AppClient
) -> None:
    world = await build_chain_world(postgres_db, "upsert")
    drive = Driver(pg_client, world)
    people = [await drive.candidate("cell_x", f"Nguyễn Văn Số {i}") for i in range(6)]
    headers = await drive.headers("x_editor")

    def body(period: str) -> dict:
        return {"unit_id": world.units["cell_x"], "step": "survey", "period": period}

    responses = await asyncio.gather(
        *(
            pg_client.post(world.api("/lists"), json=body(period), headers=headers)
            for period in ("2024-Q2", "2024-Q3", "2024-annual")
        )
    )
    assert [r.status_code for r in responses] == [201, 201, 201], [r.text for r in responses]
    assert all(r.json()["list"]["included_count"] == len(people) for r in responses)
    with tenant_context(world.tenant_id):
        stored = await (
            CandidateDecision.select(CandidateDecision.candidate, CandidateDecision.evaluated_on)
            .where(in_tenant(CandidateDecision), CandidateDecision.decision == "survey_list")
            .run()
        )
    # One row per candidate, holding the latest day any of the three lists judged on.
    assert sorted(r["candidate"] for r in stored) == sorted(people)
    assert {str(r["evaluated_on"]) for r in stored} == {"2024-12-31"}


async def test_a_change_with_nothing_to_add_or_remove_leaves_the_list_as_it_was(
    db: Database, client: AppClient
) -> None:
    world = await build_chain_world(db, "noop")
    drive = Driver(client, world)
    await drive.candidate("cell_x", "Nguyễn Văn An")
    made = await drive.create("x_editor", "cell_x")
    list_id = made["list"]["id"]
    for body in ({"version": 1}, {"version": 1, "add": [], "remove": []}):
        same = await drive.call("x_editor", "PATCH", f"/lists/{list_id}", json=body)
        assert same.status_code == 200, same.text
        assert same.json()["list"]["version"] == 1
        assert same.json()["entries"] == made["entries"]
    with tenant_context(world.tenant_id):
        edits = await AuditEvent.count().where(
            in_tenant(AuditEvent),
            AuditEvent.entity_type == "candidate_list",
            AuditEvent.action == "list_edited",
        )
    assert edits == 0
    # A real change still moves the version on.
    changed = await drive.ok(
        "x_editor",
        "PATCH",
        f"/lists/{list_id}",
        json={
            "version": 1,
            "remove": [
                {"candidate_id": made["entries"][0]["candidate_id"], "reason": "Chuyển đi nơi khác"}
            ],
        },
    )
    assert changed["list"]["version"] == 2


def _counts(detail: dict, world_units: dict[str, int]) -> dict[str, int]:
    names = {unit_id: key for key, unit_id in world_units.items()}
    return {names[c["unit_id"]]: c["count"] for c in detail["counts_by_unit"]}


async def test_a_late_list_reopens_the_receivers_adopted_list_for_a_new_resolution(
    db: Database, client: AppClient
) -> None:
    world = await build_chain_world(db, "late-adopted")
    drive = Driver(client, world)
    await drive.candidate("cell_x", "Nguyễn Văn An")
    await drive.candidate("cell_y", "Trần Thị Bình")
    x = (await drive.create("x_editor", "cell_x"))["list"]["id"]
    y = (await drive.create("y_editor", "cell_y"))["list"]["id"]
    await drive.adopt_and_submit("x_editor", x)
    await drive.accept("commune_approver", x)
    commune = (await drive.create("commune_approver", "commune"))["list"]["id"]
    await drive.ok(
        "commune_approver",
        "POST",
        f"/lists/{commune}/adopt",
        json={"version": 1, "resolution": RESOLUTION},
    )
    await drive.adopt_and_submit("y_editor", y)

    accepted = await drive.accept("commune_approver", y)
    assert accepted["list"]["state"] == "accepted"
    reopened = await drive.ok("commune_approver", "GET", f"/lists/{commune}")
    assert reopened["list"]["state"] == "draft" and reopened["list"]["version"] == 4
    assert _counts(reopened, world.units) == {"cell_x": 1, "cell_y": 1}
    last = reopened["transitions"][-1]
    assert (last["from_state"], last["to_state"], last["actor"]) == (
        "adopted",
        "draft",
        "commune_approver",
    )
    assert "Chi bộ thôn Đình Dù" in last["comment"] and "thông qua lại" in last["comment"]
    # The new resolution covers both cells; the list goes up as usual.
    sent = await drive.adopt_and_submit("commune_approver", commune)
    assert sent["list"]["state"] == "submitted" and sent["list"]["included_count"] == 2
    assert [r["number"] for r in sent["resolutions"]] == ["05-NQ/CB", "05-NQ/CB"]
    with tenant_context(world.tenant_id):
        actions = await (
            AuditEvent.select(AuditEvent.action, AuditEvent.actor)
            .where(in_tenant(AuditEvent), AuditEvent.entity_id == commune)
            .where(AuditEvent.entity_type == "candidate_list")
            .order_by(AuditEvent.id)
            .run()
        )
    assert [a["action"] for a in actions] == [
        "list_created",
        "list_adopted",
        "list_reopened",
        "list_aggregated",
        "list_adopted",
        "list_submitted",
    ]


async def test_a_late_list_waits_while_the_receivers_list_is_above_and_joins_it_once_returned(
    db: Database, client: AppClient
) -> None:
    world = await build_chain_world(db, "late-submitted")
    drive = Driver(client, world)
    await drive.candidate("cell_x", "Nguyễn Văn An")
    await drive.candidate("school", "Hoàng Văn Minh")
    x = (await drive.create("x_editor", "cell_x"))["list"]["id"]
    await drive.adopt_and_submit("x_editor", x)
    await drive.accept("commune_approver", x)
    commune = (await drive.create("commune_approver", "commune"))["list"]["id"]
    await drive.adopt_and_submit("commune_approver", commune)
    await drive.accept("district_approver", commune)
    district = (await drive.create("district_approver", "district"))["list"]["id"]
    await drive.adopt_and_submit("district_approver", district)
    school = (await drive.create("school_editor", "school"))["list"]["id"]
    await drive.adopt_and_submit("school_editor", school)

    refused = await drive.call(
        "district_approver", "POST", f"/lists/{school}/accept", json={"version": 3}
    )
    assert refused.status_code == 409
    assert "đề nghị cấp trên trả lại" in refused.json()["detail"]
    still = await drive.ok("school_editor", "GET", f"/lists/{school}")
    assert still["list"]["state"] == "submitted" and still["list"]["version"] == 3

    # The board gives the district's list back; the late list then joins it.
    await drive.ok(
        "board_approver",
        "POST",
        f"/lists/{district}/return",
        json={"version": 3, "comment": "Bổ sung danh sách Chi bộ Trường THPT Văn Lâm"},
    )
    await drive.accept("district_approver", school)
    grown = await drive.ok("district_approver", "GET", f"/lists/{district}")
    assert grown["list"]["state"] == "returned"
    assert _counts(grown, world.units) == {"commune": 1, "school": 1}
    await drive.adopt_and_submit("district_approver", district)
    final = await drive.accept("board_approver", district)
    assert final["list"]["included_count"] == 2


async def test_a_list_later_than_the_receivers_accepted_one_goes_back_for_the_next_period(
    db: Database, client: AppClient
) -> None:
    world = await build_chain_world(db, "late-accepted")
    drive = Driver(client, world)
    await drive.candidate("police_cell", "Ngô Văn Nam")
    police_gc = (await drive.create("police_gc_approver", "police_gc"))["list"]["id"]
    await drive.adopt_and_submit("police_gc_approver", police_gc)
    await drive.accept("police_approver", police_gc)
    cell = (await drive.create("police_cell_editor", "police_cell"))["list"]["id"]
    await drive.adopt_and_submit("police_cell_editor", cell)

    refused = await drive.call(
        "police_gc_approver", "POST", f"/lists/{cell}/accept", json={"version": 3}
    )
    assert refused.status_code == 409
    assert "kỳ bổ sung" in refused.json()["detail"]
    returned = await drive.ok(
        "police_gc_approver",
        "POST",
        f"/lists/{cell}/return",
        json={"version": 3, "comment": "Nộp muộn; đề nghị lập lại trong kỳ bổ sung Quý III"},
    )
    assert returned["list"]["state"] == "returned"
    gc = await drive.ok("police_gc_approver", "GET", f"/lists/{police_gc}")
    assert gc["list"]["state"] == "accepted" and gc["list"]["included_count"] == 0


async def test_a_decision_judged_for_an_earlier_period_keeps_the_later_one_stored(
    db: Database, client: AppClient
) -> None:
    world = await build_chain_world(db, "older")
    drive = Driver(client, world)
    person = await drive.candidate("cell_x", "Nguyễn Văn An")

    async def stored() -> list[str]:
        with tenant_context(world.tenant_id):
            rows = await (
                CandidateDecision.select(CandidateDecision.evaluated_on)
                .where(in_tenant(CandidateDecision), CandidateDecision.candidate == person)
                .where(CandidateDecision.decision == "survey_list")
                .run()
            )
        return [str(r["evaluated_on"]) for r in rows]

    for period in ("2024-annual", "2024-Q2"):
        body = {"unit_id": world.units["cell_x"], "step": "survey", "period": period}
        made = await drive.ok("x_editor", "POST", "/lists", json=body)
        assert made["list"]["included_count"] == 1
    assert await stored() == ["2024-12-31"]
