"""A restructuring, and a transfer, record where each person was before they moved, so
the figures of before the move count them in their old unit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from nguon.clock import today_in_vietnam
from nguon.org.restructure import restructure_file
from nguon.people.moves import CandidateMove
from nguon.people.tables import Candidate
from nguon.reports.records import load_records
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant
from tests.conftest import Database
from tests.courses.conftest import add_candidate, api
from tests.http.conftest import AppClient, token_for
from tests.http.conftest import build_world as build_http_world
from tests.restructure.conftest import D, build_world, units_by_code, write_file


async def test_people_of_merged_wards_are_counted_where_they_were(
    db: Database, tmp_path: Path
) -> None:
    world = await build_world(db)
    await restructure_file(write_file(tmp_path, world.slug))
    units = await units_by_code(world.tenant_id)
    commune = units["hy.phohien"]
    leloi, minhkhai = units["hy.hungyen.leloi"], units["hy.hungyen.minhkhai"]
    with tenant_context(world.tenant_id):
        people = {
            row["id"]: row["full_name"]
            for row in await Candidate.select(Candidate.id, Candidate.full_name).where(
                in_tenant(Candidate), Candidate.unit == commune["id"]
            )
        }
        moves = await CandidateMove.select().where(in_tenant(CandidateMove))
        records = await load_records(units["hy.hungyen"]["path"])
    before = {people[m["candidate"]]: m["from_unit"] for m in moves if m["candidate"] in people}
    assert all(m["moved_on"] == D and m["cause"] == "restructuring" for m in moves)
    assert set(before.values()) == {leloi["id"], minhkhai["id"]}
    assert before["Phạm Minh Khải"] == minhkhai["id"]
    for person_id, name in people.items():
        person = records.people[person_id]
        assert records.unit_on(person, D - dt.timedelta(days=1)) == before[name]
        assert records.unit_on(person, D) == commune["id"]


async def test_a_transfer_keeps_the_person_in_the_old_units_past_figures(
    db: Database, client: AppClient
) -> None:
    world = await build_http_world(db, "chuyen")
    headers = await token_for(client, world.slug, "admin")
    person = await add_candidate(client, world, headers, "cell_x", "Người chuyển đi")
    moved = await client.patch(
        f"{api(world)}/candidates/{person['id']}",
        json={"version": person["version"], "unit_id": world.units["cell_z"]},
        headers=headers,
    )
    assert moved.status_code == 200, moved.text
    today = today_in_vietnam()
    with tenant_context(world.tenant_id):
        moves = await CandidateMove.select().where(in_tenant(CandidateMove))
        records = await load_records(f"{world.units['province']}.")
    assert [(m["from_unit"], m["to_unit"], m["moved_on"], m["cause"]) for m in moves] == [
        (world.units["cell_x"], world.units["cell_z"], today, "transfer")
    ]
    person_record = records.people[person["id"]]
    assert records.unit_on(person_record, today - dt.timedelta(days=1)) == world.units["cell_x"]
    assert records.unit_on(person_record, today) == world.units["cell_z"]
