"""A list page's reads in one statement (``list_read.whole_read``, Postgres) give exactly what
the separate reads give: the row, the entries (with a helper, a refused and a removed
person), the state changes, the resolution, the lists below the entries came from and the
members whose turn it is — same values, same types, same order — and the same digest."""

from __future__ import annotations

import datetime as dt

import pytest

from nguon.clock import today_in_vietnam
from nguon.pipeline import list_read
from nguon.pipeline.tables import HelperAssignment
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import switch_tenant_in_transaction
from tests.conftest import Database
from tests.http.conftest import AppClient, member_body
from tests.pipeline.conftest import Driver, build_chain_world

pytestmark = pytest.mark.postgres


async def _separately(list_id: int, on: dt.date) -> dict[str, object]:
    row = await list_read.list_row(list_id)
    assert row is not None
    read = list_read.ListRead(row=row, entries=await list_read.entries_of(row))
    return {
        "row": row,
        "entries": read.entries,
        "transitions": await list_read.transitions_of(read),
        "resolutions": await list_read.resolutions_of(read),
        "sources": await list_read.source_units(read),
        "acting": await list_read.members_acting(read, on),
    }


async def test_one_statement_reads_what_the_separate_statements_read(
    postgres_db: Database, pg_client: AppClient
) -> None:
    world = await build_chain_world(postgres_db, "mot-lan-doc")
    drive = Driver(pg_client, world)
    helped = await drive.candidate("cell_x", "Nguyễn Văn An")
    moved = await drive.candidate("cell_x", "Trần Thị Bình")
    await drive.candidate("cell_x", "Phạm Văn Dũng", date_of_birth="2010-01-01")
    member = await drive.ok(
        "admin", "POST", "/members", json=member_body(world.units["cell_x"], full_name="Lê Giúp")
    )
    with postgres_db.as_owner():
        async with postgres_db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            await HelperAssignment.insert(
                HelperAssignment(
                    tenant_id=world.tenant_id,
                    candidate=helped,
                    member=member["id"],
                    assigned_on=dt.date(2020, 1, 1),
                )
            ).run()
    cell = await drive.create("x_editor", "cell_x")
    cell_id = cell["list"]["id"]
    await drive.ok(
        "x_editor",
        "PATCH",
        f"/lists/{cell_id}",
        json={"version": 1, "remove": [{"candidate_id": moved, "reason": "Chuyển đi nơi khác"}]},
    )
    await drive.adopt_and_submit("x_editor", cell_id)
    await drive.accept("commune_approver", cell_id)
    commune = await drive.create("commune_approver", "commune")
    commune_id = commune["list"]["id"]
    await drive.adopt_and_submit("commune_approver", commune_id)

    on = today_in_vietnam()
    with tenant_context(world.tenant_id):
        for list_id in (cell_id, commune_id):
            expected = await _separately(list_id, on)
            read, digest = await list_read.whole_read(list_id, on, digest=True)
            assert read is not None
            found = {
                "row": read.row,
                "entries": read.entries,
                "transitions": await list_read.transitions_of(read),
                "resolutions": await list_read.resolutions_of(read),
                "sources": await list_read.source_units(read),
                "acting": await list_read.members_acting(read, on),
            }
            for part, rows in expected.items():
                assert found[part] == rows, part
                assert repr(found[part]) == repr(rows), f"{part}: the same types"
            _, separate_digest = await list_read.row_and_digest(list_id, on)
            assert digest == separate_digest
            without, no_digest = await list_read.whole_read(list_id, on)
            assert without is not None and without.row == read.row and no_digest == ""
        assert await list_read.whole_read(commune_id + 1000, on) == (None, "")

    cell_parts = await _reads_of(world.tenant_id, cell_id, on)
    assert {e["full_name"]: e["helper"] for e in cell_parts.entries}["Nguyễn Văn An"] == "Lê Giúp"
    assert {e["removal_reason"] for e in cell_parts.entries} >= {"Chuyển đi nơi khác"}
    assert any(not e["included"] and not e["removal_reason"] for e in cell_parts.entries)
    states = [t["to_state"] for t in cell_parts.transitions or []]
    assert states == ["draft", "adopted", "submitted", "accepted"]
    commune_parts = await _reads_of(world.tenant_id, commune_id, on)
    assert set((commune_parts.sources or {}).keys()) == {cell_id}
    assert commune_parts.acting is not None and commune_parts.acting[1], "the district acts"


async def _reads_of(tenant_id: int, list_id: int, on: dt.date) -> list_read.ListRead:
    with tenant_context(tenant_id):
        read, _ = await list_read.whole_read(list_id, on)
    assert read is not None
    return read
