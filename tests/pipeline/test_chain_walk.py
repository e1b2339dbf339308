"""Lists walk up both chains of 06-HD/BTCTU: cells → grassroots committee → district →
organisation board → province; Police cell → Police grassroots committee → Police
committee; a grassroots cell straight to the district; an industrial-zone enterprise
cell → the bloc committee. One list is returned, corrected and resubmitted; the
aggregate counts are checked at every level, and every state change is audited."""

from __future__ import annotations

from nguon.audit.tables import AuditEvent
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant
from tests.conftest import Database
from tests.http.conftest import AppClient
from tests.pipeline.conftest import ChainWorld, Driver, build_chain_world


def _counts(detail: dict, world: ChainWorld) -> dict[str, int]:
    names = {unit_id: key for key, unit_id in world.units.items()}
    return {names[c["unit_id"]]: c["count"] for c in detail["counts_by_unit"]}


async def test_lists_walk_up_every_chain_with_a_return_and_aggregates_at_each_level(
    db: Database, client: AppClient
) -> None:
    world = await build_chain_world(db)
    drive = Driver(client, world)
    for name in ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"):
        await drive.candidate("cell_x", name)
    too_young = await drive.candidate("cell_x", "Phạm Văn Dũng", date_of_birth="2008-01-01")
    unchecked = await drive.candidate("cell_x", "Đỗ Thị Hoa", political_standard="unchecked")
    y_people = [await drive.candidate("cell_y", n) for n in ("Vũ Văn Hải", "Bùi Thị Lan")]
    await drive.candidate("school", "Hoàng Văn Minh")
    for name in ("Ngô Văn Nam", "Đặng Thị Oanh"):
        await drive.candidate("police_cell", name)
    await drive.candidate("iz_cell", "Lý Thị Phương")

    # A cell's list: the eligible on it, the others beside it with reasons and clauses.
    x = await drive.create("x_editor", "cell_x")
    assert x["list"]["state"] == "draft" and x["list"]["version"] == 1
    assert x["list"]["receiver_unit_id"] == world.units["commune"]
    assert sorted(e["full_name"] for e in x["entries"]) == [
        "Lê Văn Cường",
        "Nguyễn Văn An",
        "Trần Thị Bình",
    ]
    refused = {e["candidate_id"]: e for e in x["refused"]}
    assert set(refused) == {too_young, unchecked}
    young_reason = refused[too_young]["reasons"][0]
    assert young_reason["code"] == "age_below_minimum" and young_reason["clause_id"]
    assert "tuổi" in young_reason["message_vi"].lower()
    assert refused[unchecked]["outcome"] == "needs_review"

    # Corrections: an override for "needs review" with a justification, never for a refusal.
    x_id = x["list"]["id"]
    refused_add = await drive.call(
        "x_editor",
        "PATCH",
        f"/lists/{x_id}",
        json={"version": 1, "add": [{"candidate_id": too_young, "override_justification": "Tốt"}]},
    )
    assert refused_add.status_code == 400
    assert "Không đủ điều kiện" in refused_add.json()["detail"]
    no_justification = await drive.call(
        "x_editor",
        "PATCH",
        f"/lists/{x_id}",
        json={"version": 1, "add": [{"candidate_id": unchecked}]},
    )
    assert no_justification.status_code == 400
    assert "override_justification" in no_justification.text
    cuong = next(e["candidate_id"] for e in x["entries"] if e["full_name"] == "Lê Văn Cường")
    x = await drive.ok(
        "x_editor",
        "PATCH",
        f"/lists/{x_id}",
        json={
            "version": 1,
            "add": [
                {
                    "candidate_id": unchecked,
                    "override_justification": "Đã có kết luận tiêu chuẩn chính trị của công an xã",
                }
            ],
            "remove": [{"candidate_id": cuong, "reason": "Chuyển đi nơi khác"}],
        },
    )
    assert x["list"]["version"] == 2 and x["list"]["included_count"] == 3
    assert [e["removal_reason"] for e in x["removed"]] == ["Chuyển đi nơi khác"]
    assert [e["candidate_id"] for e in x["refused"]] == [too_young]

    # The rules' thresholds for the resolution: below 2/3 agreeing is refused.
    weak = await drive.call(
        "x_editor",
        "POST",
        f"/lists/{x_id}/adopt",
        json={
            "version": 2,
            "resolution": {
                "number": "01-NQ/CB",
                "adopted_on": "2024-06-20",
                "members_total": 9,
                "members_present": 8,
                "members_agreeing": 5,
            },
        },
    )
    assert weak.status_code == 400 and "tán thành" in weak.json()["detail"]
    x = await drive.adopt_and_submit("x_editor", x_id)
    assert x["list"]["state"] == "submitted" and x["list"]["version"] == 4
    y = await drive.create("y_editor", "cell_y")
    y_id = y["list"]["id"]
    await drive.adopt_and_submit("y_editor", y_id)

    # The grassroots committee sees both pending, and who may act on them.
    inbox = await drive.ok("commune_approver", "GET", "/lists/inbox")
    assert {item["id"] for item in inbox["items"]} == {x_id, y_id}
    pending = await drive.ok("commune_approver", "GET", f"/lists/{y_id}")
    assert pending["allowed_actions"] == ["return", "accept"]
    assert "commune_approver" in {m["full_name"].split()[-1] for m in pending["may_act"]}
    cell_view = await drive.ok("y_editor", "GET", f"/lists/{y_id}")
    assert cell_view["allowed_actions"] == []
    forbidden = await drive.call("y_editor", "POST", f"/lists/{y_id}/accept", json={"version": 3})
    assert forbidden.status_code == 403

    await drive.accept("commune_approver", x_id)
    commune = await drive.create("commune_approver", "commune")
    assert _counts(commune, world) == {"cell_x": 3}

    # cell_y is returned, corrected and resubmitted; accepting it grows the commune's draft.
    returned = await drive.ok(
        "commune_approver",
        "POST",
        f"/lists/{y_id}/return",
        json={"version": 3, "comment": "Đề nghị rà soát lại đồng chí Bùi Thị Lan"},
    )
    assert returned["list"]["state"] == "returned"
    assert returned["list"]["return_comment"].startswith("Đề nghị rà soát")
    y = await drive.ok(
        "y_editor",
        "PATCH",
        f"/lists/{y_id}",
        json={
            "version": 4,
            "remove": [{"candidate_id": y_people[1], "reason": "Chưa đủ 12 tháng"}],
        },
    )
    assert y["list"]["included_count"] == 1
    await drive.adopt_and_submit("y_editor", y_id)
    await drive.accept("commune_approver", y_id)
    commune = await drive.ok("commune_approver", "GET", f"/lists/{commune['list']['id']}")
    assert _counts(commune, world) == {"cell_x": 3, "cell_y": 1}
    assert commune["list"]["version"] == 2
    assert commune["list"]["receiver_unit_id"] == world.units["district"]
    states = [
        (t["from_state"], t["to_state"])
        for t in history(await drive.ok("y_editor", "GET", f"/lists/{y_id}"))
    ]
    assert states == [
        ("", "draft"),
        ("draft", "adopted"),
        ("adopted", "submitted"),
        ("submitted", "returned"),
        ("returned", "adopted"),
        ("adopted", "submitted"),
        ("submitted", "accepted"),
    ]
    await drive.adopt_and_submit("commune_approver", commune["list"]["id"])

    # A grassroots cell reports straight to the district.
    school = await drive.create("school_editor", "school")
    assert school["list"]["receiver_unit_id"] == world.units["district"]
    await drive.adopt_and_submit("school_editor", school["list"]["id"])
    await drive.accept("district_approver", commune["list"]["id"])
    await drive.accept("district_approver", school["list"]["id"])
    district = await drive.create("district_approver", "district")
    assert district["list"]["receiver_unit_id"] == world.units["board"]
    assert _counts(district, world) == {"commune": 4, "school": 1}
    assert district["list"]["included_count"] == 5
    await drive.adopt_and_submit("district_approver", district["list"]["id"])

    # Police: subordinate cell → grassroots committee → Police committee → board.
    police_cell = await drive.create("police_cell_editor", "police_cell")
    assert police_cell["list"]["receiver_unit_id"] == world.units["police_gc"]
    await drive.adopt_and_submit("police_cell_editor", police_cell["list"]["id"])
    await drive.accept("police_gc_approver", police_cell["list"]["id"])
    police_gc = await drive.create("police_gc_approver", "police_gc")
    assert police_gc["list"]["receiver_unit_id"] == world.units["police"]
    assert _counts(police_gc, world) == {"police_cell": 2}
    await drive.adopt_and_submit("police_gc_approver", police_gc["list"]["id"])
    await drive.accept("police_approver", police_gc["list"]["id"])
    police = await drive.create("police_approver", "police")
    assert police["list"]["receiver_unit_id"] == world.units["board"]
    assert _counts(police, world) == {"police_gc": 2}
    await drive.adopt_and_submit("police_approver", police["list"]["id"])

    # An industrial-zone enterprise cell → the Agencies–Enterprises bloc → board.
    iz = await drive.create("iz_editor", "iz_cell")
    assert iz["list"]["receiver_unit_id"] == world.units["bloc"]
    await drive.adopt_and_submit("iz_editor", iz["list"]["id"])
    await drive.accept("bloc_approver", iz["list"]["id"])
    bloc = await drive.create("bloc_approver", "bloc")
    assert bloc["list"]["receiver_unit_id"] == world.units["board"]
    assert _counts(bloc, world) == {"iz_cell": 1}
    await drive.adopt_and_submit("bloc_approver", bloc["list"]["id"])

    # The organisation board aggregates the three and reports to the province.
    board_inbox = await drive.ok("board_approver", "GET", "/lists/inbox")
    assert {i["unit_id"] for i in board_inbox["items"]} == {
        world.units["district"],
        world.units["police"],
        world.units["bloc"],
    }
    for item in board_inbox["items"]:
        await drive.accept("board_approver", item["id"])
    board = await drive.create("board_approver", "board")
    assert _counts(board, world) == {"district": 5, "police": 2, "bloc": 1}
    assert board["list"]["receiver_unit_id"] == world.units["province"]
    await drive.adopt_and_submit("board_approver", board["list"]["id"])
    final = await drive.accept("province_approver", board["list"]["id"])
    assert final["list"]["state"] == "accepted" and final["list"]["included_count"] == 8

    # Every state change of every list is in the audit log with its actor.
    with tenant_context(world.tenant_id):
        events = await (
            AuditEvent.select()
            .where(in_tenant(AuditEvent), AuditEvent.entity_type == "candidate_list")
            .order_by(AuditEvent.id)
            .run()
        )
    y_events = [(e["action"], e["actor"]) for e in events if e["entity_id"] == y_id]
    assert [a for a in y_events if a[0] != "list_edited"] == [
        ("list_created", "y_editor"),
        ("list_adopted", "y_editor"),
        ("list_submitted", "y_editor"),
        ("list_returned", "commune_approver"),
        ("list_adopted", "y_editor"),
        ("list_submitted", "y_editor"),
        ("list_accepted", "commune_approver"),
    ]
    transitions = 0
    for list_id in {e["entity_id"] for e in events}:
        transitions += len(history(await drive.ok("admin", "GET", f"/lists/{list_id}")))
    audited = [e for e in events if e["action"] not in {"list_edited", "list_aggregated"}]
    assert len(audited) == transitions


def history(detail: dict) -> list[dict]:
    return detail["transitions"]
