"""``merge_tenants(..., structure=FILE)``: the merged units are placed in the new tree on the
merge date, in the same transaction as the move; history stays on the old rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from nguon.audit.tables import AuditEvent
from nguon.org.tables import OrgUnit, Restructuring
from nguon.people.tables import Candidate
from nguon.tenancy.context import tenant_context
from nguon.tenancy.merge import MergeRefused
from tests.conftest import Database
from tests.http.conftest import serving
from tests.merge.conftest import (
    MERGED_ON,
    Provinces,
    list_detail,
    list_history,
    merge_as_owner,
    tenant_row,
    tenant_state,
)

STRUCTURE = """\
tenant = "{slug}"
effective_on = 2025-07-01
reference = "Nghị quyết 202/2025/QH15 ngày 12/6/2025 về sắp xếp đơn vị hành chính cấp tỉnh"

[[open]]
code = "hy.lachong"
name = "Đảng ủy xã Lạc Hồng"
kind = "commune_committee"
bloc = "commune"
parent = "hy"

[[open]]
code = "hy.songan"
name = "Đảng ủy xã Song An"
kind = "commune_committee"
bloc = "commune"
parent = "hy"

[[move]]
code = "hy.d1.xa.thon-1"
parent = "hy.lachong"
new_code = "hy.lachong.ngocda"

[[move]]
code = "tb.d1.xa.thon-1"
parent = "hy.songan"
new_code = "hy.songan.trungan"

[[merge]]
codes = ["hy.d1.xa"]
into = "hy.lachong"

[[merge]]
codes = ["tb.d1.xa"]
into = "hy.songan"

[[merge]]
codes = ["tb.btc"]
into = "hy.btc"

[[close]]
code = "hy.d1"

[[close]]
code = "tb"
"""


def _file(tmp_path: Path, slug: str, text: str = STRUCTURE) -> Path:
    path = tmp_path / "hop-nhat-2025.toml"
    path.write_text(text.format(slug=slug), encoding="utf-8")
    return path


async def _units(db: Database, tenant_id: int) -> dict[str, dict]:
    with db.as_owner(), tenant_context(tenant_id):
        rows = await OrgUnit.select().where(OrgUnit.tenant_id == tenant_id)
    return {row["code"]: row for row in rows}


async def test_the_merge_places_the_merged_units_in_the_new_tree_and_keeps_history(
    db: Database, provinces: Provinces, tmp_path: Path
) -> None:
    p = provinces
    path = _file(tmp_path, p.target.slug)
    async with serving(db) as client:
        before = await list_detail(client, p.source.slug, "tb.cell", p.source.list_id)
    source = await tenant_state(db, p.source.tenant_id)
    target = await tenant_state(db, p.target.tenant_id)

    dry = await merge_as_owner(db, p, structure=path, dry_run=True)
    assert dry.restructuring is not None and dry.restructuring.dry_run
    assert dry.restructuring.summary.units_created == 4
    assert await tenant_state(db, p.source.tenant_id) == source
    assert await tenant_state(db, p.target.tenant_id) == target

    report = await merge_as_owner(db, p, structure=path)

    assert report.restructuring is not None and report.restructuring.applied
    assert report.restructuring.summary == dry.restructuring.summary
    assert report.restructuring.summary.candidates == 6
    units = await _units(db, p.target.tenant_id)
    old_cell, new_cell = units["tb.d1.xa.thon-1"], units["hy.songan.trungan"]
    assert old_cell["valid_to"] == MERGED_ON and new_cell["valid_from"] == MERGED_ON
    assert new_cell["parent"] == units["hy.songan"]["id"]
    assert new_cell["name"] == "Chi bộ thôn Trung An"
    assert units["tb"]["valid_to"] == MERGED_ON and units["tb.btc"]["valid_to"] == MERGED_ON
    in_force = sorted(code for code, u in units.items() if u["valid_to"] is None)
    assert in_force == [
        "hy",
        "hy.btc",
        "hy.lachong",
        "hy.lachong.ngocda",
        "hy.songan",
        "hy.songan.trungan",
    ]
    with db.as_owner(), tenant_context(p.target.tenant_id):
        people = await Candidate.select(Candidate.id, Candidate.unit).where(
            Candidate.id.is_in(p.source.candidates)
        )
        applied = await Restructuring.select().where(Restructuring.tenant_id == p.target.tenant_id)
        merged = (
            await AuditEvent.select(AuditEvent.after)
            .where(AuditEvent.tenant_id == p.target.tenant_id, AuditEvent.action == "tenant_merged")
            .output(load_json=True)
        )
    assert {row["unit"] for row in people} == {new_cell["id"]}
    assert [r["effective_on"] for r in applied if r["source"] != "test"] == [MERGED_ON]
    assert merged[0]["after"]["structure"] == path.name
    assert (await tenant_row(db, p.source.tenant_id))["merged_into"] == p.target.slug

    # Thái Bình's 2024 list still shows its 2024 cell, its commune as receiver, its history.
    async with serving(db) as client:
        after = await list_detail(client, p.target.slug, "tb.cell", p.source.list_id)
    assert list_history(after) == list_history(before)
    assert after["list"]["unit_id"] == old_cell["id"]
    assert after["list"]["receiver_unit_name"] == "Đảng ủy xã Song An"
    assert after["list"]["receiver_unit_id"] == units["tb.d1.xa"]["id"]

    again = await merge_as_owner(db, p, structure=path)
    assert again.already_merged and again.total == 0


async def test_a_restructuring_that_cannot_apply_refuses_the_whole_merge(
    db: Database, provinces: Provinces, tmp_path: Path
) -> None:
    p = provinces
    broken = STRUCTURE.replace('code = "tb.d1.xa.thon-1"', 'code = "tb.d1.xa.thon-9"')
    path = _file(tmp_path, p.target.slug, broken)
    source = await tenant_state(db, p.source.tenant_id)
    target = await tenant_state(db, p.target.tenant_id)

    with pytest.raises(MergeRefused) as refused:
        await merge_as_owner(db, p, structure=path)

    problems = "\n".join(refused.value.problems)
    assert "tb.d1.xa.thon-9" in problems and "hop-nhat-2025.toml" in problems
    assert await tenant_state(db, p.source.tenant_id) == source
    assert await tenant_state(db, p.target.tenant_id) == target
    assert (await tenant_row(db, p.source.tenant_id))["merged_into"] is None


async def test_a_restructuring_file_of_another_tenant_or_date_is_refused(
    db: Database, provinces: Provinces, tmp_path: Path
) -> None:
    p = provinces
    wrong = _file(tmp_path, p.third.slug, STRUCTURE.replace("2025-07-01", "2025-08-01"))
    with pytest.raises(MergeRefused) as refused:
        await merge_as_owner(db, p, structure=wrong)
    assert refused.value.problems == [
        f"{wrong}: tenant = {p.third.slug!r}, but the merge restructures {p.target.slug!r}",
        f"{wrong}: effective_on = 2025-08-01, but the merge is on 2025-07-01",
    ]
