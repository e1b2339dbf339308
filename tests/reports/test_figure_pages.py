"""The pages say one thing: what users found on the demo, pinned as fixed.

- a sub-unit's bar is its table row (both "in the source", admitted and removed people
  shown apart, and said so);
- the people by step add up to the people by sub-unit;
- the plan page and the dashboard give the same admitted and in-progress figures;
- two late cells of the same name are told apart by their parent;
- each page with figures explains them.
"""

from __future__ import annotations

import html
import re

from nguon.clock import today_in_vietnam
from nguon.org.tables import OrgUnit
from nguon.tenancy.scoped import switch_tenant_in_transaction
from tests.conftest import Database
from tests.courses.conftest import add_candidate, add_stage_change
from tests.http.conftest import AppClient, World, _add_unit, build_world, portal_login, token_for

_BARS = re.compile(r'<svg class="chart" id="(?P<id>[^"]+)"[^>]*aria-label="(?P<label>[^"]*)"')


def bars(page: str, chart_id: str) -> dict[str, int]:
    """The chart's bars as its spoken label reads them: {label: value}."""
    for match in _BARS.finditer(page):
        if match.group("id") == chart_id:
            spoken = html.unescape(match.group("label")).split(". ", 1)[1]
            pairs = (part.rsplit(": ", 1) for part in spoken.split("; ") if part)
            return {name: int(value.split(" ")[0]) for name, value in pairs}
    raise AssertionError(f"no chart {chart_id}")


def in_source_cells(page: str) -> dict[str, int]:
    """Each row's "in the source" cell of the sub-units' table, by row key."""
    table = page.split('id="h-children"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        r'<tr data-key="([^"]+)">.*?<td class="num in-source"><strong>(\d+)</strong>', table
    )
    return {key: int(n) for key, n in rows}


async def _people(db: Database, client: AppClient, world: World) -> None:
    """People in every stage, with this year's admissions, removals and proposals."""
    headers = await token_for(client, world.slug, "admin")
    today = today_in_vietnam()
    plan = (
        ("cell_x", None),
        ("cell_x", None),
        ("cell_x", "admitted"),
        ("cell_x", "removed"),
        ("cell_x", "admission_in_progress"),
        ("cell_y", None),
        ("cell_y", "admitted"),
        ("cell_y", "course_nominee"),
        ("cell_z", None),
    )
    for index, (unit, stage) in enumerate(plan):
        person = await add_candidate(client, world, headers, unit, f"Người thứ {index}")
        if stage is not None:
            await add_stage_change(db, world, person["id"], stage, today)


async def test_bars_rows_steps_and_plan_say_the_same(db: Database, client: AppClient) -> None:
    world = await build_world(db, "mot-so-lieu")
    await _people(db, client, world)
    await portal_login(client, world.slug, "admin")
    year = today_in_vietnam().year
    district = world.units["district_1"]
    page = (await client.get(f"/t/{world.slug}/units/{district}/dashboard")).text

    # Lạc Hồng's bar is its row: 5 in the source of 9 people, the admitted (2) and the
    # removed (1) in their own columns.
    children = bars(page, "chart-children")
    assert children == {"Đảng ủy xã Lạc Hồng": 5}
    assert in_source_cells(page) == {str(world.units["commune_1"]): 5}
    # The steps add up to the sub-units' bars and to the total shown.
    steps = bars(page, "chart-stages")
    assert sum(steps.values()) == sum(children.values()) == 5
    assert '<strong class="in-source-total">5</strong>' in page
    assert steps["Đang làm thủ tục kết nạp"] == 1
    assert "Đã kết nạp" not in steps and "Đã đưa ra khỏi danh sách" not in steps

    # The plan page reads the same figures.
    plan = (await client.get(f"/t/{world.slug}/units/{district}/plan/{year}")).text
    assert "Đã kết nạp <strong>2</strong>" in plan
    assert '<strong class="in-progress">1</strong>' in plan
    assert '<strong class="proposed-year">1</strong>' in plan
    quarters = bars(page, "chart-quarters")
    assert sum(quarters.values()) == 2

    # Both pages explain their figures.
    for text in (page, plan):
        assert "Cách tính các số liệu" in text
        assert "Đang làm thủ tục kết nạp" in text
        assert "không gồm người đã kết nạp hoặc đã đưa ra khỏi nguồn" in text or text is plan
        assert "Ngày tính số liệu" in text


async def test_late_cells_of_one_name_are_told_apart(db: Database, client: AppClient) -> None:
    world = await build_world(db, "trung-ten")
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            district = (
                await OrgUnit.objects().where(OrgUnit.id == world.units["district_2"]).first()
            )
            assert district is not None
            for commune_name in ("Đảng ủy xã Đặng Lễ", "Đảng ủy xã Quảng Lãng"):
                commune = await _add_unit(
                    world.tenant_id,
                    commune_name[-4:],
                    commune_name,
                    "grassroots_committee",
                    district,
                )
                await _add_unit(
                    world.tenant_id, f"{commune.id}-1", "Chi bộ thôn 1", "subordinate_cell", commune
                )
    await portal_login(client, world.slug, "admin")
    page = (await client.get(f"/t/{world.slug}/units/{world.units['district_2']}/dashboard")).text
    # The previous period's deadline has passed: both cells are late, each with its commune.
    late = page.split('id="h-late"', 1)[1].split("</section>", 1)[0]
    assert "Chi bộ thôn 1 — Đảng ủy xã Đặng Lễ" in late
    assert "Chi bộ thôn 1 — Đảng ủy xã Quảng Lãng" in late
    home = (await client.get(f"/t/{world.slug}/")).text
    assert "Chi bộ thôn 1 — Đảng ủy xã Đặng Lễ" in home
    assert "Cách tính các số liệu" in home and "Quá hạn" in home
