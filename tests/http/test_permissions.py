"""Within a tenant: a role on a unit covers its subtree and nothing else."""

from __future__ import annotations

from tests.conftest import Database
from tests.http.conftest import AppClient, World, build_world, candidate_body, token_for
from tests.problems import assert_problem


async def _candidate_in(client: AppClient, world: World, unit: str, name: str) -> int:
    headers = await token_for(client, world.slug, "admin")
    response = await client.post(
        f"/t/{world.slug}/api/v1/candidates",
        json=candidate_body(world.units[unit], full_name=name),
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_a_cell_user_cannot_reach_a_sibling_cells_candidate(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "perm-cell")
    in_x = await _candidate_in(client, world, "cell_x", "Đỗ Văn Xuân")
    in_y = await _candidate_in(client, world, "cell_y", "Đỗ Văn Yên")
    headers = await token_for(client, world.slug, "cell_x_editor")
    base = f"/t/{world.slug}/api/v1"

    assert (await client.get(f"{base}/candidates/{in_x}", headers=headers)).status_code == 200
    assert (await client.get(f"{base}/candidates/{in_y}", headers=headers)).status_code == 404
    patch = await client.patch(
        f"{base}/candidates/{in_y}", json={"version": 1, "notes": "x"}, headers=headers
    )
    assert patch.status_code == 404
    listed = (await client.get(f"{base}/candidates?q=do van", headers=headers)).json()
    assert [c["id"] for c in listed["items"]] == [in_x]
    create_in_y = await client.post(
        f"{base}/candidates", json=candidate_body(world.units["cell_y"]), headers=headers
    )
    # A unit out of reach is the same 404 in a body as in a path.
    body = assert_problem(create_in_y, 404, "not_found")
    assert body["detail"] == "Không tìm thấy đơn vị này, hoặc bạn không có quyền xem"
    units = (await client.get(f"{base}/units", headers=headers)).json()["items"]
    assert [u["id"] for u in units] == [world.units["cell_x"]]
    assert (
        await client.get(f"{base}/units/{world.units['cell_y']}", headers=headers)
    ).status_code == 404


async def test_a_district_user_sees_its_whole_subtree_and_nothing_of_another_district(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "perm-district")
    in_x = await _candidate_in(client, world, "cell_x", "Vũ Thị Xoan")
    in_y = await _candidate_in(client, world, "cell_y", "Vũ Thị Yến")
    in_z = await _candidate_in(client, world, "cell_z", "Vũ Thị Zung")
    headers = await token_for(client, world.slug, "district_1_editor")
    base = f"/t/{world.slug}/api/v1"

    for own in (in_x, in_y):
        assert (await client.get(f"{base}/candidates/{own}", headers=headers)).status_code == 200
    assert (await client.get(f"{base}/candidates/{in_z}", headers=headers)).status_code == 404
    listed = (await client.get(f"{base}/candidates?q=vu thi", headers=headers)).json()
    assert sorted(c["id"] for c in listed["items"]) == sorted([in_x, in_y])
    units = {u["id"] for u in (await client.get(f"{base}/units", headers=headers)).json()["items"]}
    assert units == {world.units[k] for k in ("district_1", "commune_1", "cell_x", "cell_y")}
    by_unit = await client.get(
        f"{base}/candidates?unit_id={world.units['district_2']}", headers=headers
    )
    assert by_unit.status_code == 404
    by_own_unit = await client.get(
        f"{base}/candidates?unit_id={world.units['cell_y']}", headers=headers
    )
    assert [c["id"] for c in by_own_unit.json()["items"]] == [in_y]


async def test_a_viewer_reads_but_cannot_write(db: Database, client: AppClient) -> None:
    world = await build_world(db, "perm-viewer")
    in_x = await _candidate_in(client, world, "cell_x", "Hoàng Văn Tư")
    headers = await token_for(client, world.slug, "cell_x_viewer")
    base = f"/t/{world.slug}/api/v1"
    assert (await client.get(f"{base}/candidates/{in_x}", headers=headers)).status_code == 200
    created = await client.post(
        f"{base}/candidates", json=candidate_body(world.units["cell_x"]), headers=headers
    )
    assert created.status_code == 403
    patched = await client.patch(
        f"{base}/candidates/{in_x}", json={"version": 1, "notes": "x"}, headers=headers
    )
    assert patched.status_code == 403


async def test_people_are_only_added_to_units_that_hold_them(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "perm-kind")
    headers = await token_for(client, world.slug, "admin")
    response = await client.post(
        f"/t/{world.slug}/api/v1/candidates",
        json=candidate_body(world.units["district_1"]),
        headers=headers,
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "unit_id"
    on_committee = await client.post(
        f"/t/{world.slug}/api/v1/candidates",
        json=candidate_body(world.units["commune_1"]),
        headers=headers,
    )
    assert on_committee.status_code == 201
