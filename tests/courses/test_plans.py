"""Admission plans: quarters add up, stale versions are refused, progress counts the
admissions of each quarter up the hierarchy; other tenants' ids are 404."""

from __future__ import annotations

import datetime as dt

from tests.conftest import Database
from tests.courses.conftest import add_candidate, add_stage_change, api, audit_actions
from tests.http.conftest import AppClient, build_world, token_for


def plan(year: int, q1: int, q2: int, q3: int, q4: int, version: int = 0) -> dict[str, object]:
    """A plan's body in the shape it is read in (``targets`` as ``GET`` answers it)."""
    return {"version": version, "targets": {"year": year, "q1": q1, "q2": q2, "q3": q3, "q4": q4}}


def v1_plan(year: int, q1: int, q2: int, q3: int, q4: int, version: int) -> dict[str, int]:
    """The flat body v1 took, which v1 still takes until its sunset."""
    targets = {"year": year, "q1": q1, "q2": q2, "q3": q3, "q4": q4}
    return {"version": version, **{f"target_{key}": value for key, value in targets.items()}}


async def test_targets_must_add_up_and_stale_versions_are_refused(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "chi-tieu")
    headers = await token_for(client, world.slug, "admin")
    url = f"{api(world)}/plans/{world.units['district_1']}/2026"
    wrong = await client.put(url, json=plan(10, 2, 2, 2, 2), headers=headers)
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["pointer"] == "/targets/year"
    assert "(8) do not add up to the year's (10)" in wrong.json()["detail_en"]
    negative = await client.put(url, json=plan(0, -1, 1, 0, 0), headers=headers)
    assert negative.status_code == 400
    assert negative.json()["errors"][0]["pointer"] == "/targets/q1"
    assert (await client.get(url, headers=headers)).status_code == 404

    made = await client.put(url, json=plan(8, 2, 2, 2, 2), headers=headers)
    assert made.status_code == 200, made.text
    assert made.json()["version"] == 1 and made.json()["targets"]["year"] == 8
    changed = await client.put(url, json=v1_plan(9, 2, 2, 2, 3, version=1), headers=headers)
    assert changed.json()["version"] == 2, "v1's flat targets are still taken"
    flat_in_v2 = await client.put(
        url.replace("/api/v1/", "/api/v2/"), json=v1_plan(9, 2, 2, 2, 3, 2), headers=headers
    )
    assert flat_in_v2.status_code == 400, "v2 takes only `targets`"
    stale = await client.put(url, json=plan(4, 1, 1, 1, 1, version=1), headers=headers)
    assert stale.status_code == 409
    recreate = await client.put(url, json=plan(4, 1, 1, 1, 1), headers=headers)
    assert recreate.status_code == 409
    kept = (await client.get(url, headers=headers)).json()
    assert kept["targets"] == {"year": 9, "q1": 2, "q2": 2, "q3": 2, "q4": 3}

    editor = await token_for(client, world.slug, "district_1_editor")
    forbidden = await client.put(url, json=plan(9, 2, 2, 2, 3, version=2), headers=editor)
    assert forbidden.status_code == 403
    actions = await audit_actions(db, world)
    assert ("admin", "create", "admission_plan") in actions
    assert ("admin", "update", "admission_plan") in actions


async def test_progress_counts_each_quarter_up_the_hierarchy(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "tien-do")
    headers = await token_for(client, world.slug, "admin")
    base = f"{api(world)}/plans"
    for unit, targets in (
        ("province", plan(5, 1, 2, 1, 1)),
        ("district_1", plan(4, 1, 1, 1, 1)),
        ("district_2", plan(1, 0, 1, 0, 0)),
    ):
        response = await client.put(
            f"{base}/{world.units[unit]}/2026", json=targets, headers=headers
        )
        assert response.status_code == 200, response.text
    events = (
        ("cell_x", "admitted", dt.date(2026, 2, 10)),
        ("cell_y", "admitted", dt.date(2026, 8, 5)),
        ("cell_z", "admitted", dt.date(2026, 5, 20)),
        ("cell_x", "admission_in_progress", dt.date(2026, 10, 15)),
        ("cell_x", "admitted", dt.date(2025, 12, 30)),  # last year's: not counted
    )
    for index, (unit, stage, on) in enumerate(events):
        candidate = await add_candidate(client, world, headers, unit, f"Người số {index}")
        await add_stage_change(db, world, candidate["id"], stage, on)

    response = await client.get(
        f"{base}/{world.units['province']}/2026/progress?as_of=2026-11-27", headers=headers
    )
    assert response.status_code == 200, response.text
    progress = response.json()
    own = progress["unit"]
    assert own["admitted"] == {"year": 3, "q1": 1, "q2": 1, "q3": 1, "q4": 0}
    assert own["proposed"] == {"year": 1, "q1": 0, "q2": 0, "q3": 0, "q4": 1}
    assert own["expected_so_far"] == 4 and own["behind_schedule"] is True
    assert progress["sub_units_targets"] == {"year": 5, "q1": 1, "q2": 2, "q3": 1, "q4": 1}
    assert progress["sub_units_targets_match"] is True
    subs = {s["unit_id"]: s for s in progress["sub_units"]}
    d1, d2 = subs[world.units["district_1"]], subs[world.units["district_2"]]
    assert d1["admitted"] == {"year": 2, "q1": 1, "q2": 0, "q3": 1, "q4": 0}
    assert (d1["expected_so_far"], d1["behind_schedule"]) == (3, True)
    assert d2["admitted"] == {"year": 1, "q1": 0, "q2": 1, "q3": 0, "q4": 0}
    assert (d2["expected_so_far"], d2["behind_schedule"]) == (1, False)

    early = await client.get(
        f"{base}/{world.units['district_1']}/2026/progress?as_of=2026-03-31", headers=headers
    )
    assert early.json()["unit"]["admitted"]["year"] == 1
    assert early.json()["unit"]["behind_schedule"] is False
    commune = early.json()["sub_units"][0]
    assert commune["unit_id"] == world.units["commune_1"] and commune["targets"] is None


async def test_another_tenants_courses_plans_and_helpers_are_not_found(
    db: Database, client: AppClient
) -> None:
    a = await build_world(db, "rieng-a")
    b = await build_world(db, "rieng-b")
    b_headers = await token_for(client, b.slug, "admin")
    b_plan = await client.put(
        f"{api(b)}/plans/{b.units['district_1']}/2026", json=plan(1, 1, 0, 0, 0), headers=b_headers
    )
    assert b_plan.status_code == 200
    b_course = await client.post(
        f"{api(b)}/courses",
        json={
            "organiser_unit_id": b.units["district_1"],
            "title": "Lớp B",
            "opens_on": "2024-09-01",
            "closes_on": "2024-10-01",
        },
        headers=b_headers,
    )
    headers = await token_for(client, a.slug, "admin")
    for path in (
        f"courses/{b_course.json()['id']}",
        f"plans/{b.units['district_1']}/2026",
        f"plans/{b.units['district_1']}/2026/progress",
    ):
        assert (await client.get(f"{api(a)}/{path}", headers=headers)).status_code == 404
    assert (await client.get(f"{api(a)}/courses", headers=headers)).json()["items"] == []
    overwrite = await client.put(
        f"{api(a)}/plans/{b.units['district_1']}/2026",
        json=plan(2, 2, 0, 0, 0, version=1),
        headers=headers,
    )
    assert overwrite.status_code == 404
    kept = await client.get(f"{api(b)}/plans/{b.units['district_1']}/2026", headers=b_headers)
    assert kept.json()["targets"]["year"] == 1
