"""A unit with several lists in one period has handed in when any of them is submitted or
accepted, whichever list was made first: the dashboard must not call it late."""

from __future__ import annotations

import datetime as dt

import pytest

from nguon.pipeline.lists import periods_of_year
from nguon.portal.progress import period_status
from nguon.rules.review_calendar import Period
from nguon.tenancy.context import tenant_context
from nguon.tenancy.package import tenant_package
from tests.conftest import Database
from tests.pipeline.conftest import PERIOD, AppClient, Driver, build_chain_world


async def _period() -> Period:
    return next(p for p in periods_of_year(await tenant_package(), 2024) if p.code == PERIOD)


@pytest.mark.parametrize("submitted_first", [True, False], ids=["submitted-first", "draft-first"])
async def test_a_cell_with_a_submitted_and_a_draft_list_has_handed_in(
    db: Database, client: AppClient, submitted_first: bool
) -> None:
    world = await build_chain_world(db, "nhieu-ds")
    drive = Driver(client, world)
    await drive.candidate("cell_x", "Nguyễn Văn An")
    steps = ["survey", "course_nominees"] if submitted_first else ["course_nominees", "survey"]
    first = await drive.create("x_editor", "cell_x", steps[0])
    second = await drive.create("x_editor", "cell_x", steps[1])
    handed_in = first if submitted_first else second
    await drive.adopt_and_submit("x_editor", handed_in["list"]["id"])

    with tenant_context(world.tenant_id):
        period = await _period()
        status = await period_status(f"{world.units['province']}.", period, dt.date(2024, 7, 1))
    late = {m.unit_id: m.state for m in status.missing}
    assert world.units["cell_x"] not in late
    # cell_y made no list: it is the one the commune must chase.
    assert late[world.units["cell_y"]] == "none"
    assert status.submitted == status.expected - len(status.missing)
