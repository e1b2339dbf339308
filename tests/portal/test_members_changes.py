"""Transferring a Party member between cells and ending membership, each dated with its
reason and author in the member's history; the helper choice on a candidate's page."""

from __future__ import annotations

import datetime as dt
import re

from nguon.clock import today_in_vietnam
from nguon.org.tables import Membership
from nguon.tenancy.scoped import switch_tenant_in_transaction
from tests.conftest import Database
from tests.http.conftest import AppClient, build_world, csrf_token_in, portal_login
from tests.portal.members_world import (
    add_member,
    audit_of,
    certified_candidate,
    changes_of,
    helpers_of,
    members_of,
    version_in,
)
from tests.portal.test_helpers import RESOLUTION


async def test_a_committee_transfers_a_member_within_its_subtree(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "members-transfer")
    slug, units = world.slug, world.units
    await portal_login(client, slug, "district_1_editor")
    member_id = await add_member(client, slug, units["cell_x"])
    url = f"/t/{slug}/members/{member_id}"
    page = await client.get(url)
    # Only the cells of the reader's subtree are offered, never the member's own.
    assert "Chi bộ thôn Đình Dù — Đảng ủy xã Lạc Hồng" in page.text
    assert "Trường THPT Ân Thi" not in page.text
    token, version = csrf_token_in(page.text), version_in(page.text, f"{url}/transfer")

    too_early = await client.post(
        f"{url}/transfer",
        data={
            "version": version,
            "to_unit_id": str(units["cell_y"]),
            "on": "01/01/2001",
            "reason": "",
            "_csrf_token": token,
        },
    )
    assert too_early.status_code == 400
    assert "Ngày phải từ ngày vào Đảng (02/09/2005) trở đi" in too_early.text

    # Another district's cell: not in the reader's subtree, so not found; nothing moves.
    outside = await client.post(
        f"{url}/transfer",
        data={
            "version": version,
            "to_unit_id": str(units["cell_z"]),
            "on": "01/06/2024",
            "_csrf_token": token,
        },
    )
    assert outside.status_code == 404
    [stored] = await members_of(db, world)
    assert stored["unit"] == units["cell_x"]

    moved = await client.post(
        f"{url}/transfer",
        data={
            "version": version,
            "to_unit_id": str(units["cell_y"]),
            "on": "01/06/2024",
            "reason": "Giấy giới thiệu sinh hoạt đảng số 15",
            "_csrf_token": token,
        },
    )
    assert moved.status_code == 303, moved.text
    page = await client.get(moved.headers["location"])
    assert "Đã chuyển sinh hoạt đảng viên." in page.text
    assert "từ Chi bộ thôn Ngọc Đà sang Chi bộ thôn Đình Dù" in page.text
    assert "01/06/2024" in page.text and "Giấy giới thiệu sinh hoạt đảng số 15" in page.text
    assert "Người dùng district_1_editor" in page.text
    [stored] = await members_of(db, world)
    assert stored["unit"] == units["cell_y"] and stored["unit_path"].endswith(f"{units['cell_y']}.")
    kinds = [c["kind"] for c in await changes_of(db, world, member_id)]
    assert kinds == ["added", "transferred"]
    assert len(await audit_of(db, world, "member", "transfer")) == 1

    # The form read before the move is stale now.
    stale = await client.post(
        f"{url}/transfer",
        data={
            "version": version,
            "to_unit_id": str(units["cell_x"]),
            "on": "02/06/2024",
            "_csrf_token": token,
        },
    )
    assert stale.status_code == 400 and "đã được người khác sửa" in stale.text


async def test_a_cell_secretary_cannot_move_a_member_out_of_their_cell(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "members-transfer-cell")
    slug, units = world.slug, world.units
    await portal_login(client, slug, "cell_x_editor")
    member_id = await add_member(client, slug, units["cell_x"])
    url = f"/t/{slug}/members/{member_id}"
    page = await client.get(url)
    assert "do cấp ủy cấp trên quản lý cả hai chi bộ thực hiện" in page.text
    refused = await client.post(
        f"{url}/transfer",
        data={
            "version": "1",
            "to_unit_id": str(units["cell_y"]),
            "on": "01/06/2024",
            "_csrf_token": csrf_token_in(page.text),
        },
    )
    assert refused.status_code == 404
    [stored] = await members_of(db, world)
    assert stored["unit"] == units["cell_x"]


async def test_ending_membership_ends_the_help_and_leaves_the_choice(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "members-end")
    slug, cell = world.slug, world.units["cell_x"]
    candidate = await certified_candidate(db, client, world, cell)
    await portal_login(client, slug, "cell_x_editor")
    member_id = await add_member(client, slug, cell)
    other_id = await add_member(client, slug, cell, full_name="Phạm Văn Cường", card_number="")
    candidate_url = f"/t/{slug}/candidates/{candidate}"
    page = await client.get(candidate_url)
    token = csrf_token_in(page.text)
    assigned = await client.post(
        f"{candidate_url}/helpers",
        data={
            **RESOLUTION,
            "member_id": str(member_id),
            "_csrf_token": token,
            "version": re.search(r'name="version" value="(\d+)"', page.text).group(1),
        },
    )
    assert assigned.status_code == 303, assigned.text

    url = f"/t/{slug}/members/{member_id}"
    page = await client.get(url)
    assert "Đang giúp đỡ" in page.text and "1 quần chúng" in page.text
    version = version_in(page.text, f"{url}/end")
    no_note = await client.post(
        f"{url}/end",
        data={
            "version": version,
            "end_reason": "other",
            "end_on": "01/06/2025",
            "note": "",
            "_csrf_token": token,
        },
    )
    assert no_note.status_code == 400 and "Hãy ghi rõ lý do." in no_note.text
    today = today_in_vietnam().strftime("%d/%m/%Y")
    ended = await client.post(
        f"{url}/end",
        data={
            "version": version,
            "end_reason": "deceased",
            "end_on": today,
            "note": "Giấy báo tử số 12",
            "_csrf_token": token,
        },
    )
    assert ended.status_code == 303, ended.text
    page = await client.get(ended.headers["location"])
    assert "Đã ghi nhận kết thúc sinh hoạt." in page.text
    assert "Từ trần: Giấy báo tử số 12" in page.text
    assert "Ghi nhận kết thúc sinh hoạt" not in page.text  # no second end
    [ended_member] = [m for m in await members_of(db, world) if m["id"] == member_id]
    assert ended_member["ended_on"] == today_in_vietnam()
    assert ended_member["end_reason"] == "deceased"
    [help_row] = await helpers_of(db, world, member_id)
    assert help_row["ended_on"] == today_in_vietnam()
    assert "kết thúc sinh hoạt: Từ trần" in help_row["end_reason"]
    assert len(await audit_of(db, world, "member", "end")) == 1

    # She is no longer offered; the list keeps her under "ended".
    candidate_page = await client.get(candidate_url)
    assert f'<option value="{member_id}"' not in candidate_page.text
    assert f'<option value="{other_id}"' in candidate_page.text
    current = await client.get(f"/t/{slug}/units/{cell}/members")
    assert "Trần Thị Bình" not in current.text
    gone = await client.get(f"/t/{slug}/units/{cell}/members", params={"state": "ended"})
    assert "Trần Thị Bình" in gone.text and "Từ trần" in gone.text

    # And the helper form refuses her if posted anyway.
    version = re.search(r'name="version" value="(\d+)"', candidate_page.text).group(1)
    refused = await client.post(
        f"{candidate_url}/helpers",
        data={**RESOLUTION, "member_id": str(member_id), "version": version, "_csrf_token": token},
    )
    assert refused.status_code == 400 and "đã kết thúc sinh hoạt" in refused.text


async def test_the_helper_choice_explains_itself_when_empty(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "members-helper-choice")
    slug, cell = world.slug, world.units["cell_x"]
    candidate = await certified_candidate(db, client, world, cell)
    await portal_login(client, slug, "cell_x_editor")
    url = f"/t/{slug}/candidates/{candidate}"

    empty = await client.get(url)
    assert 'id="helper-none"' in empty.text
    assert "Chi bộ thôn Ngọc Đà chưa có đảng viên nào trong hệ thống" in empty.text
    assert f'href="/t/{slug}/units/{cell}/members/new"' in empty.text
    assert 'name="member_id"' not in empty.text

    # A member of the next cell does not count; a probationary one cannot help.
    await add_member(client, slug, cell, official_on="", card_number="")
    probation = await client.get(url)
    assert "có 1 đảng viên nhưng đều là đảng viên dự bị" in probation.text

    official = await add_member(client, slug, cell, full_name="Phạm Văn Cường", card_number="")
    filled = await client.get(url)
    assert 'id="helper-none"' not in filled.text
    assert f'<option value="{official}">Phạm Văn Cường</option>' in filled.text
    assert "Trần Thị Bình</option>" not in filled.text


async def test_a_receiving_cell_the_reader_only_reads_is_forbidden(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "members-transfer-read")
    slug, units = world.slug, world.units
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            await Membership(
                tenant_id=world.tenant_id,
                user=world.users["cell_x_editor"],
                unit=units["cell_y"],
                role="viewer",
                valid_from=dt.date(2020, 1, 1),
            ).save()
    await portal_login(client, slug, "cell_x_editor")
    member_id = await add_member(client, slug, units["cell_x"])
    page = await client.get(f"/t/{slug}/members/{member_id}")
    # The cell read-only is not offered, and posting it is refused with 403.
    assert "Chi bộ thôn Đình Dù —" not in page.text
    refused = await client.post(
        f"/t/{slug}/members/{member_id}/transfer",
        data={
            "version": "1",
            "to_unit_id": str(units["cell_y"]),
            "on": "01/06/2024",
            "_csrf_token": csrf_token_in(page.text),
        },
    )
    assert refused.status_code == 403
    assert "Chi bộ nhận không thuộc phạm vi bạn quản lý" in refused.text
    [stored] = await members_of(db, world)
    assert stored["unit"] == units["cell_x"] and stored["version"] == 1
