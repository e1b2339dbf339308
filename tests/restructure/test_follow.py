"""Which lists and plans follow a successor, which are re-routed, and which stay."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from nguon.org.restructure import RestructuringRefused, restructure_file
from nguon.pipeline.tables import AdmissionPlan, CandidateList
from nguon.tenancy.context import tenant_context
from tests.conftest import Database
from tests.restructure.conftest import (
    RESTRUCTURING,
    build_world,
    make_list,
    tenant_fingerprint,
    units_by_code,
    write_file,
)

Q3 = ("2025-Q3", dt.date(2025, 7, 1), dt.date(2025, 9, 30))

RENAME_BOARD = """
[[rename]]
code = "hy.btc"
name = "Ban Tổ chức Tỉnh ủy Hưng Yên"
"""


async def _add_lists(
    db: Database, tenant_id: int, lists: dict[str, tuple[Any, ...]]
) -> dict[str, int]:
    ids: dict[str, int] = {}
    units = await units_by_code(tenant_id)
    with db.as_owner(), tenant_context(tenant_id):
        async with db.owner.transaction():
            for key, (unit, receiver, state, step) in lists.items():
                row = make_list(tenant_id, units[unit], units[receiver], *Q3, state)
                row.step = step
                await row.save().run()
                ids[key] = row.id
    return ids


async def _lists(tenant_id: int, ids: dict[str, int]) -> dict[str, dict[str, Any]]:
    with tenant_context(tenant_id):
        rows = await CandidateList.select().where(
            CandidateList.tenant_id == tenant_id, CandidateList.id.is_in(list(ids.values()))
        )
    by_id = {row["id"]: row for row in rows}
    return {key: by_id[list_id] for key, list_id in ids.items()}


async def test_sibling_cells_lists_and_a_list_whose_receiver_is_renamed(
    db: Database, tmp_path: Path
) -> None:
    world = await build_world(db)
    ids = await _add_lists(
        db,
        world.tenant_id,
        {
            "tdp-1": ("hy.hungyen.leloi.tdp-1", "hy.hungyen.leloi", "draft", "survey"),
            "tdp-2": ("hy.hungyen.leloi.tdp-2", "hy.hungyen.leloi", "adopted", "survey"),
            "police": ("hy.ca", "hy.btc", "submitted", "survey"),
        },
    )
    report = await restructure_file(write_file(tmp_path, world.slug, RESTRUCTURING + RENAME_BOARD))
    assert report.summary.lists == 3 and report.summary.lists_rerouted == 1
    units = await units_by_code(world.tenant_id)
    lists = await _lists(world.tenant_id, ids)
    commune = units["hy.phohien"]["id"]
    assert lists["tdp-1"]["unit"] == units["hy.phohien.tdp-1"]["id"]
    assert lists["tdp-2"]["unit"] == units["hy.hungyen.leloi.tdp-2-20250701"]["id"]
    assert lists["tdp-1"]["receiver_unit"] == lists["tdp-2"]["receiver_unit"] == commune
    # The Police committee stays; the board it reports to has a new row from D.
    assert lists["police"]["unit"] == units["hy.ca"]["id"]
    assert lists["police"]["receiver_unit"] == units["hy.btc-20250701"]["id"]


async def test_a_draft_list_of_a_period_still_open_follows_a_submitted_one_stays(
    db: Database, tmp_path: Path
) -> None:
    world = await build_world(db)
    ids = await _add_lists(
        db,
        world.tenant_id,
        {
            "draft": ("hy.hungyen.thpt", "hy.hungyen", "returned", "course_nominees"),
            "sent": ("hy.hungyen.thpt", "hy.hungyen", "submitted", "admission_sources"),
        },
    )
    text = RESTRUCTURING.replace("effective_on = 2025-07-01", "effective_on = 2025-07-15")
    report = await restructure_file(write_file(tmp_path, world.slug, text))
    # The returned list and the world's draft survey list follow; the submitted one stays.
    assert report.summary.lists == 2
    units = await units_by_code(world.tenant_id)
    new = units["hy.phohien.thpt"]
    assert new["valid_from"] == dt.date(2025, 7, 15)
    lists = await _lists(world.tenant_id, {**ids, "survey": world.lists["thpt-2025-q3"]})
    assert (lists["draft"]["unit"], lists["draft"]["receiver_unit"]) == (
        new["id"],
        units["hy.phohien"]["id"],
    )
    assert (lists["sent"]["unit"], lists["sent"]["receiver_unit"]) == (
        units["hy.hungyen.thpt"]["id"],
        units["hy.hungyen"]["id"],
    )
    assert lists["survey"]["unit"] == new["id"]  # a draft of the period open on D


async def test_merged_units_whose_lists_or_plans_would_collide_are_refused(
    db: Database, tmp_path: Path
) -> None:
    world = await build_world(db)
    await _add_lists(
        db,
        world.tenant_id,
        {
            "leloi": ("hy.hungyen.leloi", "hy.hungyen", "draft", "survey"),
            "minhkhai": ("hy.hungyen.minhkhai", "hy.hungyen", "draft", "survey"),
        },
    )
    units = await units_by_code(world.tenant_id)
    with db.as_owner(), tenant_context(world.tenant_id):
        async with db.owner.transaction():
            for code in ("hy.hungyen.leloi", "hy.hungyen.minhkhai"):
                await (
                    AdmissionPlan(
                        tenant_id=world.tenant_id,
                        unit=units[code]["id"],
                        unit_path=units[code]["path"],
                        year=2026,
                        target_year=3,
                    )
                    .save()
                    .run()
                )
    before = await tenant_fingerprint(db, world.tenant_id)
    path = write_file(tmp_path, world.slug)
    with pytest.raises(RestructuringRefused) as refused:
        await restructure_file(path)
    line = RESTRUCTURING.splitlines().index('  "hy.hungyen.minhkhai",') + 1
    problems = refused.value.problems
    assert len(problems) == 2, problems
    assert problems[0].startswith(f"{path}:{line}: code hy.hungyen.minhkhai: its list ")
    assert "(survey, 2025-Q3) would join list" in problems[0]
    assert problems[1].startswith(f"{path}:{line}: code hy.hungyen.minhkhai: its admission plan ")
    assert "for 2026 would join plan" in problems[1]
    assert await tenant_fingerprint(db, world.tenant_id) == before
