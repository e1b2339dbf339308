"""Importing the people of a survey from XLSX or CSV: the template in the package's form,
a list printed in that form imported as it is, and a bad file whose every bad row is
named (sheet row and the file's own column header) with nothing written."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from nguon_list_forms_xlsx.layout import render_workbook
from openpyxl import load_workbook

from nguon.crypto import national_id_lookup_hash
from nguon.jobs.tasks import TASKS
from nguon.people.candidate_input import education_of, national_id_of
from nguon.people.tables import Candidate
from nguon.people.upload_tables import MemberUpload
from nguon.pipeline.documents import DocumentColumn, ListDocument
from nguon.portal.jobs import wait_for_jobs
from tests.conftest import Database
from tests.http.conftest import AppClient, build_world, csrf_token_in, portal_login, token_for
from tests.portal.members_world import audit_of, rows_of, xlsx

FORM_HEADER = [
    "STT",
    "Họ và tên",
    "Ngày, tháng, năm sinh",
    "Giới tính",
    "Dân tộc",
    "Tôn giáo",
    "Quê quán",
    "Nơi cư trú",
    "Trình độ học vấn",
    "Nghề nghiệp",
    "Đoàn viên",
    "Công đoàn viên",
    "Chi bộ, đảng bộ",
    "Ghi chú",
]
"""The columns of Hưng Yên's survey summary form (rules/hungyen/forms.toml)."""
TEMPLATE_HEADER = [
    *FORM_HEADER[:-1],
    "Số định danh cá nhân",
    "Vùng đặc biệt khó khăn",
    "Ghi chú",
]
FORM_CODES = [
    "seq",
    "full_name",
    "date_of_birth",
    "sex",
    "ethnicity",
    "religion",
    "home_town",
    "residence",
    "education",
    "occupation",
    "youth_union",
    "trade_union",
    "unit",
    "notes",
]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _submit(client: AppClient, slug: str, unit: int, content: bytes, name: str):
    page = await client.get(f"/t/{slug}/units/{unit}/candidates/import")
    assert page.status_code == 200, page.text
    return await client.post(
        f"/t/{slug}/units/{unit}/candidates/import",
        data={"_csrf_token": csrf_token_in(page.text)},
        files={"file": (name, content, XLSX_TYPE if name.endswith(".xlsx") else "text/csv")},
    )


async def _upload(client: AppClient, slug: str, unit: int, content: bytes, name: str = "qc.xlsx"):
    """Submit the sheet; the import is a job whose page shows the result once it ran."""
    response = await _submit(client, slug, unit, content, name)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith(f"/t/{slug}/jobs/")
    await wait_for_jobs()
    return await client.get(location)


async def _candidates(db: Database, world) -> dict[str, dict]:
    return {row["full_name"]: row for row in await rows_of(db, world, Candidate)}


def _printed_list(rows: list[list[object]]) -> bytes:
    """A list as the province's form prints it: heading, title and period above the
    table, the people taken off under their own heading, a signature line below."""
    width = len(FORM_HEADER)

    def line(*cells: object) -> list[object]:
        return [*cells, *[None] * (width - len(cells))]

    sheet = [
        line("ĐẢNG ỦY XÃ LẠC HỒNG", None, None, None, None, None, "ĐẢNG CỘNG SẢN VIỆT NAM"),
        line("*"),
        line("TỔNG HỢP DANH SÁCH QUẦN CHÚNG ĐỂ THEO DÕI, GIÁO DỤC"),
        line("Quý IV năm 2026"),
        line(),
        FORM_HEADER,
        *rows,
        line("Quần chúng đưa ra khỏi danh sách"),
        line(9, "Người Đã Bị Đưa Ra", "01/01/1990", "Nam"),
        line(),
        line(None, None, None, None, None, None, None, None, None, None, "T/M BAN THƯỜNG VỤ"),
    ]
    return xlsx(sheet[0], sheet[1:])


async def test_the_template_follows_the_packages_survey_form(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "cimport-template")
    await portal_login(client, world.slug, "district_1_editor")
    commune = world.units["commune_1"]
    response = await client.get(f"/t/{world.slug}/units/{commune}/candidates/template.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(XLSX_TYPE)
    assert "mau-nhap-quan-chung.xlsx" in response.headers["content-disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Quần chúng", "Chi bộ"]
    assert [c.value for c in workbook["Quần chúng"][1]] == TEMPLATE_HEADER
    assert workbook["Quần chúng"]["C2"].number_format == "dd/mm/yyyy"
    assert workbook["Quần chúng"]["N2"].number_format == "@"  # the ID keeps its first 0
    cells = [row[0] for row in workbook["Chi bộ"].iter_rows(min_row=2, values_only=True)]
    assert cells == ["Đảng ủy xã Lạc Hồng", "Chi bộ thôn Ngọc Đà", "Chi bộ thôn Đình Dù"]
    page = await client.get(f"/t/{world.slug}/units/{commune}/candidates/import")
    assert "Ngày, tháng, năm sinh" in page.text
    unit_page = await client.get(f"/t/{world.slug}/units/{commune}")
    assert f"/units/{commune}/candidates/import" in unit_page.text


async def test_a_printed_list_imports_as_it_is(db: Database, client: AppClient) -> None:
    world = await build_world(db, "cimport-good")
    slug, units = world.slug, world.units
    await portal_login(client, slug, "district_1_editor")
    content = _printed_list(
        [
            [
                1,
                "Nguyễn Văn An",
                dt.date(2001, 4, 30),
                "Nam",
                "Kinh",
                "Không",
                "Ân Thi",
                "Thôn Ngọc Đà",
                "12/12",
                "Giáo viên",
                "x",
                "",
                "Chi bộ thôn Ngọc Đà",
                "Tốt",
            ],
            [
                2,
                "Lê Thị Hoa",
                "02/09/1998",
                "Nữ",
                "Tày",
                "Phật giáo",
                "",
                "",
                "Đại học",
                "",
                "",
                "X",
                "chi bo thon dinh du",
                "",
            ],
            [
                3,
                "Phạm Văn Hùng",
                "1990-01-15",
                "nam",
                "",
                "",
                "",
                "",
                "10/10",
                "Nông dân",
                "",
                "",
                "DD",
                "",
            ],
        ]
    )
    response = await _upload(client, slug, units["commune_1"], content)
    assert response.status_code == 200, response.text
    assert "Đã nhập 3 quần chúng." in response.text, response.text[response.text.find("<main") :]
    stored = await _candidates(db, world)
    assert set(stored) == {"Nguyễn Văn An", "Lê Thị Hoa", "Phạm Văn Hùng"}
    an, hoa, hung = stored["Nguyễn Văn An"], stored["Lê Thị Hoa"], stored["Phạm Văn Hùng"]
    assert (an["unit"], hoa["unit"], hung["unit"]) == (
        units["cell_x"],
        units["cell_y"],
        units["cell_y"],
    )
    assert {row["stage"] for row in stored.values()} == {"surveyed"}
    assert (an["education"], hoa["education"], hung["education"]) == (
        "upper_secondary",
        "university",
        "upper_secondary",
    )
    assert (an["youth_union_member"], an["trade_union_member"]) == (True, False)
    assert (hoa["youth_union_member"], hoa["trade_union_member"]) == (False, True)
    assert (hoa["ethnicity"], hoa["religion"]) == ("Tày", "Phật giáo")
    assert (hung["ethnicity"], hung["religion"]) == ("Kinh", "Không")
    assert an["date_of_birth"] == dt.date(2001, 4, 30)
    assert an["notes"] == "Tốt" and an["home_town"] == "Ân Thi"
    assert an["unit_path"] and an["name_search"] == "nguyen van an"
    # Each person is audited as one added by hand is.
    headers = await token_for(client, slug, "admin")
    by_hand = await client.post(
        f"/t/{slug}/api/v1/candidates",
        json={
            "unit_id": units["cell_x"],
            "full_name": "Vũ Văn Tay",
            "date_of_birth": "2000-01-01",
            "sex": "male",
            "education": "university",
        },
        headers=headers,
    )
    assert by_hand.status_code == 201, by_hand.text
    created = {
        event["entity_id"]: event for event in await audit_of(db, world, "candidate", "create")
    }
    assert set(created) == {an["id"], hoa["id"], hung["id"], by_hand.json()["id"]}
    assert created[an["id"]]["actor"] == "district_1_editor"
    assert set(_json(created[an["id"]]["after"])) == set(
        _json(created[by_hand.json()["id"]]["after"])
    )
    assert _json(created[an["id"]]["after"])["education"] == "upper_secondary"


async def test_a_bad_file_names_every_bad_row_and_writes_nothing(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "cimport-bad")
    slug, units = world.slug, world.units
    await portal_login(client, slug, "district_1_editor")
    good = xlsx(
        TEMPLATE_HEADER,
        [
            [
                1,
                "Trần Văn Cũ",
                "01/01/1995",
                "Nam",
                "",
                "",
                "",
                "",
                "12/12",
                "",
                "",
                "",
                "ND",
                "033095000001",
                "",
                "",
            ]
        ],
    )
    assert "Đã nhập 1 quần chúng." in (await _upload(client, slug, units["commune_1"], good)).text
    before = await _candidates(db, world)

    def row(
        number: int,
        name: str,
        born: object,
        sex: str = "Nam",
        education: str = "12/12",
        youth: str = "",
        cell: str = "ND",
        national_id: object = "",
    ) -> list[object]:
        return [
            number,
            name,
            born,
            sex,
            "",
            "",
            "",
            "",
            education,
            "",
            youth,
            "",
            cell,
            national_id,
            "",
            "",
        ]

    content = xlsx(
        TEMPLATE_HEADER,
        [
            row(1, "Nguyễn Văn An", "30/04/2001", national_id="033201000001"),
            row(2, "Lê Thị Hoa", "31/02/1998", sex="Nữ"),
            row(3, "", "02/09/1998"),
            row(4, "Phạm Văn Hùng", "15/01/1990", sex="Không rõ"),
            row(5, "Đỗ Văn Minh", "15/01/1990", education="học giỏi"),
            row(6, "Hoàng Văn Nam", "15/01/1990", youth="có lẽ"),
            row(7, "Vũ Thị Lan", "15/01/1990", sex="Nữ", cell="Chi bộ Trường THPT Ân Thi"),
            row(8, "Bùi Văn Tú", "15/01/2000", national_id="033201000001"),
            row(9, "Ngô Văn Sáu", "15/01/2000", national_id="033095000001"),
            row(10, "Trần Văn Cũ", "01/01/1995"),
            row(11, "Đinh Văn Bảy", "15/01/2000", national_id="12345"),
            row(12, "Mai Văn Tám", "15/01/2000"),
            row(13, "Mai Văn Tám", "15/01/2000"),
        ],
    )
    response = await _upload(client, slug, units["commune_1"], content)
    text = response.text
    assert "Chưa có quần chúng nào được ghi" in text
    expected = [
        ("3", "Ngày, tháng, năm sinh", "Ngày sinh không hợp lệ: “31/02/1998”"),
        ("4", "Họ và tên", "Hãy nhập họ và tên."),
        ("5", "Giới tính", "Giới tính “Không rõ” không đúng: hãy ghi Nam hoặc Nữ."),
        ("6", "Trình độ học vấn", "Trình độ học vấn “học giỏi” không rõ"),
        ("7", "Đoàn viên", "Đoàn viên: “có lẽ” không rõ; ghi x nếu đúng"),
        ("8", "Chi bộ, đảng bộ", "Không có chi bộ “Chi bộ Trường THPT Ân Thi”"),
        ("9", "Số định danh cá nhân", "Số định danh 033201000001 trùng với dòng 2."),
        ("10", "Số định danh cá nhân", "Số định danh 033095000001 đã có trong hệ thống."),
        ("11", "Họ và tên", "Trần Văn Cũ (cùng ngày sinh) đã có trong danh sách của Chi bộ"),
        ("12", "Số định danh cá nhân", "Số định danh “12345” phải gồm 12 chữ số"),
        ("14", "Họ và tên", "Trùng họ tên và ngày sinh với dòng 13."),
    ]
    for number, column, message in expected:
        assert f"<tr><td>{number}</td><td>{column}</td><td>{message}" in text, (number, column)
    assert f"tệp có {len(expected)} lỗi" in text
    assert await _candidates(db, world) == before


async def test_a_csv_file_imports_into_the_cell_and_once_only(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "cimport-csv")
    slug, cell = world.slug, world.units["cell_x"]
    await portal_login(client, slug, "cell_x_editor")
    lines = ["Họ và tên;Ngày sinh;Giới tính;Trình độ học vấn;Số CCCD"]
    lines += [f"Người Thứ {n};0{n}/01/2000;Nữ;9/12;03320000000{n}" for n in range(1, 6)]
    content = ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()
    page = await _upload(client, slug, cell, content, "khao-sat.csv")
    assert "Đã nhập 5 quần chúng." in page.text
    assert "Nhập quần chúng từ tệp CSV" in page.text
    stored = await _candidates(db, world)
    assert {row["unit"] for row in stored.values()} == {cell}
    assert {row["education"] for row in stored.values()} == {"lower_secondary"}
    assert stored["Người Thứ 3"]["national_id_hash"] == national_id_lookup_hash("033200000003")
    assert "033200000003" not in (stored["Người Thứ 3"]["national_id_encrypted"] or "")
    again = await _upload(client, slug, cell, content, "khao-sat.csv")
    assert "Tệp này đã được nhập cho đơn vị" in again.text
    assert "không ghi thêm quần chúng nào" in again.text
    [first, _] = await rows_of(db, world, MemberUpload)
    assert first["kind"] == "candidates"
    # A worker killed after the commit runs the job again: it reports, writes nothing.
    await TASKS["import_candidates"](
        tenant_id=world.tenant_id, job_id=first["job_id"], upload_id=first["id"]
    )
    assert len(await _candidates(db, world)) == 5


async def test_only_the_users_own_cells_and_tenant(db: Database, client: AppClient) -> None:
    world = await build_world(db, "cimport-own")
    other = await build_world(db, "cimport-other")
    slug = world.slug
    await portal_login(client, slug, "cell_x_editor")
    content = xlsx(
        ["Họ và tên", "Ngày sinh", "Giới tính", "Trình độ học vấn"],
        [["Nguyễn Văn An", "01/01/2000", "Nam", "12/12"]],
    )
    response = await _submit(client, slug, world.units["cell_x"], content, "qc.xlsx")
    job_path = response.headers["location"].removeprefix(f"/t/{slug}")
    await wait_for_jobs()
    for path in ("candidates/import", "candidates/template.xlsx"):
        outside = await client.get(f"/t/{slug}/units/{world.units['cell_y']}/{path}")
        assert outside.status_code in (403, 404), path
    await portal_login(client, other.slug, "cell_x_editor")
    assert (await client.get(f"/t/{other.slug}{job_path}")).status_code == 404
    assert len(await _candidates(db, world)) == 1
    assert await _candidates(db, other) == {}


async def test_a_cells_list_exported_by_the_portal_imports_back(
    db: Database, client: AppClient
) -> None:
    """The list form as the XLSX exporter lays it out (heading, title, the people taken
    off under their heading, "Nơi nhận" and the signature below) imports at the cell."""
    world = await build_world(db, "cimport-export")
    await portal_login(client, world.slug, "cell_x_editor")
    codes = [c for c in FORM_CODES if c != "unit"]
    columns = tuple(
        DocumentColumn(code, header, "date" if code == "date_of_birth" else "text")
        for code, header in zip(FORM_CODES, FORM_HEADER, strict=True)
        if code != "unit"
    )

    def person(seq: int, name: str, born: str, education: str) -> tuple[str, ...]:
        values = {
            "seq": str(seq),
            "full_name": name,
            "date_of_birth": born,
            "sex": "Nữ",
            "ethnicity": "Kinh",
            "religion": "Không",
            "education": education,
            "youth_union": "x",
        }
        return tuple(values.get(code, "") for code in codes)

    document = ListDocument(
        tenant_name="Tỉnh ủy Hưng Yên",
        superior_committee="Đảng ủy xã Lạc Hồng",
        unit_name="Chi bộ thôn Ngọc Đà",
        place="Lạc Hồng",
        issued_on=dt.date(2026, 12, 1),
        title="Danh sách quần chúng để theo dõi, giáo dục",
        step="survey",
        period_code="2026-annual",
        period_label="Khảo sát quý IV năm 2026 (cho năm 2027)",
        columns=columns,
        rows=(
            person(1, "Nguyễn Thị Mai", "03/04/2002", "Trung học phổ thông"),
            person(2, "Trần Thị Lan", "05/06/2001", "Đại học"),
        ),
        removed_heading="Quần chúng đưa ra khỏi danh sách",
        removed_rows=(person(3, "Lê Thị Đã Đi", "07/08/1999", "Cao đẳng"),),
        signature_title="T/M CHI BỘ",
        signer_role="BÍ THƯ",
        signer_name="Phạm Văn Đức",
        recipients=("Đảng ủy xã Lạc Hồng", "Lưu"),
        sheet_name="Danh sách bước 1",
    )
    content = render_workbook(document)
    page = await _upload(client, world.slug, world.units["cell_x"], content)
    assert "Đã nhập 2 quần chúng." in page.text, page.text[page.text.find("<main") :]
    stored = await _candidates(db, world)
    assert set(stored) == {"Nguyễn Thị Mai", "Trần Thị Lan"}
    assert stored["Trần Thị Lan"]["education"] == "university"
    assert stored["Nguyễn Thị Mai"]["youth_union_member"] is True
    # Above the cells (a district here), where the list names no cell, the column's
    # absence is explained.
    await portal_login(client, world.slug, "district_1_editor")
    refused = await _upload(client, world.slug, world.units["district_1"], content)
    assert "Thiếu cột “Chi bộ, đảng bộ” (hoặc “Chi bộ”)" in refused.text
    assert "hãy nhập từ trang của chi bộ đó" in refused.text


async def test_files_that_are_no_sheet_say_what_to_do(db: Database, client: AppClient) -> None:
    world = await build_world(db, "cimport-notasheet")
    await portal_login(client, world.slug, "cell_x_editor")
    cell = world.units["cell_x"]
    old_excel = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)
    page = await _upload(client, world.slug, cell, old_excel, "qc.xls")
    assert "Tệp Excel 97–2003 (.xls) chưa đọc được" in page.text
    picture = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(100)
    page = await _upload(client, world.slug, cell, picture, "anh.png")
    assert "hãy dùng tệp Excel (.xlsx) theo mẫu hoặc tệp CSV" in page.text
    assert "UTF-8" not in page.text.split("<main")[1]
    utf16 = "Họ và tên;Ngày sinh\r\n".encode("utf-16")
    page = await _upload(client, world.slug, cell, utf16, "qc.csv")
    assert "Tệp CSV phải được lưu với bảng mã UTF-8" in page.text
    empty = await _submit(client, world.slug, cell, b"", "")
    assert empty.status_code == 400
    assert "Chưa nhập được: Hãy chọn tệp Excel (.xlsx) hoặc CSV để nhập." in empty.text
    assert "tệp có 1 lỗi" not in empty.text
    assert await _candidates(db, world) == {}


async def test_a_rows_problems_follow_the_files_columns_and_none_is_dropped(
    db: Database, client: AppClient
) -> None:
    """Problems of one row in the order of the file's own columns, whatever it is; a last
    row without a name but with a birthday is a person to fix, not the list's foot."""
    world = await build_world(db, "cimport-order")
    await portal_login(client, world.slug, "cell_x_editor")
    lines = [
        "Trình độ học vấn;Giới tính;Họ và tên;Ngày sinh",
        "lớp mười;Không rõ;Nguyễn Văn An;31/02/2000",
        "12/12;Nam;Trần Văn Bình;01/01/2000",
        "12/12;Nam;;02/02/2000",
    ]
    content = ("\r\n".join(lines) + "\r\n").encode()
    page = await _upload(client, world.slug, world.units["cell_x"], content, "qc.csv")
    text = page.text
    order = [
        text.index(f"<tr><td>2</td><td>{c}</td>")
        for c in ("Trình độ học vấn", "Giới tính", "Ngày sinh")
    ]
    assert order == sorted(order)
    assert "<tr><td>4</td><td>Họ và tên</td><td>Hãy nhập họ và tên.</td>" in text
    assert await _candidates(db, world) == {}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("12/12", "upper_secondary"),
        ("11/12", "lower_secondary"),
        ("9/12", "lower_secondary"),
        ("8/12", "primary"),
        ("4/12", "none"),
        ("10/10", "upper_secondary"),
        ("7/10", "lower_secondary"),
        ("THPT", "upper_secondary"),
        ("Trung học cơ sở", "lower_secondary"),
        ("ĐH", "university"),
        ("Thạc sĩ", "postgraduate"),
        ("13/12", None),
        ("giỏi", None),
    ],
)
def test_education_as_lists_write_it(text: str, code: str | None) -> None:
    assert education_of(text) == code


def test_an_id_typed_into_a_number_cell_gets_its_first_zero_back() -> None:
    assert national_id_of(33095000001) == "033095000001"
    assert national_id_of(33095000001.0) == "033095000001"
    assert national_id_of("033095000001") == "033095000001"
    assert national_id_of(" 0330 9500 0001 ") == "033095000001"
    assert national_id_of(12345678) == "012345678"
    assert national_id_of("12345678") == "12345678"


def _json(value: object) -> dict[str, object]:
    import json

    return value if isinstance(value, dict) else json.loads(str(value))
