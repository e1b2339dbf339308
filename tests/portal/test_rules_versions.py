""" "Phiên bản quy định" as the provincial organisation board meets it: the versions of
the package, a what-if of the draft run as a job (in process, on SQLite) with its
progress and its result per unit and step, then the publication with an effective date;
a cell editor is refused (403) and another tenant's job is not found (404)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nguon.audit.tables import AuditEvent
from nguon.pipeline.rules_tables import RulesPublication
from nguon.portal.jobs import wait_for_jobs
from tests.conftest import Database
from tests.http.conftest import (
    AppClient,
    build_today_world,
    csrf_token_in,
    portal_login,
    serving,
)
from tests.rules.test_publication import (  # noqa: F401
    EFFECTIVE,
    TODAY,
    draft_package,
    use_package,
)
from tests.rules.test_whatif_job import CERTIFICATE_AGES, expected_changes, generated_people


@pytest.fixture
async def sqlite_client(sqlite_db: Database) -> AsyncIterator[AppClient]:
    async with serving(sqlite_db) as test_client:
        yield test_client


async def test_the_board_runs_a_whatif_reads_it_and_publishes(
    sqlite_db: Database,
    sqlite_client: AppClient,
    draft_package: Path,  # noqa: F811
) -> None:
    db, client = sqlite_db, sqlite_client
    world = await build_today_world(db, "versions")
    other = await build_today_world(db, "versions-other")
    await use_package(db, world)
    await use_package(db, other)
    made = await generated_people(db, world, CERTIFICATE_AGES)
    url = f"/t/{world.slug}/admin/rules"

    await portal_login(client, world.slug, "admin")
    page = await client.get(url)
    assert page.status_code == 200, page.text
    home = await client.get(f"/t/{world.slug}/")
    assert f'href="{url}">Phiên bản quy định</a>' in home.text
    text = page.text
    assert "<h1>Phiên bản quy định</h1>" in text
    assert "Đang áp dụng" in text and "Dự thảo, chưa công bố" in text
    assert "Chạy thử áp dụng" in text and "Công bố phiên bản" in text
    # Dates are typed and shown as ngày/tháng/năm, whatever the browser's language.
    assert f'name="on" type="text" value="{TODAY:%d/%m/%Y}"' in text
    assert 'name="effective_from" type="text" value="' in text and 'type="date"' not in text

    started = await client.post(
        f"{url}/whatif",
        data={"version": "2027.1", "on": f"{TODAY:%d/%m/%Y}", "_csrf_token": csrf_token_in(text)},
    )
    assert started.status_code == 303, started.text
    job_url = started.headers["location"]
    assert job_url.startswith(f"{url}/whatif/")
    first = await client.get(job_url)
    assert first.status_code == 200 and "Thử áp dụng dự thảo 2027.1" in first.text
    assert "/0 quần chúng" not in first.text  # no "0/0" before the people are counted
    await wait_for_jobs()
    await asyncio.sleep(0)
    done = await client.get(job_url, headers={"HX-Request": "true"})
    assert "<html" not in done.text  # the polled fragment only
    assert (
        f"Đã đánh giá {len(made)}/{len(made)} quần chúng" in done.text and "<progress" in done.text
    )
    expected = expected_changes(world, made)
    changed = sum(len(people) for people in expected.values())
    assert f"{changed} người thay đổi kết quả ở 2 đơn vị" in done.text
    assert "Chi bộ thôn Ngọc Đà: 3 người thay đổi" in done.text
    assert "Chi bộ thôn Đình Dù: 2 người thay đổi" in done.text
    assert "<td>Đủ điều kiện</td>\n        <td>Không đủ điều kiện</td>" in done.text
    assert "(Căn cứ: 06-HD/TW, Mục 5.4)" in done.text
    job_id = job_url.rsplit("/", 1)[1]
    listed = await client.get(url)
    assert f"{url}/whatif/{job_id}" in listed.text
    # The version is a form field; one the package does not have is not found.
    unknown = await client.post(
        f"{url}/whatif",
        data={"version": "2099.9", "on": TODAY.isoformat(), "_csrf_token": csrf_token_in(text)},
    )
    assert unknown.status_code == 404, unknown.text

    token = csrf_token_in(listed.text)
    unconfirmed = await client.post(
        f"{url}/publish",
        data={"version": "2027.1", "effective_from": EFFECTIVE.isoformat(), "_csrf_token": token},
    )
    assert unconfirmed.status_code == 400 and "ô xác nhận" in unconfirmed.text
    past = TODAY - dt.timedelta(days=1)
    late = await client.post(
        f"{url}/publish",
        data={
            "version": "2027.1",
            "effective_from": past.isoformat(),
            "confirm": "yes",
            "_csrf_token": token,
        },
    )
    assert late.status_code == 409 and "đã qua" in late.text
    published = await client.post(
        f"{url}/publish",
        data={
            "version": "2027.1",
            "effective_from": EFFECTIVE.isoformat(),
            "confirm": "yes",
            "_csrf_token": token,
        },
    )
    assert published.status_code == 303, published.text
    after = await client.get(published.headers["location"])
    assert "Đã công bố phiên bản 2027.1." in after.text
    assert (
        f"Đã công bố ngày {TODAY:%d/%m/%Y} bởi admin, có hiệu lực từ {EFFECTIVE:%d/%m/%Y}"
        in after.text
    )
    assert "Chạy thử áp dụng" not in after.text  # nothing left to publish
    # The what-if that preceded the publication is still one click away.
    assert "Các lần thử áp dụng phiên bản 2027.1 trước khi công bố" in after.text
    assert f"{url}/whatif/{job_id}" in after.text
    with db.as_owner():
        rows = await RulesPublication.select().where(RulesPublication.tenant_id == world.tenant_id)
        events = await AuditEvent.select(AuditEvent.actor, AuditEvent.actor_id).where(
            AuditEvent.tenant_id == world.tenant_id,
            AuditEvent.action == "rules.version_published",
        )
    assert [(r["version"], r["effective_from"], r["published_by"]) for r in rows] == [
        ("2027.1", EFFECTIVE, "admin")
    ]
    assert events == [{"actor": "admin", "actor_id": world.users["admin"]}]

    # Another tenant's board does not find this job.
    await portal_login(client, other.slug, "admin")
    assert (await client.get(f"/t/{other.slug}/admin/rules/whatif/{job_id}")).status_code == 404


async def test_a_cell_editor_is_refused(
    sqlite_db: Database,
    sqlite_client: AppClient,
    draft_package: Path,  # noqa: F811
) -> None:
    world = await build_today_world(sqlite_db, "versions-editor")
    await use_package(sqlite_db, world)
    await portal_login(sqlite_client, world.slug, "cell_x_editor")
    home = await sqlite_client.get(f"/t/{world.slug}/")
    assert "Phiên bản quy định" not in home.text
    url = f"/t/{world.slug}/admin/rules"
    assert (await sqlite_client.get(url)).status_code == 403
    refused = await sqlite_client.post(
        f"{url}/whatif",
        data={
            "version": "2027.1",
            "on": TODAY.isoformat(),
            "_csrf_token": csrf_token_in(home.text),
        },
    )
    assert refused.status_code == 403
    assert (await sqlite_client.get(f"{url}/whatif/nothing")).status_code == 403
