"""A unit's re-evaluation started on one server process, run by the worker, followed
on another server process: the progress page is the same whichever answers."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import httpx
import pytest

from nguon.db.kv_store import shared_store
from nguon.jobs.progress import STORE_NAMESPACE, load_job, save_job
from tests.conftest import Database
from tests.http.conftest import PASSWORD, build_world, csrf_token_in
from tests.jobs.workers import APP_URL, worker
from tests.jobs.world import add_candidates, admin_connection, decisions
from tests.portal.servers import server
from tests.portal.test_two_processes import login

pytestmark = pytest.mark.postgres


async def _started_seconds_ago(tenant_id: int, job_id: str, seconds: int) -> None:
    """As if the job had been queued ``seconds`` ago (the servers share the database store)."""
    connection = await admin_connection()
    try:  # workers other tests killed leave their last heartbeat behind
        await connection.execute("DELETE FROM procrastinate_workers")
    finally:
        await connection.close()
    store = shared_store(None, STORE_NAMESPACE)
    job = await load_job(store, tenant_id, job_id)
    assert job is not None
    job.started_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds)
    await save_job(store, job)


async def test_progress_started_on_one_process_is_seen_on_another(
    postgres_db: Database, tmp_path: Path
) -> None:
    world = await build_world(postgres_db, "jobs-pages")
    people = await add_candidates(world, "cell_y", [dt.date(1990, 4, 2)] * 3)
    unit = world.units["commune_1"]
    with (
        server(APP_URL, log=tmp_path / "one.log") as one,
        server(APP_URL, log=tmp_path / "two.log") as two,
        httpx.Client(base_url=one) as first,
    ):
        assert login(first, world.slug, "district_1_editor", PASSWORD).status_code in (302, 303)
        page = first.get(f"/t/{world.slug}/units/{unit}")
        started = first.post(
            f"/t/{world.slug}/units/{unit}/reevaluate",
            data={"_csrf_token": csrf_token_in(page.text)},
        )
        assert started.status_code == 303, started.text
        job_url = started.headers["location"]
        assert re.fullmatch(rf"/t/{world.slug}/jobs/[\w-]+", job_url)
        with httpx.Client(base_url=two, cookies=first.cookies) as second:
            waiting = second.get(job_url)
            assert waiting.status_code == 200
            assert "Đang chờ đến lượt chạy" in waiting.text  # no worker yet: queued
            assert "Chưa có tiến trình xử lý" not in waiting.text  # only just queued
            await _started_seconds_ago(world.tenant_id, job_url.rsplit("/", 1)[1], 75)
            forgotten = second.get(job_url, headers={"HX-Request": "true"})
            assert (
                "Chưa có tiến trình xử lý nào nhận việc này sau 75 giây: máy chủ chưa chạy "
                "<code>nguon worker</code>" in forgotten.text
            )
            with worker(log=tmp_path / "worker.log"):
                deadline = time.monotonic() + 30
                while (
                    "Đã xong"
                    not in (done := second.get(job_url, headers={"HX-Request": "true"})).text
                ):
                    assert time.monotonic() < deadline, done.text
                    time.sleep(0.2)
            assert "Đã đánh giá 3/3" in done.text
            other = first.get(job_url)
            assert "Đã đánh giá 3/3" in other.text and "Đã xong" in other.text
    assert set((await decisions(world)).keys()) == set(people)
