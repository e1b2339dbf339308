"""The dashboard's figures: the subtree's units, counts by stage, quarters (added, stage
changes, targets) and the periods' submission status, from few queries."""

from __future__ import annotations

import datetime as dt

from nguon.portal.progress import (
    current_and_previous,
    period_status,
    subtree_units,
)
from nguon.reports.dashboard import dashboard_figures
from nguon.tenancy.context import tenant_context
from tests.conftest import Database
from tests.courses.conftest import add_candidate, add_stage_change, api
from tests.http.conftest import AppClient, build_world, token_for


async def test_figures_match_the_portals_queries(db: Database, client: AppClient) -> None:
    world = await build_world(db, "so-lieu")
    headers = await token_for(client, world.slug, "admin")
    year = dt.date.today().year
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
    )
    for index, (unit, stage, on) in enumerate(events):
        candidate = await add_candidate(client, world, headers, unit, f"Người số {index}")
        await add_stage_change(db, world, candidate["id"], stage, on)
    current, previous = current_and_previous("hungyen", dt.date.today())
    periods = [p for p in (current, previous) if p is not None]
    assert periods
    created = await client.post(
        f"{api(world)}/lists",
        json={"unit_id": world.units["cell_x"], "step": "survey", "period": periods[0].code},
        headers=headers,
    )
    assert created.status_code == 201, created.text

    with tenant_context(world.tenant_id):
        for key in ("province", "district_1", "cell_y"):
            unit_id = world.units[key]
            path = next(u["path"] for u in await subtree_units("") if u["id"] == unit_id)
            figures = await dashboard_figures(path, unit_id, year, periods)
            assert figures.units == await subtree_units(path)
            in_subtree = {u["id"] for u in figures.units}
            assert set(figures.counts) <= in_subtree
            assert figures.statuses == [await period_status(path, p) for p in periods]
        province_path = next(
            u["path"] for u in await subtree_units("") if u["id"] == world.units["province"]
        )
        figures = await dashboard_figures(province_path, world.units["province"], year, periods)
    assert sum(sum(c.values()) for c in figures.counts.values()) == len(events)
    assert [r.admitted for r in figures.quarter_rows] == [2, 0, 1, 1]
    assert sum(r.added for r in figures.quarter_rows) == len(events)
    assert [r.target for r in figures.quarter_rows] == [1, 2, 2, 1]
    assert figures.statuses[0].submitted == 0 and figures.statuses[0].expected == 4
    assert {m.state for m in figures.statuses[0].missing} == {"draft", "none"}
