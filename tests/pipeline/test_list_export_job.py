"""Lists longer than the limit are exported by a job: the request only queues it, the file
is made on the worker as the asker may see the list, and only the asker downloads it;
the hourly cleanup removes it after a week. Smaller lists still download at once."""

from __future__ import annotations

import datetime as dt

import pytest

from nguon.jobs import list_export
from nguon.jobs.cleanup import remove_old_files
from nguon.jobs.progress import load_job, save_job
from nguon.jobs.tasks import TASKS
from nguon.people.upload_tables import MemberUpload
from nguon.pipeline.export_tables import ListExport
from nguon.portal.jobs import JOBS_STORE, wait_for_jobs
from nguon.tenancy.context import tenant_context
from tests.conftest import Database
from tests.http.conftest import AppClient, csrf_token_in, portal_login
from tests.pipeline.conftest import ChainWorld, Driver, build_chain_world
from tests.pipeline.signed_list import SignedList, signed_list
from tests.pipeline.test_list_export import NUMBER_ROW, sheet_of, texts
from tests.portal.members_world import audit_of, rows_of
from tests.problems import assert_problem


@pytest.fixture
def short_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The signed list has three people: above a limit of two, it goes by a job."""
    monkeypatch.setattr(list_export, "EXPORT_JOB_ABOVE", 2)


async def _signed_list(
    db: Database, client: AppClient, prefix: str
) -> tuple[ChainWorld, Driver, SignedList]:
    world = await build_chain_world(db, prefix)
    drive = Driver(client, world)
    return world, drive, await signed_list(drive)


async def test_the_portal_makes_a_long_lists_file_in_the_background_for_its_asker_only(
    db: Database, client: AppClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, drive, made = await _signed_list(db, client, "export-job")
    at_once = await drive.call("x_viewer", "GET", f"/lists/{made.list_id}/export")
    assert at_once.status_code == 200  # three people: at once, under the usual limit
    monkeypatch.setattr(list_export, "EXPORT_JOB_ABOVE", 2)
    slug, list_url = world.slug, f"/t/{world.slug}/lists/{made.list_id}"
    await portal_login(client, slug, "x_viewer")
    page = await client.get(list_url)
    assert "Tạo tệp Excel" in page.text and f'href="{list_url}/export?format=xlsx"' not in page.text

    bookmarked = await client.get(f"{list_url}/export?format=xlsx")
    assert bookmarked.status_code == 303
    assert bookmarked.headers["location"] == f"{list_url}?done=export_job#export"
    assert "tệp Excel được tạo trong nền" in (await client.get(f"{list_url}?done=export_job")).text

    wrong = await client.post(
        f"{list_url}/export",
        data={"_csrf_token": csrf_token_in(page.text), "format": "xlsx", "number": "07-DS/CB"},
    )
    assert wrong.status_code == 400 and "Chỉ ghi số văn bản" in wrong.text
    assert await rows_of(db, world, ListExport) == []

    asked = await client.post(
        f"{list_url}/export",
        data={"_csrf_token": csrf_token_in(page.text), "format": "xlsx", "number": "07"},
    )
    assert asked.status_code == 303
    job_url = asked.headers["location"]
    assert job_url.startswith(f"/t/{slug}/jobs/")
    await wait_for_jobs()
    progress = await client.get(job_url)
    assert "Tệp đã xong." in progress.text
    [stored] = await rows_of(db, world, ListExport)
    download = f"/t/{slug}/exports/{stored['id']}"
    assert f'href="{download}"' in progress.text

    got = await client.get(download)
    assert got.status_code == 200
    assert "filename*=UTF-8''" in got.headers["content-disposition"]
    sheet = sheet_of(got.content)
    assert sheet.cell(NUMBER_ROW, 1).value == "Số 07-DS/CB"

    # The same form as the one made at once, with the number typed.
    def unnumbered(shown: list[str]) -> list[str]:
        return [text for text in shown if "-DS/CB" not in text]

    assert unnumbered(texts(sheet)) == unnumbered(texts(sheet_of(at_once.content)))
    [event] = await audit_of(db, world, "candidate_list", "list_export_requested")
    assert event["entity_id"] == made.list_id

    # Someone else of the unit sees the job but not the file.
    await portal_login(client, slug, "x_editor")
    assert "Chỉ x_viewer, người yêu cầu, tải được" in (await client.get(job_url)).text
    assert (await client.get(download)).status_code == 404


async def test_the_api_says_to_ask_for_a_job_and_serves_the_file_it_made(
    db: Database, client: AppClient, short_limit: None
) -> None:
    world, drive, made = await _signed_list(db, client, "export-job-api")

    refused = await drive.call("x_viewer", "GET", f"/lists/{made.list_id}/export")
    problem = assert_problem(refused, 409, "export_by_job")
    assert f"POST /lists/{made.list_id}/exports" in problem["detail"]
    bad = await drive.call(
        "x_viewer", "POST", f"/lists/{made.list_id}/exports", json={"number": "07-DS/CB"}
    )
    assert_problem(bad, 400, "invalid_input")
    assert bad.json()["errors"][0]["pointer"] == "/number"
    unknown = await drive.call(
        "x_viewer", "POST", f"/lists/{made.list_id}/exports", json={"format": "pdf"}
    )
    assert_problem(unknown, 400, "invalid_input")
    assert await rows_of(db, world, ListExport) == []

    accepted = await drive.call(
        "x_viewer",
        "POST",
        f"/lists/{made.list_id}/exports",
        json={"number": "08", "signer": "Phạm Văn Đức"},
    )
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["kind"] == "list_export" and accepted.json()["file_url"] is None
    await wait_for_jobs()
    job = await drive.call("x_viewer", "GET", accepted.headers["location"].split("/api/v1")[1])
    body = job.json()
    assert body["state"] == "done" and body["done"] == body["total"] == 3
    file_path = body["file_url"].split("/api/v1")[1]
    got = await drive.call("x_viewer", "GET", file_path)
    assert got.status_code == 200
    sheet = sheet_of(got.content)
    assert sheet.cell(NUMBER_ROW, 1).value == "Số 08-DS/CB"
    assert texts(sheet)[-1] == "Phạm Văn Đức"
    assert_problem(await drive.call("x_editor", "GET", file_path), 404, "not_found")


async def test_a_job_run_again_after_storing_the_file_makes_nothing_twice(
    db: Database, client: AppClient, short_limit: None
) -> None:
    world, drive, made = await _signed_list(db, client, "export-job-again")
    accepted = await drive.call("x_viewer", "POST", f"/lists/{made.list_id}/exports", json={})
    await wait_for_jobs()
    [first] = await rows_of(db, world, ListExport)
    store = client.app.stores.get(JOBS_STORE)
    job_id = accepted.json()["id"]
    with tenant_context(world.tenant_id):
        # As if the worker died after storing the file, before reporting.
        job = await load_job(store, world.tenant_id, job_id)
        assert job is not None
        job.state, job.finished_at = "running", None
        await save_job(store, job)
        await TASKS["export_list"](tenant_id=world.tenant_id, job_id=job_id, export_id=first["id"])
        again = await load_job(store, world.tenant_id, job_id)
    assert again is not None and again.state == "done" and again.finished_at is not None
    assert await rows_of(db, world, ListExport) == [first]


async def test_the_hourly_cleanup_removes_files_a_week_old_and_keeps_digests(
    db: Database, client: AppClient, short_limit: None
) -> None:
    world, drive, made = await _signed_list(db, client, "export-cleanup")
    for _ in range(2):
        await drive.call("x_viewer", "POST", f"/lists/{made.list_id}/exports", json={})
    await wait_for_jobs()
    old, new = await rows_of(db, world, ListExport)
    week_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=7, minutes=1)
    with db.as_owner(), tenant_context(world.tenant_id):
        await ListExport.update({ListExport.requested_at: week_ago}).where(
            ListExport.id == old["id"]
        )
        for state, when in (("imported", week_ago), ("queued", week_ago), ("imported", None)):
            await MemberUpload.insert(
                MemberUpload(
                    tenant_id=world.tenant_id,
                    unit_id=world.units["cell_x"],
                    user_id=0,
                    filename="dang-vien.csv",
                    digest=state,
                    content=b"ho_ten\n",
                    job_id="j",
                    state=state,
                    uploaded_at=when or dt.datetime.now(dt.UTC),
                )
            )

    removed = await remove_old_files()

    assert removed.exports >= 1 and removed.uploads_emptied >= 1
    assert [row["id"] for row in await rows_of(db, world, ListExport)] == [new["id"]]
    uploads = await rows_of(db, world, MemberUpload)
    assert [(u["state"], bytes(u["content"])) for u in uploads] == [
        ("imported", b""),
        ("queued", b"ho_ten\n"),  # not yet imported: its job still needs it
        ("imported", b"ho_ten\n"),
    ]
    assert [u["digest"] for u in uploads] == ["imported", "queued", "imported"]
