"""On a candidate's page: assign a Party member to help them, then propose them for
admission with two introducers."""

from __future__ import annotations

import datetime as dt
import re

from nguon.clock import today_in_vietnam
from nguon.people.tables import Candidate
from nguon.tenancy.scoped import switch_tenant_in_transaction
from tests.conftest import Database
from tests.courses.conftest import accept_sources_list
from tests.http.conftest import (
    AppClient,
    build_world,
    candidate_body,
    csrf_token_in,
    member_body,
    portal_login,
    token_for,
)

RESOLUTION = {
    "resolution.number": "12-NQ/CB",
    "resolution.adopted_on": today_in_vietnam().isoformat(),
    "resolution.members_total": "10",
    "resolution.members_present": "9",
    "resolution.members_agreeing": "9",
}


async def test_assign_a_helper_then_propose_for_admission(db: Database, client: AppClient) -> None:
    world = await build_world(db, "helper-pages")
    slug, cell = world.slug, world.units["cell_x"]
    headers = await token_for(client, slug, "admin")
    made = await client.post(
        f"/t/{slug}/api/v1/candidates",
        json=candidate_body(cell, full_name="Ngô Văn Tâm", political_standard="passed"),
        headers=headers,
    )
    candidate = made.json()["id"]
    for name in ("Trần Thị Bình", "Phạm Văn Cường"):
        member = await client.post(
            f"/t/{slug}/api/v1/members", json=member_body(cell, full_name=name), headers=headers
        )
        assert member.status_code == 201, member.text
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            await Candidate.update(
                {
                    Candidate.stage: "certified",
                    Candidate.certificate_number: "GCN-01",
                    Candidate.certificate_date: today_in_vietnam() - dt.timedelta(days=30),
                }
            ).where(Candidate.id == candidate)

    await portal_login(client, slug, "cell_x_editor")
    url = f"/t/{slug}/candidates/{candidate}"
    page = await client.get(url)
    assert "Phân công đảng viên giúp đỡ" in page.text
    binh = re.search(r'<option value="(\d+)">Trần Thị Bình', page.text)
    assert binh
    token, version = csrf_token_in(page.text), re.search(r'name="version" value="(\d+)"', page.text)
    assert version
    refused = await client.post(
        f"{url}/helpers",
        data={
            **RESOLUTION,
            "resolution.members_agreeing": "3",
            "member_id": binh.group(1),
            "version": version.group(1),
            "_csrf_token": token,
        },
    )
    assert refused.status_code == 400
    assert 'id="resolution.members_agreeing-error"' in refused.text
    assert "Nghị quyết không được thông qua" in refused.text
    assigned = await client.post(
        f"{url}/helpers",
        data={
            **RESOLUTION,
            "member_id": binh.group(1),
            "version": version.group(1),
            "_csrf_token": token,
        },
    )
    assert assigned.status_code == 303, assigned.text
    page = await client.get(assigned.headers["location"])
    assert "Đã phân công đảng viên giúp đỡ." in page.text
    assert "<strong>Trần Thị Bình</strong>" in page.text and "Nghị quyết số 12-NQ/CB" in page.text
    # The helper alone does not make an admission source: the accepted Step 3 list does.
    assert 'action="/t/' + slug + f'/candidates/{candidate}/propose"' not in page.text
    await accept_sources_list(client, db, world, headers, "cell_x", [candidate])
    page = await client.get(url)
    assert "Đề nghị kết nạp" in page.text

    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version
    nobody = await client.post(
        f"{url}/propose", data={"version": version.group(1), "_csrf_token": token}
    )
    assert "Hãy chọn đảng viên chính thức giới thiệu." in nobody.text
    ids = re.findall(r'name="introducer_id" value="(\d+)"', page.text)
    assert len(ids) == 2
    proposed = await client.post(
        f"{url}/propose",
        data={"version": version.group(1), "introducer_id": ids, "_csrf_token": token},
    )
    assert proposed.status_code == 303, proposed.text
    page = await client.get(proposed.headers["location"])
    assert "Đã chuyển sang làm thủ tục kết nạp." in page.text
    assert "Đang làm thủ tục kết nạp" in page.text
