"""Importing Party members from XLSX or CSV: the template, a good file, and a bad file
whose every bad row is named (sheet row and Vietnamese column) with nothing written."""

from __future__ import annotations

import datetime as dt
import io
import json

from openpyxl import load_workbook

from nguon.clock import today_in_vietnam
from nguon.jobs.tasks import TASKS
from nguon.people.upload_tables import MemberUpload
from nguon.portal.jobs import wait_for_jobs
from tests.conftest import Database
from tests.http.conftest import AppClient, build_world, csrf_token_in, portal_login
from tests.portal.members_world import add_member, audit_of, changes_of, members_of, rows_of, xlsx

HEADER = [
    "STT",
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Số thẻ đảng viên",
    "Ngày vào Đảng",
    "Ngày chính thức",
    "Chi bộ",
]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _submit(client: AppClient, slug: str, unit: int, content: bytes):
    page = await client.get(f"/t/{slug}/units/{unit}/members/import")
    assert page.status_code == 200
    return await client.post(
        f"/t/{slug}/units/{unit}/members/import",
        data={"_csrf_token": csrf_token_in(page.text)},
        files={"file": ("dang-vien.xlsx", content, XLSX_TYPE)},
    )


async def _upload(client: AppClient, slug: str, unit: int, content: bytes):
    """Submit the sheet: the import is a job; its page shows the result once it ran."""
    response = await _submit(client, slug, unit, content)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith(f"/t/{slug}/jobs/")
    await wait_for_jobs()
    return await client.get(location)


async def test_the_template_has_vietnamese_headers_and_the_units_cells(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "import-template")
    slug = world.slug
    await portal_login(client, slug, "district_1_editor")
    response = await client.get(f"/t/{slug}/units/{world.units['commune_1']}/members/template.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(XLSX_TYPE)
    assert "attachment" in response.headers["content-disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Đảng viên", "Chi bộ"]
    assert [c.value for c in workbook["Đảng viên"][1]] == HEADER
    assert workbook["Đảng viên"]["C2"].number_format == "dd/mm/yyyy"
    cells = [row[0] for row in workbook["Chi bộ"].iter_rows(min_row=2, values_only=True)]
    # Every unit of the commune that keeps members (the package says which kinds do).
    assert cells == ["Đảng ủy xã Lạc Hồng", "Chi bộ thôn Ngọc Đà", "Chi bộ thôn Đình Dù"]


async def test_a_good_file_adds_every_member_to_its_cell(db: Database, client: AppClient) -> None:
    world = await build_world(db, "import-good")
    slug, units = world.slug, world.units
    await portal_login(client, slug, "district_1_editor")
    content = xlsx(
        HEADER,
        [
            [
                1,
                "Nguyễn Văn An",
                dt.date(1975, 4, 30),
                "Nam",
                "01.000001",
                "19/05/2000",
                "19/05/2001",
                "Chi bộ thôn Ngọc Đà",
            ],
            [
                2,
                "Lê Thị Hoa",
                "02/09/1985",
                "Nữ",
                None,
                dt.datetime(2010, 3, 3),
                None,
                "chi bo thon dinh du",
            ],
            [
                3,
                "Phạm Văn Hùng",
                "1990-01-15",
                "nam",
                "01.000003",
                "15/01/2015",
                "15/01/2016",
                "DD",
            ],
            [None, None, None, None, None, None, None, None],
        ],
    )
    response = await _upload(client, slug, units["commune_1"], content)
    assert response.status_code == 200, response.text
    assert "Đã nhập 3 đảng viên." in response.text
    stored = {m["full_name"]: m for m in await members_of(db, world)}
    assert set(stored) == {"Nguyễn Văn An", "Lê Thị Hoa", "Phạm Văn Hùng"}
    assert stored["Nguyễn Văn An"]["unit"] == units["cell_x"]
    assert stored["Lê Thị Hoa"]["unit"] == units["cell_y"]
    assert stored["Lê Thị Hoa"]["status"] == "probationary"
    assert stored["Phạm Văn Hùng"]["unit"] == units["cell_y"]
    assert stored["Phạm Văn Hùng"]["date_of_birth"] == dt.date(1990, 1, 15)
    [change] = await changes_of(db, world, stored["Lê Thị Hoa"]["id"])
    assert change["kind"] == "imported"
    assert change["reason"] == "Nhập từ tệp dang-vien.xlsx, dòng 3"
    assert change["actor_name"] == "Người dùng district_1_editor"
    page = await client.get(f"/t/{slug}/members/{stored['Lê Thị Hoa']['id']}")
    assert "Nhập từ tệp" in page.text


async def test_a_cell_imports_into_itself_without_a_cell_column(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "import-cell")
    slug, cell = world.slug, world.units["cell_x"]
    await portal_login(client, slug, "cell_x_editor")
    content = xlsx(HEADER[:-1], [[1, "Nguyễn Văn An", "30/04/1975", "Nam", "", "19/05/2000", ""]])
    response = await _upload(client, slug, cell, content)
    assert "Đã nhập 1 đảng viên." in response.text
    [stored] = await members_of(db, world)
    assert stored["unit"] == cell


async def test_a_bad_file_names_every_bad_row_and_writes_nothing(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "import-bad")
    slug, units = world.slug, world.units
    await portal_login(client, slug, "district_1_editor")
    await add_member(client, slug, units["cell_x"], card_number="01.999999")
    before = len(await members_of(db, world))
    content = xlsx(
        HEADER,
        [
            [1, "Nguyễn Văn An", "30/04/1975", "Nam", "01.000001", "19/05/2000", "", "ND"],
            [2, "Lê Thị Hoa", "31/02/1985", "Nữ", "", "02/09/2010", "", "ND"],
            [3, "", "02/09/1985", "Nữ", "", "02/09/2010", "", "ND"],
            [4, "Phạm Văn Hùng", "15/01/1990", "Không rõ", "", "15/01/2015", "", "ND"],
            [
                5,
                "Đỗ Văn Minh",
                "15/01/1990",
                "Nam",
                "",
                "15/01/2015",
                "",
                "Chi bộ Trường THPT Ân Thi",
            ],
            [6, "Hoàng Văn Nam", "15/01/1990", "Nam", "01.000001", "15/01/2015", "", "ND"],
            [7, "Vũ Thị Lan", "15/01/1990", "Nữ", "01.999999", "15/01/2015", "", "ND"],
            [8, "Bùi Văn Tú", "15/01/2000", "Nam", "", "15/01/2010", "", "ND"],
        ],
    )
    response = await _upload(client, slug, units["commune_1"], content)
    assert response.status_code == 200
    text = response.text
    assert "Chưa có đảng viên nào được ghi" in text
    expected = [
        ("3", "Ngày sinh", "Ngày sinh không hợp lệ: “31/02/1985”"),
        ("4", "Họ và tên", "Hãy nhập họ và tên."),
        ("5", "Giới tính", "Giới tính “Không rõ” không đúng: hãy ghi Nam hoặc Nữ."),
        ("6", "Chi bộ", "Không có chi bộ “Chi bộ Trường THPT Ân Thi”"),
        ("7", "Số thẻ đảng viên", "Số thẻ 01.000001 trùng với dòng 2."),
        ("8", "Số thẻ đảng viên", "Số thẻ 01.999999 đã được ghi cho đảng viên Trần Thị Bình."),
        ("9", "Ngày vào Đảng", "Ngày vào Đảng “15/01/2010” phải từ khi đủ 18 tuổi (15/01/2018)."),
    ]
    for row, column, message in expected:
        assert f"<tr><td>{row}</td><td>{column}</td><td>{message}" in text, (row, column)
    assert "tệp có 7 lỗi" in text
    assert "<tr><td>2</td>" not in text
    assert len(await members_of(db, world)) == before


async def test_a_file_that_is_not_a_sheet_or_lacks_columns_is_refused(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "import-broken")
    slug, cell = world.slug, world.units["cell_x"]
    await portal_login(client, slug, "cell_x_editor")
    broken = await _upload(client, slug, cell, b"not a spreadsheet")
    assert broken.status_code == 200
    assert "Không đọc được tệp" in broken.text
    missing = await _upload(client, slug, cell, xlsx(["STT", "Họ và tên"], [[1, "An"]]))
    assert missing.status_code == 200
    for column in ("Ngày sinh", "Giới tính", "Ngày vào Đảng"):
        assert f"Thiếu cột “{column}” ở dòng tiêu đề." in missing.text
    assert await members_of(db, world) == []


ONE_ROW = [[1, "Nguyễn Văn An", "30/04/1975", "Nam", "", "19/05/2000", ""]]


async def test_the_same_file_imported_twice_creates_nothing_the_second_time(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "import-twice")
    slug, cell = world.slug, world.units["cell_x"]
    await portal_login(client, slug, "cell_x_editor")
    content = xlsx(HEADER[:-1], ONE_ROW)
    first = await _upload(client, slug, cell, content)
    assert "Đã nhập 1 đảng viên." in first.text
    second = await _upload(client, slug, cell, content)
    assert second.status_code == 200
    assert "Đã nhập 0 đảng viên." in second.text
    assert "Tệp này đã được nhập cho đơn vị" in second.text
    assert len(await members_of(db, world)) == 1


async def test_an_import_job_run_twice_writes_once(db: Database, client: AppClient) -> None:
    world = await build_world(db, "import-rerun")
    slug, cell = world.slug, world.units["cell_x"]
    await portal_login(client, slug, "cell_x_editor")
    page = await _upload(client, slug, cell, xlsx(HEADER[:-1], ONE_ROW))
    assert "Đã nhập 1 đảng viên." in page.text
    [upload] = await rows_of(db, world, MemberUpload)
    assert upload["state"] == "imported"
    # A worker killed after the commit runs the job again: it reports, writes nothing.
    await TASKS["import_members"](
        tenant_id=world.tenant_id, job_id=upload["job_id"], upload_id=upload["id"]
    )
    assert len(await members_of(db, world)) == 1
    again = await client.get(f"/t/{slug}/jobs/{upload['job_id']}")
    assert "Đã nhập 1 đảng viên." in again.text


async def test_another_tenants_or_units_import_job_is_not_found(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "import-own")
    other = await build_world(db, "import-other")
    slug, cell = world.slug, world.units["cell_x"]
    await portal_login(client, slug, "cell_x_editor")
    response = await _submit(client, slug, cell, xlsx(HEADER[:-1], ONE_ROW))
    job_path = response.headers["location"].removeprefix(f"/t/{slug}")
    await wait_for_jobs()
    await portal_login(client, other.slug, "cell_x_editor")
    assert (await client.get(f"/t/{other.slug}{job_path}")).status_code == 404
    await portal_login(client, slug, "cell_y_editor")
    assert (await client.get(f"/t/{slug}{job_path}")).status_code == 404
    # A unit outside the user's reach: no import page, no import.
    own_cell = world.units["cell_y"]
    outside = await _submit_raw(client, slug, own_cell, cell, xlsx(HEADER[:-1], ONE_ROW))
    assert outside.status_code in (403, 404)
    assert len(await members_of(db, world)) == 1


async def _submit_raw(client: AppClient, slug: str, own_unit: int, unit: int, content: bytes):
    """Post a sheet to ``unit`` with a form token taken from the user's own unit's page."""
    own = await client.get(f"/t/{slug}/units/{own_unit}/members/import")
    return await client.post(
        f"/t/{slug}/units/{unit}/members/import",
        data={"_csrf_token": csrf_token_in(own.text)},
        files={"file": ("dang-vien.xlsx", content, XLSX_TYPE)},
    )


def _csv(rows: list[list[str]], delimiter: str = ";") -> bytes:
    """A CSV file as Excel saves it ("CSV UTF-8": a BOM; a semicolon in Vietnamese Windows)."""
    lines = [delimiter.join(HEADER), *(delimiter.join(row) for row in rows)]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


def _csv_row(number: int, cell: str) -> list[str]:
    return [
        str(number),
        f"Nguyễn Văn Số {number}",
        f"{1 + number % 28:02d}/{1 + number % 12:02d}/{1960 + number % 30}",
        "Nam" if number % 2 else "Nữ",
        f"CSV.{number:06d}",
        f"{1 + number % 28:02d}/{1 + number % 12:02d}/2015",
        "" if number % 3 else "01/06/2016",
        cell,
    ]


async def test_a_csv_file_beyond_the_old_two_thousand_rows_imports_all_or_nothing(
    db: Database, client: AppClient
) -> None:
    """A commune's (or a province's) members in one CSV file: one bad line deep in the
    file is located and nothing is written; the corrected file writes every member, each
    with the same history and audit event as a member added by hand."""
    world = await build_world(db, "import-bulk")
    slug, units = world.slug, world.units
    await portal_login(client, slug, "district_1_editor")
    rows = [_csv_row(n, "ND" if n % 2 else "DD") for n in range(1, 2501)]
    bad = [*rows[:2398], [*rows[2398][:2], "31/02/1970", *rows[2398][3:]], *rows[2399:]]
    refused = await _upload(client, slug, units["commune_1"], _csv(bad))
    assert refused.status_code == 200, refused.text
    assert "Ngày sinh không hợp lệ: “31/02/1970”" in refused.text
    assert "<td>2400</td><td>Ngày sinh</td>" in refused.text
    assert await members_of(db, world) == []

    done = await _upload(client, slug, units["commune_1"], _csv(rows))
    assert "Đã nhập 2500 đảng viên." in done.text, done.text
    stored = {m["card_number"]: m for m in await members_of(db, world)}
    assert len(stored) == 2500
    last = stored["CSV.002500"]
    assert last["full_name"] == "Nguyễn Văn Số 2500"
    assert last["unit"] == units["cell_y"]
    assert (last["status"], last["official_on"]) == ("probationary", None)
    assert last["date_of_birth"] == dt.date(1960 + 2500 % 30, 1 + 2500 % 12, 1 + 2500 % 28)
    assert stored["CSV.000003"]["status"] == "full"
    assert stored["CSV.000003"]["official_on"] == dt.date(2016, 6, 1)
    [change] = await changes_of(db, world, last["id"])
    assert (change["kind"], change["to_unit"]) == ("imported", units["cell_y"])
    assert change["reason"] == "Nhập từ tệp dang-vien.xlsx, dòng 2501"
    assert change["changed_on"] == today_in_vietnam()

    by_hand = await add_member(client, slug, units["cell_x"])
    audits = {a["entity_id"]: a for a in await audit_of(db, world, "member", "create")}
    assert len(audits) == 2501
    imported, added = _json(audits[last["id"]]["after"]), _json(audits[by_hand]["after"])
    assert imported.keys() == added.keys()
    assert imported == {
        "unit": units["cell_y"],
        "full_name": "Nguyễn Văn Số 2500",
        "date_of_birth": last["date_of_birth"].isoformat(),
        "sex": "female",
        "admitted_on": last["admitted_on"].isoformat(),
        "status": "probationary",
        "official_on": None,
        "card_number": "CSV.002500",
    }
    assert audits[last["id"]]["actor"] == audits[by_hand]["actor"]
    assert audits[last["id"]]["actor_id"] == audits[by_hand]["actor_id"]


async def test_a_csv_file_not_in_utf8_is_refused_with_the_way_to_save_it(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "import-cp1258")
    slug, cell = world.slug, world.units["cell_x"]
    await portal_login(client, slug, "cell_x_editor")
    latin = ";".join(HEADER[:7]).encode("utf-8") + "\r\n1;Lê Văn Ánh".encode("cp1258")
    response = await _upload(client, slug, cell, latin)
    assert "bảng mã UTF-8" in response.text
    assert await members_of(db, world) == []


def _json(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else json.loads(str(value))


def test_cells_with_the_same_name_are_told_apart_in_the_template_and_the_import() -> None:
    """Every commune has its "Chi bộ thôn 1": the template's list names each cell once
    (with its committee, or its code when even that repeats) and the import reads it back."""
    from nguon.people.member_import import member_template
    from nguon.people.sheet_files import CellChoice, cell_finder

    cells = [
        CellChoice(1, "hy.a.1", "Chi bộ thôn 1", "1.2.3", "Đảng ủy xã An Viên"),
        CellChoice(2, "hy.b.1", "Chi bộ thôn 1", "1.4.5", "Đảng ủy xã Tân Hưng"),
        CellChoice(3, "hy.b.2", "Chi bộ thôn Đông", "1.4.6", "Đảng ủy xã Tân Hưng"),
        CellChoice(4, "hy.c.9", "Chi bộ 9", "1.7.8", "Đảng ủy xã Lạc Hồng"),
        CellChoice(5, "hy.c.99", "Chi bộ 9", "1.7.9", "Đảng ủy xã Lạc Hồng"),
    ]
    workbook = load_workbook(io.BytesIO(member_template(cells)))
    listed = [tuple(r) for r in workbook["Chi bộ"].iter_rows(min_row=2, values_only=True)]
    assert listed == [
        ("Chi bộ thôn 1 — Đảng ủy xã An Viên", "hy.a.1"),
        ("Chi bộ thôn 1 — Đảng ủy xã Tân Hưng", "hy.b.1"),
        ("Chi bộ thôn Đông", "hy.b.2"),
        ("Chi bộ 9 — Đảng ủy xã Lạc Hồng (hy.c.9)", "hy.c.9"),
        ("Chi bộ 9 — Đảng ủy xã Lạc Hồng (hy.c.99)", "hy.c.99"),
    ]
    assert len({label for label, _ in listed}) == len(cells)
    find = cell_finder(cells, None)
    for (label, code), cell in zip(listed, cells, strict=True):
        assert find(label) == (cell, "")  # what the drop-down puts in the sheet
        assert find(code) == (cell, "")
    assert find("chi bo thon dong") == (cells[2], "")  # a unique name, typed loosely
    ambiguous, message = find("Chi bộ thôn 1")
    assert ambiguous is None
    assert message.startswith("Có 2 chi bộ tên “Chi bộ thôn 1”; hãy chọn chi bộ trong danh sách")
    assert "“Chi bộ thôn 1 — Đảng ủy xã An Viên”" in message
