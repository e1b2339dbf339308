"""Party members over the JSON API: card numbers, transfer inside the caller's subtree,
end of membership, the history, and the state filter."""

from __future__ import annotations

from tests.conftest import Database
from tests.http.conftest import AppClient, build_world, member_body, token_for
from tests.problems import assert_problem, fields_of


async def test_transfer_end_and_history_over_the_api(db: Database, client: AppClient) -> None:
    world = await build_world(db, "members-api")
    slug, units = world.slug, world.units
    api = f"/t/{slug}/api/v1/members"
    headers = await token_for(client, slug, "district_1_editor")
    made = await client.post(
        api, json={**member_body(units["cell_x"]), "card_number": "01.000001"}, headers=headers
    )
    assert made.status_code == 201, made.text
    member = made.json()
    assert member["card_number"] == "01.000001" and member["ended_on"] is None
    twin = await client.post(
        api,
        json={**member_body(units["cell_y"], "Lê Văn Cường"), "card_number": "01.000001"},
        headers=headers,
    )
    assert assert_problem(twin, 409, "conflict")["errors"][0]["pointer"] == "/card_number"

    outside = await client.post(
        f"{api}/{member['id']}/transfer",
        json={"version": 1, "to_unit_id": units["cell_z"], "on": "2024-06-01"},
        headers=headers,
    )
    assert outside.status_code == 404
    moved = await client.post(
        f"{api}/{member['id']}/transfer",
        json={"version": 1, "to_unit_id": units["cell_y"], "on": "2024-06-01", "reason": "GGT 15"},
        headers=headers,
    )
    assert moved.status_code == 201, moved.text
    assert moved.json()["unit_id"] == units["cell_y"] and moved.json()["version"] == 2
    stale = await client.post(
        f"{api}/{member['id']}/end",
        json={"version": 1, "on": "2024-07-01", "reason": "deceased"},
        headers=headers,
    )
    assert stale.status_code == 409
    unknown = await client.post(
        f"{api}/{member['id']}/end",
        json={"version": 2, "on": "2024-07-01", "reason": "gone"},
        headers=headers,
    )
    assert unknown.status_code == 400 and "reason" in unknown.text
    before_move = await client.post(
        f"{api}/{member['id']}/end",
        json={"version": 2, "on": "2024-05-01", "reason": "moved_out"},
        headers=headers,
    )
    assert fields_of(before_move) == ["on"]
    assert_problem(before_move, 400, "invalid_input")
    ended = await client.post(
        f"{api}/{member['id']}/end",
        json={"version": 2, "on": "2024-07-01", "reason": "moved_out", "note": "Hà Nội"},
        headers=headers,
    )
    assert ended.status_code == 201, ended.text
    assert ended.json()["ended_on"] == "2024-07-01" and ended.json()["end_reason"] == "moved_out"

    history = (await client.get(f"{api}/{member['id']}/history", headers=headers)).json()
    assert [(c["kind"], c["changed_on"]) for c in history["items"]][1:] == [
        ("transferred", "2024-06-01"),
        ("ended", "2024-07-01"),
    ]
    transfer = history["items"][1]
    assert transfer["from_unit_name"] == "Chi bộ thôn Ngọc Đà"
    assert transfer["to_unit_name"] == "Chi bộ thôn Đình Dù"
    assert transfer["actor_name"] == "Người dùng district_1_editor"
    assert history["items"][2]["reason"] == "Chuyển sinh hoạt đảng ra ngoài tỉnh: Hà Nội"

    current = (await client.get(api, params={"state": "current"}, headers=headers)).json()
    ended_only = (await client.get(api, params={"state": "ended"}, headers=headers)).json()
    assert current["total"] == 0 and ended_only["total"] == 1

    # The next cell's secretary does not see the member or its history.
    other = await token_for(client, slug, "cell_x_editor")
    assert (await client.get(f"{api}/{member['id']}/history", headers=other)).status_code == 404
