"""Dashboards count the tree of the period they show: a 2024 period the 2024 tree (its
districts and the cells under them), a current period today's (communes directly under
the province); a unit closed by a restructuring keeps a dashboard of its last year, and
its former users find it apart from their current units on the home page."""

from __future__ import annotations

import datetime as dt

from nguon.clock import today_in_vietnam
from nguon.org.tables import Membership, OrgUnit
from nguon.portal.progress import period_status
from nguon.reports.figures import subtree_figures
from nguon.rules.registry import load_package
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import switch_tenant_in_transaction
from tests.conftest import Database
from tests.http.conftest import AppClient, _add_unit, build_today_world, portal_login

MERGED = dt.date(2025, 7, 1)


async def _with_2024_tree(
    db: Database, tenant_id: int, province_id: int, approver_id: int
) -> dict[str, int]:
    """A 2024 district with a commune committee and a village cell, closed on 2025-07-01."""
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(tenant_id)
            province = await OrgUnit.objects().where(OrgUnit.id == province_id).first()
            made = {}
            district = await _add_unit(
                tenant_id, "VL", "Huyện ủy Văn Lâm", "district_committee", province
            )
            commune = await _add_unit(
                tenant_id, "LH", "Đảng ủy xã Lạc Hồng", "grassroots_committee", district
            )
            cell = await _add_unit(tenant_id, "LH1", "Chi bộ thôn 1", "subordinate_cell", commune)
            for key, unit in (("district", district), ("commune", commune), ("cell", cell)):
                await OrgUnit.update({OrgUnit.valid_to: MERGED}).where(OrgUnit.id == unit.id)
                made[key] = unit.id
            await Membership(
                tenant_id=tenant_id,
                user=approver_id,
                unit=district.id,
                role="approver",
                valid_from=dt.date(2020, 1, 1),
            ).save()
    return made


async def test_each_period_counts_the_tree_of_its_time(db: Database, client: AppClient) -> None:
    world = await build_today_world(db, "history-dash")
    old = await _with_2024_tree(
        db, world.tenant_id, world.units["province"], world.users["committee_approver"]
    )
    calendar = load_package("hungyen").calendar
    assert calendar is not None
    q4_2024 = next(p for p in calendar.periods(2024) if p.code == "2024-annual")
    current = calendar.period_for(today_in_vietnam())
    assert current is not None

    with db.as_owner(), tenant_context(world.tenant_id):
        province_path = f"{world.units['province']}."
        then = await period_status(province_path, q4_2024)
        now = await period_status(province_path, current)
        today = today_in_vietnam()
        figures_2024 = await subtree_figures(
            world.units["province"], province_path, 2024, today, [q4_2024]
        )
        figures_now = await subtree_figures(
            world.units["province"], province_path, today.year, today, [current]
        )

    assert then.expected == 2  # the 2024 commune committee and its cell
    assert {u.unit_id for u in then.missing} == {old["commune"], old["cell"]}
    assert now.expected == 2  # today's two village cells
    assert {u.unit_id for u in now.missing} == {world.units["cell_x"], world.units["cell_y"]}
    assert old["district"] in {u["id"] for u in figures_2024.units}
    assert world.units["committee"] not in {u["id"] for u in figures_2024.units}
    assert old["district"] not in {u["id"] for u in figures_now.units}
    assert figures_now.statuses[0].expected == 2

    await portal_login(client, world.slug, "committee_approver")
    home = await client.get(f"/t/{world.slug}/")
    assert home.status_code == 200
    current_part, _, closed_part = home.text.partition("Đơn vị trước sắp xếp")
    assert "Đảng ủy xã Như Quỳnh" in current_part
    assert "Huyện ủy Văn Lâm" in closed_part and "đến hết 30/06/2025" in closed_part
    dashboard = await client.get(f"/t/{world.slug}/units/{old['district']}/dashboard")
    assert dashboard.status_code == 200
    assert "Kết nạp đảng viên năm 2025" in dashboard.text  # its last year
    page = await client.get(f"/t/{world.slug}/units/{old['district']}")
    assert "Đơn vị hoạt động đến hết ngày 30/06/2025" in page.text
    assert "Đảng ủy xã Lạc Hồng" in page.text  # its sub-units, all closed with it
    await portal_login(client, world.slug, "admin")
    province = await client.get(f"/t/{world.slug}/units/{world.units['province']}")
    current_part, _, closed_part = province.text.partition("trước sắp xếp (")
    assert "Đảng ủy xã Như Quỳnh" in current_part and "Huyện ủy Văn Lâm" in closed_part
