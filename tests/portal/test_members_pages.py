"""A unit's Party members in the portal: list and search, add (dd/mm/yyyy dates), a
member's history, and who may see and do what."""

from __future__ import annotations

import datetime as dt

from nguon.clock import today_in_vietnam
from tests.conftest import Database
from tests.http.conftest import AppClient, build_world, csrf_token_in, portal_login
from tests.portal.members_world import (
    add_member,
    audit_of,
    changes_of,
    member_form,
    members_of,
)


async def test_a_cell_secretary_adds_a_member_and_sees_the_history(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "members-add")
    slug, cell = world.slug, world.units["cell_x"]
    await portal_login(client, slug, "cell_x_editor")

    unit_page = await client.get(f"/t/{slug}/units/{cell}")
    assert f'href="/t/{slug}/units/{cell}/members"' in unit_page.text
    empty = await client.get(f"/t/{slug}/units/{cell}/members")
    assert "Không có đảng viên nào" in empty.text
    assert "Thêm đảng viên" in empty.text and "Nhập từ tệp" in empty.text

    member_id = await add_member(client, slug, cell)
    page = await client.get(f"/t/{slug}/members/{member_id}?done=added")
    assert page.status_code == 200
    assert "Đã thêm đảng viên." in page.text
    assert "Trần Thị Bình" in page.text
    assert "01.234567" in page.text
    assert "02/09/2005" in page.text and "02/09/2006" in page.text
    assert "Đảng viên chính thức" in page.text
    # The history names who did it by full name, never by username.
    assert "Thêm vào hệ thống" in page.text
    assert "Người dùng cell_x_editor" in page.text

    [stored] = await members_of(db, world)
    assert stored["date_of_birth"] == dt.date(1980, 3, 2)
    assert stored["admitted_on"] == dt.date(2005, 9, 2)
    assert stored["status"] == "full" and stored["unit"] == cell
    [change] = await changes_of(db, world, member_id)
    assert change["kind"] == "added" and change["actor_name"] == "Người dùng cell_x_editor"
    assert len(await audit_of(db, world, "member", "create")) == 1

    # Searching without diacritics finds her; the list shows her cell.
    listing = await client.get(f"/t/{slug}/units/{cell}/members", params={"q": "tran thi binh"})
    assert "Trần Thị Bình" in listing.text and "Chi bộ thôn Ngọc Đà" in listing.text
    other = await client.get(f"/t/{slug}/units/{cell}/members", params={"q": "nguyen"})
    assert "Trần Thị Bình" not in other.text


async def test_a_probationary_member_has_no_recognition_date(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "members-probation")
    slug, cell = world.slug, world.units["cell_x"]
    await portal_login(client, slug, "cell_x_editor")
    year_ago = (today_in_vietnam() - dt.timedelta(days=200)).strftime("%d/%m/%Y")
    member_id = await add_member(
        client, slug, cell, admitted_on=year_ago, official_on="", card_number=""
    )
    page = await client.get(f"/t/{slug}/members/{member_id}")
    assert "Đảng viên dự bị" in page.text
    [stored] = await members_of(db, world)
    assert stored["status"] == "probationary" and stored["card_number"] is None


async def test_bad_member_input_is_named_by_field_and_nothing_is_written(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "members-bad")
    slug, cell = world.slug, world.units["cell_x"]
    await portal_login(client, slug, "cell_x_editor")
    page = await client.get(f"/t/{slug}/units/{cell}/members/new")
    response = await client.post(
        f"/t/{slug}/units/{cell}/members/new",
        data={
            **member_form(cell),
            "full_name": "",
            "date_of_birth": "31/02/1980",
            "sex": "",
            "admitted_on": "02/09/1990",
            "official_on": "01/01/1989",
            "_csrf_token": csrf_token_in(page.text),
        },
    )
    assert response.status_code == 400
    assert "Hãy nhập họ và tên." in response.text
    assert "Ngày sinh không hợp lệ: “31/02/1980”" in response.text
    assert "Hãy ghi giới tính: Nam hoặc Nữ." in response.text
    assert "Ngày chính thức “01/01/1989” phải sau ngày vào Đảng (02/09/1990)." in response.text
    assert 'id="date_of_birth-error"' in response.text
    assert await members_of(db, world) == []

    # A card number already recorded is refused beside its field.
    await add_member(client, slug, cell)
    again = await client.post(
        f"/t/{slug}/units/{cell}/members/new",
        data={
            **member_form(cell, full_name="Lê Văn Cường"),
            "_csrf_token": csrf_token_in(page.text),
        },
    )
    assert again.status_code == 400
    assert "Số thẻ đảng viên 01.234567 đã được ghi cho Trần Thị Bình" in again.text
    assert len(await members_of(db, world)) == 1


async def test_a_committee_adds_to_any_of_its_cells_and_reads_them_all(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "members-committee")
    slug, units = world.slug, world.units
    await portal_login(client, slug, "district_1_editor")
    form = await client.get(f"/t/{slug}/units/{units['commune_1']}/members/new")
    # Both cells of the commune, each with its committee's name; none of the other district.
    assert "Chi bộ thôn Ngọc Đà — Đảng ủy xã Lạc Hồng" in form.text
    assert "Chi bộ thôn Đình Dù — Đảng ủy xã Lạc Hồng" in form.text
    assert "Trường THPT Ân Thi" not in form.text
    await add_member(client, slug, units["commune_1"], unit_id=str(units["cell_y"]))
    listing = await client.get(f"/t/{slug}/units/{units['district_1']}/members")
    assert "Trần Thị Bình" in listing.text and "Chi bộ thôn Đình Dù" in listing.text
    # A cell of another district cannot be chosen by posting its id.
    page = await client.get(f"/t/{slug}/units/{units['commune_1']}/members/new")
    refused = await client.post(
        f"/t/{slug}/units/{units['commune_1']}/members/new",
        data={
            **member_form(units["cell_z"], card_number="", full_name="Vũ Văn Dũng"),
            "_csrf_token": csrf_token_in(page.text),
        },
    )
    assert refused.status_code == 400 and "Hãy chọn chi bộ." in refused.text
    assert len(await members_of(db, world)) == 1


async def test_viewers_read_and_other_cells_see_nothing(db: Database, client: AppClient) -> None:
    world = await build_world(db, "members-perm")
    slug, cell = world.slug, world.units["cell_x"]
    await portal_login(client, slug, "cell_x_editor")
    member_id = await add_member(client, slug, cell)
    await client.post(
        f"/t/{slug}/logout",
        data={"_csrf_token": csrf_token_in((await client.get(f"/t/{slug}/")).text)},
    )

    await portal_login(client, slug, "cell_x_viewer")
    listing = await client.get(f"/t/{slug}/units/{cell}/members")
    assert listing.status_code == 200 and "Trần Thị Bình" in listing.text
    assert "Thêm đảng viên" not in listing.text
    page = await client.get(f"/t/{slug}/members/{member_id}")
    assert page.status_code == 200 and "Quá trình" in page.text
    assert "Chuyển sinh hoạt" not in page.text and "Ghi nhận kết thúc sinh hoạt" not in page.text
    token = csrf_token_in(page.text)
    assert (await client.get(f"/t/{slug}/units/{cell}/members/new")).status_code == 403
    assert (await client.get(f"/t/{slug}/units/{cell}/members/import")).status_code == 403
    assert (await client.get(f"/t/{slug}/units/{cell}/members/template.xlsx")).status_code == 403
    added = await client.post(
        f"/t/{slug}/units/{cell}/members/new",
        data={**member_form(cell, card_number="", full_name="Lê Văn Cường"), "_csrf_token": token},
    )
    assert added.status_code == 403
    ended = await client.post(
        f"/t/{slug}/members/{member_id}/end",
        data={
            "version": "1",
            "end_reason": "deceased",
            "end_on": "01/01/2024",
            "_csrf_token": token,
        },
    )
    assert ended.status_code == 403
    [stored] = await members_of(db, world)
    assert stored["ended_on"] is None

    # The secretary of the next cell neither sees nor touches this cell's members.
    await client.post(f"/t/{slug}/logout", data={"_csrf_token": token})
    await portal_login(client, slug, "cell_y_editor")
    assert (await client.get(f"/t/{slug}/members/{member_id}")).status_code == 404
    assert (await client.get(f"/t/{slug}/units/{cell}/members")).status_code == 404
    token = csrf_token_in((await client.get(f"/t/{slug}/")).text)
    moved = await client.post(
        f"/t/{slug}/members/{member_id}/transfer",
        data={
            "version": "1",
            "to_unit_id": str(world.units["cell_y"]),
            "on": "01/01/2024",
            "_csrf_token": token,
        },
    )
    assert moved.status_code == 404


async def test_another_tenants_member_is_not_found(db: Database, client: AppClient) -> None:
    ours = await build_world(db, "members-ours")
    theirs = await build_world(db, "members-theirs")
    await portal_login(client, theirs.slug, "admin")
    their_member = await add_member(client, theirs.slug, theirs.units["cell_x"])
    await portal_login(client, ours.slug, "admin")
    assert (await client.get(f"/t/{ours.slug}/members/{their_member}")).status_code == 404
    listing = await client.get(f"/t/{ours.slug}/units/{ours.units['province']}/members")
    assert "Trần Thị Bình" not in listing.text
