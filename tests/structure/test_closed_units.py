"""A unit closed by a restructuring is history: it takes no new list or person, its pages
say until when it worked and who carries on, and a unit offers only the review periods it
existed in. Links to a predecessor or successor appear only for those who may open them."""

from __future__ import annotations

from nguon.org.tables import UnitSuccession
from nguon.tenancy.scoped import switch_tenant_in_transaction
from tests.conftest import Database
from tests.http.conftest import (
    AppClient,
    build_today_world,
    candidate_body,
    portal_login,
    token_for,
)
from tests.reports.test_dashboard_history import MERGED, _with_2024_tree


async def test_a_closed_unit_is_read_only_history(db: Database, client: AppClient) -> None:
    world = await build_today_world(db, "closed-units")
    # The old district's approver is not the commune committee's approver here.
    old = await _with_2024_tree(
        db, world.tenant_id, world.units["province"], world.users["cell_x_editor"]
    )
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            await UnitSuccession(
                tenant_id=world.tenant_id,
                predecessor=old["commune"],
                successor=world.units["committee"],
                effective_on=MERGED,
                change="merged",
            ).save()
    api = f"/t/{world.slug}/api/v1"
    admin = await token_for(client, world.slug, "admin")

    closed_list = await client.post(
        f"{api}/lists",
        json={"unit_id": old["cell"], "step": "survey", "period": "2025-Q2"},
        headers=admin,
    )
    assert closed_list.status_code == 400
    assert "đã kết thúc hoạt động" in closed_list.json()["detail"]
    before_life = await client.post(
        f"{api}/lists",
        json={"unit_id": world.units["cell_x"], "step": "survey", "period": "2025-Q1"},
        headers=admin,
    )
    assert before_life.status_code == 400
    assert before_life.json()["errors"][0]["field"] == "period"
    assert "không hoạt động trong kỳ 2025-Q1" in before_life.json()["detail"]
    person = await client.post(f"{api}/candidates", json=candidate_body(old["cell"]), headers=admin)
    assert person.status_code == 400
    assert person.json()["errors"][0]["field"] == "unit_id"

    await portal_login(client, world.slug, "admin")
    cell_page = await client.get(f"/t/{world.slug}/units/{old['cell']}")
    assert "Đơn vị hoạt động đến hết ngày 30/06/2025" in cell_page.text
    assert "Thêm quần chúng" not in cell_page.text
    assert "Đánh giá lại toàn đơn vị" not in cell_page.text
    cell_lists = await client.get(f"/t/{world.slug}/units/{old['cell']}/lists")
    assert "được giữ để tra cứu" in cell_lists.text and "Lập danh sách" not in cell_lists.text
    new_lists = await client.get(f"/t/{world.slug}/units/{world.units['cell_x']}/lists")
    assert 'value="2025-Q3"' in new_lists.text and 'value="2025-Q2"' not in new_lists.text

    # The commune committee that took over: its predecessor is linked for the admin.
    committee = await client.get(f"/t/{world.slug}/units/{world.units['committee']}")
    assert f'href="/t/{world.slug}/units/{old["commune"]}"' in committee.text
    # The committee's approver reads the history of the unit it took over (not more).
    await portal_login(client, world.slug, "committee_approver")
    own = await client.get(f"/t/{world.slug}/units/{world.units['committee']}")
    assert f'href="/t/{world.slug}/units/{old["commune"]}"' in own.text
    history = await client.get(f"/t/{world.slug}/units/{old['commune']}")
    assert history.status_code == 200 and "Chi bộ thôn 1" in history.text
    assert (
        "Lập danh sách"
        not in (await client.get(f"/t/{world.slug}/units/{old['commune']}/lists")).text
    )
    assert (await client.get(f"/t/{world.slug}/units/{old['district']}")).status_code == 404
    # ... and the old district's approver, who may not open the successor, sees its name only.
    await portal_login(client, world.slug, "cell_x_editor")
    old_commune = await client.get(f"/t/{world.slug}/units/{old['commune']}")
    assert "Từ ngày 01/07/2025, công việc do" in old_commune.text
    assert "Đảng ủy xã Như Quỳnh" in old_commune.text
    assert f'href="/t/{world.slug}/units/{world.units["committee"]}"' not in old_commune.text
