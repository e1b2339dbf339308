"""A list exported as the province's printed form (the XLSX plugin), read back: number,
place and date, "Nơi nhận", signer, reasons in "Ghi chú", real numbers and dates,
Vietnamese sheet and file names; and a list with no form answers 400 in Vietnamese."""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from typing import Any
from urllib.parse import unquote

from nguon_list_forms_xlsx.layout import FIRST_DATA_ROW, HEADER_ROW, NUMBER_ROW
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from nguon.org.tables import OrgUnit
from nguon.pipeline.lists import resolve_period
from nguon.pipeline.tables import CandidateList
from nguon.rules.registry import load_package
from nguon.tenancy.scoped import switch_tenant_in_transaction
from tests.conftest import Database
from tests.http.conftest import AppClient, portal_login
from tests.pipeline.conftest import PERIOD, Driver, build_chain_world
from tests.pipeline.signed_list import (
    ADDED_REASON,
    ADOPTER,
    REMOVED_REASON,
    signed_list,
)

FILE_NAME = "Danh-sách-bước-1_Chi-bộ-thôn-Ngọc-Đà_Q2-2024.xlsx"
ASCII_NAME = "Danh-sach-buoc-1_Chi-bo-thon-Ngoc-Da_Q2-2024.xlsx"


def sheet_of(content: bytes) -> Worksheet:
    workbook = load_workbook(BytesIO(content))
    assert len(workbook.worksheets) == 1
    return workbook.worksheets[0]


def texts(sheet: Worksheet) -> list[str]:
    return [cell.value for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]


def table(sheet: Worksheet) -> list[dict[str, Any]]:
    """Rows under the header up to the first empty one, by header (the removed section's
    heading row included as it is)."""
    headers = [cell.value for cell in sheet[HEADER_ROW] if cell.value]
    rows = []
    for values in sheet.iter_rows(min_row=FIRST_DATA_ROW, max_col=len(headers), values_only=True):
        if all(value is None for value in values):
            break
        rows.append(dict(zip(headers, values, strict=True)))
    return rows


async def test_the_exported_form_is_one_a_committee_can_sign(
    db: Database, client: AppClient
) -> None:
    world = await build_chain_world(db, "export-form")
    drive = Driver(client, world)
    made = await signed_list(drive)

    response = await drive.call("x_viewer", "GET", f"/lists/{made.list_id}/export?number=07")

    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; ")
    assert f'filename="{ASCII_NAME}"' in disposition
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == FILE_NAME and encoded.isascii()
    sheet = sheet_of(response.content)
    assert sheet.title == "Danh sách bước 1"
    assert sheet.cell(NUMBER_ROW, 1).value == "Số 07-DS/CB"
    shown = texts(sheet)
    assert "Lạc Hồng, ngày 20 tháng 6 năm 2024" in shown
    assert shown[-6:] == [
        "Nơi nhận:",
        "T/M CHI BỘ",
        "- Đảng ủy xã Lạc Hồng,",
        "BÍ THƯ",
        "- Lưu.",
        ADOPTER,
    ]

    rows = table(sheet)
    assert [r["Họ và tên"] for r in rows] == [
        *made.included,
        None,  # the heading of the people taken off spans the row from the first column
        *made.removed,
    ]
    hoa, an, heading, binh = rows
    assert [hoa["STT"], an["STT"], binh["STT"]] == [1, 2, 1]
    assert heading["STT"] == "Quần chúng đưa ra khỏi danh sách"
    born = [r["Ngày, tháng, năm sinh"] for r in (hoa, an, binh)]
    assert born == [dt.datetime(2001, 2, 5), dt.datetime(2000, 3, 1), dt.datetime(1999, 11, 25)]
    first = sheet.cell(FIRST_DATA_ROW, 3)
    assert first.is_date and first.number_format == "DD/MM/YYYY"
    assert hoa["Ghi chú"] == f"Lý do đưa vào danh sách: {ADDED_REASON}"
    assert an["Ghi chú"] is None
    assert binh["Ghi chú"] == f"Lý do đưa ra khỏi danh sách: {REMOVED_REASON}"


async def test_number_and_signer_are_filled_in_at_export(db: Database, client: AppClient) -> None:
    world = await build_chain_world(db, "export-signer")
    drive = Driver(client, world)
    made = await signed_list(drive)
    url = f"/lists/{made.list_id}/export"

    unnumbered = sheet_of((await drive.call("x_viewer", "GET", url)).content)
    assert unnumbered.cell(NUMBER_ROW, 1).value == "Số \u00a0\u00a0\u00a0\u00a0\u00a0\u00a0-DS/CB"

    signed = await drive.call(
        "x_viewer", "GET", f"{url}?signer=%20Ph%E1%BA%A1m%20V%C4%83n%20%C4%90%E1%BB%A9c%20"
    )
    assert texts(sheet_of(signed.content))[-1] == "Phạm Văn Đức"

    with_symbol = await drive.call("x_viewer", "GET", f"{url}?number=07-DS/CB")
    assert with_symbol.status_code == 400
    assert with_symbol.json()["detail"].startswith("Chỉ ghi số văn bản (ví dụ 05)")
    for half_a_symbol in ("07-DS", "07/CB"):  # either half of the symbol is refused too
        refused = await drive.call("x_viewer", "GET", f"{url}?number={half_a_symbol}")
        assert refused.status_code == 400, half_a_symbol
        assert refused.json()["detail"].startswith("Chỉ ghi số văn bản (ví dụ 05)")
    too_long = await drive.call("x_viewer", "GET", f"{url}?signer={'x' * 121}")
    assert too_long.status_code == 400 and "signer" in too_long.text


async def test_a_list_adopted_by_someone_outside_the_unit_leaves_the_name_to_write(
    db: Database, client: AppClient
) -> None:
    world = await build_chain_world(db, "export-admin")
    drive = Driver(client, world)
    await drive.candidate("cell_y", "Vũ Văn Hải")
    list_id = (await drive.create("y_editor", "cell_y"))["list"]["id"]
    await drive.adopt_and_submit("admin", list_id)

    sheet = sheet_of((await drive.call("admin", "GET", f"/lists/{list_id}/export")).content)

    assert "Đồng chí admin" not in texts(sheet)
    assert texts(sheet)[-2:] == ["BÍ THƯ", "- Lưu."]


async def test_the_organisation_boards_list_is_dated_from_the_province(
    db: Database, client: AppClient
) -> None:
    world = await build_chain_world(db, "export-board")
    drive = Driver(client, world)
    list_id = (await drive.create("board_approver", "board"))["list"]["id"]

    response = await drive.call("board_approver", "GET", f"/lists/{list_id}/export?number=12")

    sheet = sheet_of(response.content)
    assert sheet.title == "Tổng hợp bước 1"
    assert sheet.cell(NUMBER_ROW, 1).value == "Số 12-DS/BTCTU"
    assert any(text.startswith("Hưng Yên, ngày ") for text in texts(sheet))
    assert "- Tỉnh ủy Hưng Yên," in texts(sheet)


async def _training_centre_list(db: Database, tenant_id: int, district: int) -> int:
    """A list at a district's political training centre (a unit that makes no list by the
    forms), as older data may hold one."""
    package = load_package("hungyen")
    period = resolve_period(package, PERIOD)
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(tenant_id)
            parent = await OrgUnit.select().where(OrgUnit.id == district).first().run()
            assert parent is not None
            centre = OrgUnit(
                tenant_id=tenant_id,
                code="TTCT-VL",
                name="Trung tâm Chính trị huyện Văn Lâm",
                kind="political_training_centre",
                parent=district,
                path="",
                depth=parent["depth"] + 1,
                valid_from=dt.date(2020, 1, 1),
            )
            await centre.save().run()
            centre.path = f"{parent['path']}{centre.id}."
            await centre.save([OrgUnit.path]).run()
            made = CandidateList(
                tenant_id=tenant_id,
                unit=centre.id,
                unit_path=centre.path,
                step="survey",
                period_code=period.code,
                period_opens=period.opens,
                period_deadline=period.deadline,
                state="draft",
                package="hungyen",
                package_version="2024.1",
            )
            await made.save().run()
            return made.id


async def test_a_list_with_no_form_is_a_400_in_vietnamese_not_a_500(
    db: Database, client: AppClient
) -> None:
    world = await build_chain_world(db, "export-centre")
    drive = Driver(client, world)
    list_id = await _training_centre_list(db, world.tenant_id, world.units["district"])

    response = await drive.call("district_approver", "GET", f"/lists/{list_id}/export")

    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert response.json()["errors"][0]["field"] == "list_id"
    assert detail.startswith("Quy định của tỉnh không có mẫu in danh sách khảo sát (bước 1)")
    assert "«Trung tâm chính trị»" in detail and "Trung tâm Chính trị huyện Văn Lâm" in detail

    await portal_login(client, world.slug, "district_approver")
    page = await client.get(f"/t/{world.slug}/lists/{list_id}")
    assert page.status_code == 200
    assert f"/lists/{list_id}/export" not in page.text, "no download for a list with no form"
    portal = await client.get(f"/t/{world.slug}/lists/{list_id}/export?format=xlsx")
    assert portal.status_code == 400
    assert "không có mẫu in" in portal.text


async def test_the_portal_downloads_the_form_with_number_and_signer(
    db: Database, client: AppClient
) -> None:
    world = await build_chain_world(db, "export-portal")
    drive = Driver(client, world)
    made = await signed_list(drive)
    await portal_login(client, world.slug, "x_viewer")
    page = await client.get(f"/t/{world.slug}/lists/{made.list_id}")
    assert 'name="number"' in page.text and 'name="signer"' in page.text

    response = await client.get(
        f"/t/{world.slug}/lists/{made.list_id}/export",
        params={"format": "xlsx", "number": "09", "signer": "Phạm Văn Đức"},
    )

    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    sheet = sheet_of(response.content)
    assert sheet.cell(NUMBER_ROW, 1).value == "Số 09-DS/CB"
    assert texts(sheet)[-1] == "Phạm Văn Đức"
