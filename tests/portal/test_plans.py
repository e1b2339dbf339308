"""The plan page: targets by quarter that must add up, progress and a chart."""

from __future__ import annotations

from tests.conftest import Database
from tests.http.conftest import AppClient, build_world, csrf_token_in, portal_login


async def test_targets_must_add_up_and_then_show_with_the_progress(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "plan-page")
    slug, district = world.slug, world.units["district_1"]
    await portal_login(client, slug, "admin")
    url = f"/t/{slug}/units/{district}/plan/2026"
    dashboard = await client.get(f"/t/{slug}/units/{district}/dashboard")
    assert f'href="{url}"' in dashboard.text
    page = await client.get(url)
    assert "Chưa đặt chỉ tiêu cho năm 2026" in page.text
    assert '<label for="target_q3">Quý 3' in page.text
    targets = {"target_q1": "2", "target_q2": "3", "target_q3": "3", "target_q4": "3"}
    wrong = await client.post(
        url,
        data={
            "version": "0",
            "target_year": "10",
            **targets,
            "_csrf_token": csrf_token_in(page.text),
        },
    )
    assert wrong.status_code == 400
    assert "Tổng chỉ tiêu 4 quý là 11, khác chỉ tiêu cả năm 10" in wrong.text
    assert 'id="target_year-error"' in wrong.text and 'value="10"' in wrong.text
    saved = await client.post(
        url,
        data={
            "version": "0",
            "target_year": "11",
            **targets,
            "_csrf_token": csrf_token_in(page.text),
        },
    )
    assert saved.status_code == 303
    page = await client.get(saved.headers["location"])
    assert "Đã lưu chỉ tiêu." in page.text and "Đã kết nạp <strong>0</strong>/11" in page.text
    assert 'role="img"' in page.text  # the chart
    assert "Đảng ủy xã Lạc Hồng" in page.text  # the sub-unit row
    assert 'name="version" value="1"' in page.text

    await portal_login(client, slug, "cell_x_editor")
    cell_plan = await client.get(f"/t/{slug}/units/{world.units['cell_x']}/plan/2026")
    assert cell_plan.status_code == 200 and "Lưu chỉ tiêu" not in cell_plan.text


async def test_a_unit_without_its_own_target_says_its_sub_units_total(
    db: Database, client: AppClient
) -> None:
    """The dashboard counts a unit's target as its sub-units' total when it has none of its
    own; the plan page says the same instead of "no target"."""
    world = await build_world(db, "plan-sum")
    slug, district = world.slug, world.units["district_1"]
    await portal_login(client, slug, "admin")
    url = f"/t/{slug}/units/{district}/plan/2026"
    page = await client.get(url)
    saved = await client.post(
        url,
        data={
            "version": "0",
            "target_year": "12",
            "target_q1": "3",
            "target_q2": "3",
            "target_q3": "3",
            "target_q4": "3",
            "_csrf_token": csrf_token_in(page.text),
        },
    )
    assert saved.status_code == 303
    parent = (await client.get(url.replace(str(district), str(world.units["province"])))).text
    assert "Chưa đặt chỉ tiêu cho năm 2026" not in parent
    said = 'tổng chỉ tiêu của các đơn vị trực thuộc là <strong class="sub-units-target">12'
    assert said in parent
    assert "Đã kết nạp <strong>0</strong>/12" in parent
