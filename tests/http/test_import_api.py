"""Importing people from a sheet over the JSON API: the upload answers 202 with the job's
url, and the job, once run, says how many people were written, or names every bad row with
nothing written — the same import as the portal's, for a province's own systems."""

from __future__ import annotations

from nguon.people.sheet_files import MAX_BYTES
from nguon.people.tables import Candidate
from nguon.portal.jobs import wait_for_jobs
from tests.conftest import Database
from tests.http.conftest import AppClient, build_world, csrf_token_in, portal_login, token_for
from tests.portal.members_world import members_of, rows_of

CANDIDATES_HEADER = "Họ và tên;Ngày sinh;Giới tính;Trình độ học vấn;Số CCCD"
MEMBERS_HEADER = "STT;Họ và tên;Ngày sinh;Giới tính;Số thẻ đảng viên;Ngày vào Đảng;Ngày chính thức"


def _csv(header: str, rows: list[str]) -> bytes:
    """As Excel saves "CSV UTF-8": a BOM, semicolons, CRLF."""
    return ("\ufeff" + "\r\n".join([header, *rows]) + "\r\n").encode()


async def _candidates(db: Database, world: object) -> dict[str, dict]:
    return {row["full_name"]: row for row in await rows_of(db, world, Candidate)}


async def test_a_province_system_imports_candidates_and_reads_the_result_from_the_job(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "api-nhap")
    slug, cell = world.slug, world.units["cell_x"]
    headers = await token_for(client, slug, "cell_x_editor")
    rows = [f"Người Thứ {n};0{n}/01/2000;Nữ;9/12;03320000000{n}" for n in range(1, 4)]
    content = _csv(CANDIDATES_HEADER, rows)
    url = f"/t/{slug}/api/v2/units/{cell}/candidates/import"

    sent = await client.post(
        url, files={"file": ("khao-sat.csv", content, "text/csv")}, headers=headers
    )
    assert sent.status_code == 202, sent.text
    job = sent.json()
    assert sent.headers["location"] == job["url"]
    assert job["kind"] == "candidate_import" and job["filename"] == "khao-sat.csv"
    assert job["state"] == "queued" and job["created"] is None
    await wait_for_jobs()
    done = (await client.get(job["url"], headers=headers)).json()
    assert done["state"] == "done" and done["created"] == 3 and done["problems"] == []
    stored = await _candidates(db, world)
    assert set(stored) == {"Người Thứ 1", "Người Thứ 2", "Người Thứ 3"}
    assert {row["unit"] for row in stored.values()} == {cell}

    again = await client.post(
        url, files={"file": ("lai.csv", content, "text/csv")}, headers=headers
    )
    await wait_for_jobs()
    twice = (await client.get(again.json()["url"], headers=headers)).json()
    assert twice["state"] == "done" and twice["created"] == 0
    assert "đã được nhập" in twice["note"]
    assert len(await _candidates(db, world)) == 3


async def test_a_bad_sheet_comes_back_with_every_bad_row_located_and_nothing_written(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "api-nhap-loi")
    slug, cell = world.slug, world.units["cell_x"]
    headers = await token_for(client, slug, "cell_x_editor")
    rows = [
        "Người Đúng;01/01/2000;Nam;12/12;",
        ";01/01/2000;Nam;12/12;",
        "Người Sai Ngày;31/02/2000;Nam;12/12;",
    ]
    sent = await client.post(
        f"/t/{slug}/api/v1/units/{cell}/candidates/import",
        files={"file": ("loi.csv", _csv(CANDIDATES_HEADER, rows), "text/csv")},
        headers=headers,
    )
    assert sent.status_code == 202, sent.text
    await wait_for_jobs()
    done = (await client.get(sent.json()["url"], headers=headers)).json()
    assert done["state"] == "done" and done["created"] is None
    located = {(p["row"], p["column"]) for p in done["problems"]}
    assert located == {(3, "Họ và tên"), (4, "Ngày sinh")}, done["problems"]
    assert all(p["message"] for p in done["problems"])
    assert await _candidates(db, world) == {}


async def test_members_import_over_the_api_too(db: Database, client: AppClient) -> None:
    world = await build_world(db, "api-nhap-dv")
    slug, cell = world.slug, world.units["cell_x"]
    headers = await token_for(client, slug, "cell_x_editor")
    content = _csv(MEMBERS_HEADER, ["1;Nguyễn Văn An;30/04/1975;Nam;API.000001;19/05/2000;"])
    sent = await client.post(
        f"/t/{slug}/api/v2/units/{cell}/members/import",
        files={"file": ("dang-vien.csv", content, "text/csv")},
        headers=headers,
    )
    assert sent.status_code == 202, sent.text
    assert sent.json()["kind"] == "member_import"
    await wait_for_jobs()
    done = (await client.get(sent.json()["url"], headers=headers)).json()
    assert done["state"] == "done" and done["created"] == 1, done
    [member] = await members_of(db, world)
    assert member["unit"] == cell and member["full_name"] == "Nguyễn Văn An"


async def test_an_upload_without_a_sheet_or_out_of_reach_is_refused_and_queues_nothing(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "api-nhap-tu-choi")
    other = await build_world(db, "api-nhap-khac")
    slug = world.slug
    headers = await token_for(client, slug, "cell_x_editor")
    good = _csv(CANDIDATES_HEADER, ["Người Đúng;01/01/2000;Nam;12/12;"])

    def url(unit: int, kind: str = "candidates") -> str:
        return f"/t/{slug}/api/v2/units/{unit}/{kind}/import"

    cell = world.units["cell_x"]
    for files in ({"file": ("rong.csv", b"", "text/csv")}, {"other": ("a.csv", good, "text/csv")}):
        refused = await client.post(url(cell), files=files, headers=headers)
        assert refused.status_code == 400, refused.text
        assert refused.json()["errors"][0]["field"] == "file", refused.text
    as_json = await client.post(url(cell), json={"file": "x"}, headers=headers)
    assert as_json.status_code == 415, as_json.text
    assert "multipart/form-data" in as_json.json()["detail_en"]
    for kind in ("candidates", "members"):
        beside = await client.post(
            url(world.units["cell_y"], kind), files={"file": ("a.csv", good)}, headers=headers
        )
        assert beside.status_code in (403, 404), (kind, beside.text)
        foreign = await client.post(
            url(other.units["cell_x"], kind), files={"file": ("a.csv", good)}, headers=headers
        )
        assert foreign.status_code == 404, (kind, foreign.text)
    unsigned = await client.post(url(cell), files={"file": ("a.csv", good)})
    assert unsigned.status_code == 401
    await wait_for_jobs()
    assert await _candidates(db, world) == {} and await _candidates(db, other) == {}


async def test_a_form_field_that_is_not_utf8_is_the_clients_error_on_the_api_and_the_portal(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "api-nhap-ma")
    slug, cell = world.slug, world.units["cell_x"]
    form = (
        b'--XX\r\nContent-Disposition: form-data; name="file"\r\n\r\n\xff\xfe\xc3\x28\r\n--XX--\r\n'
    )
    multipart = {"Content-Type": "multipart/form-data; boundary=XX"}
    headers = {**await token_for(client, slug, "cell_x_editor"), **multipart}
    api = await client.post(
        f"/t/{slug}/api/v2/units/{cell}/candidates/import", content=form, headers=headers
    )
    assert api.status_code == 400, api.text
    assert api.json()["errors"][0]["field"] == "file"
    await portal_login(client, slug, "cell_x_editor")
    for path in ("candidates/import", "members/import"):
        # No token in a header: the CSRF check reads the form, where Litestar's parser fails.
        page = await client.post(f"/t/{slug}/units/{cell}/{path}", content=form, headers=multipart)
        assert page.status_code == 400, (path, page.status_code, page.text[:300])
        assert "UTF-8" in page.text


async def test_a_province_sized_sheet_is_not_cut_at_the_edge(
    db: Database, client: AppClient
) -> None:
    """A 100,000-person survey as CSV is about 13 MB: over the 10 MB of other uploads, within
    the 50 MB the import routes take (API and portal)."""
    world = await build_world(db, "api-nhap-lon")
    slug, cell = world.slug, world.units["cell_x"]
    big = _csv(CANDIDATES_HEADER, ["Người Thứ Nhất;01/01/2000;Nữ;9/12;"]) + b" " * 12_000_000
    headers = await token_for(client, slug, "cell_x_editor")
    sent = await client.post(
        f"/t/{slug}/api/v2/units/{cell}/candidates/import",
        files={"file": ("lon.csv", big, "text/csv")},
        headers=headers,
    )
    assert sent.status_code == 202, sent.text[:300]
    too_big = b"x" * (MAX_BYTES + 1)
    refused = await client.post(
        f"/t/{slug}/api/v2/units/{cell}/candidates/import",
        files={"file": ("qua-lon.csv", too_big, "text/csv")},
        headers=headers,
    )
    assert refused.status_code in (400, 413), refused.text[:300]
    await portal_login(client, slug, "cell_x_editor")
    page = await client.get(f"/t/{slug}/units/{cell}/candidates/import")
    posted = await client.post(
        f"/t/{slug}/units/{cell}/candidates/import",
        data={"_csrf_token": csrf_token_in(page.text)},
        files={"file": ("lon.csv", big, "text/csv")},
    )
    assert posted.status_code == 303, posted.text[:300]
    await wait_for_jobs()
