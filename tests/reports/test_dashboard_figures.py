"""The dashboard's figures: the subtree's units, people by stage on the figures' day,
the year by quarter (added, proposed, admitted, targets) and the periods' submissions."""

from __future__ import annotations

import datetime as dt

from nguon.clock import today_in_vietnam
from nguon.portal.progress import current_and_previous, period_status
from nguon.reports.definitions import legend
from nguon.reports.figures import subtree_figures
from nguon.tenancy.context import tenant_context
from tests.conftest import Database
from tests.courses.conftest import add_candidate, add_stage_change, api
from tests.http.conftest import AppClient, build_world, token_for


async def test_a_past_years_figures_from_its_dated_records(db: Database, client: AppClient) -> None:
    world = await build_world(db, "so-lieu")
    headers = await token_for(client, world.slug, "admin")
    today = today_in_vietnam()
    year = today.year - 1
    response = await client.put(
        f"{api(world)}/plans/{world.units['district_1']}/{year}",
        json={
            "version": 0,
            "target_year": 6,
            "target_q1": 1,
            "target_q2": 2,
            "target_q3": 2,
            "target_q4": 1,
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    events = (
        ("cell_x", "admitted", dt.date(year, 2, 10)),
        ("cell_x", "admitted", dt.date(year, 3, 31)),
        ("cell_y", "admission_in_progress", dt.date(year, 4, 1)),
        ("cell_y", "admitted", dt.date(year, 9, 30)),
        ("cell_z", "admitted", dt.date(year, 12, 31)),
        ("cell_x", "admitted", dt.date(year - 1, 12, 31)),
        ("cell_x", "admitted", dt.date(year + 1, 1, 1)),
    )
    for index, (unit, stage, on) in enumerate(events):
        candidate = await add_candidate(client, world, headers, unit, f"Người số {index}")
        await add_stage_change(db, world, candidate["id"], stage, on)
    current, previous = current_and_previous("hungyen", today)
    periods = [p for p in (current, previous) if p is not None]
    assert periods
    created = await client.post(
        f"{api(world)}/lists",
        json={"unit_id": world.units["cell_x"], "step": "survey", "period": periods[0].code},
        headers=headers,
    )
    assert created.status_code == 201, created.text

    province = world.units["province"]
    with tenant_context(world.tenant_id):
        figures = await subtree_figures(province, f"{province}.", year, today, periods)
        status = await period_status(f"{province}.", periods[0], today)
    assert figures.as_of == dt.date(year, 12, 31)
    root = figures.root
    # Each person once, at the quarter of the dated change; the one of the year before and
    # the one of the year after are not this year's.
    assert root.flows["admitted"] == [2, 0, 1, 1]
    assert root.flows["proposed"] == [0, 1, 0, 0]
    assert root.flows["added"] == [2, 1, 1, 1]
    # On the year's last day the person proposed in April is still in the procedure; the
    # one entered this year (created today, first change next January) was not there yet.
    assert root.by_stage["admission_in_progress"] == 1
    assert root.in_source == 1
    assert figures.targets == [1, 2, 2, 1]
    # The subtree's units add up: the province is its districts.
    districts = figures.children()
    assert {d["id"] for d in districts} == {world.units["district_1"], world.units["district_2"]}
    assert [
        sum(figures.total(d["id"]).flows["admitted"][q] for d in districts) for q in range(4)
    ] == root.flows["admitted"]
    assert figures.statuses[0] == status
    assert status.submitted == 0 and status.expected == 4
    assert {m.state for m in status.missing} == {"draft", "none"}
    assert {m.title for m in status.missing} >= {"Chi bộ thôn Ngọc Đà — Đảng ủy xã Lạc Hồng"}


def test_the_legend_explains_the_counting_of_people_only_under_figures_of_people() -> None:
    of_lists = legend("expected_lists", "submitted_lists", "late_lists", people=False)
    assert [d.key for d in of_lists] == ["expected_lists", "submitted_lists", "late_lists"]
    of_people = legend("surveyed", "added")
    assert [d.key for d in of_people] == ["surveyed", "added", "as_of", "counted_at"]
