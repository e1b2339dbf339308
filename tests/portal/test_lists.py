"""The list pages as committee users meet them: a cell makes its survey list, records the
resolution and submits it; the commune returns it with a comment; the cell corrects and
resubmits; the commune accepts it from its inbox."""

from __future__ import annotations

import re

from tests.conftest import Database
from tests.http.conftest import (
    AppClient,
    build_world,
    candidate_body,
    csrf_token_in,
    portal_login,
    token_for,
)

RESOLUTION = {
    "resolution.number": "05-NQ/CB",
    "resolution.adopted_on": "2026-10-20",
    "resolution.members_total": "9",
    "resolution.members_present": "8",
    "resolution.members_agreeing": "8",
}


def version_in(html: str) -> str:
    match = re.search(r'name="version" value="(\d+)"', html)
    assert match, "the page has no version field"
    return match.group(1)


async def post_on(client: AppClient, page_url: str, url: str, data: dict[str, str]) -> object:
    page = await client.get(page_url)
    return await client.post(
        url,
        data={"version": version_in(page.text), **data, "_csrf_token": csrf_token_in(page.text)},
    )


async def test_a_survey_list_goes_up_comes_back_with_a_comment_and_is_accepted(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "list-pages")
    slug, cell = world.slug, world.units["cell_x"]
    headers = await token_for(client, slug, "admin")
    for name, born in (("Đỗ Văn Bình", "2000-02-02"), ("Lý Thị Cúc", "2001-03-03")):
        made = await client.post(
            f"/t/{slug}/api/v1/candidates",
            json=candidate_body(
                cell, full_name=name, date_of_birth=born, political_standard="passed"
            ),
            headers=headers,
        )
        assert made.status_code == 201, made.text
    too_young = candidate_body(cell, full_name="Mai Văn Nhỏ", date_of_birth="2012-01-01")
    made = await client.post(f"/t/{slug}/api/v1/candidates", json=too_young, headers=headers)
    assert made.status_code == 201, made.text

    await portal_login(client, slug, "cell_x_editor")
    lists_url = f"/t/{slug}/units/{cell}/lists"
    page = await client.get(lists_url)
    assert '<label for="period">Kỳ rà soát' in page.text
    assert "Khảo sát năm 2026 — Khảo sát hằng năm" in page.text
    created = await client.post(
        lists_url,
        data={"step": "survey", "period": "2026-annual", "_csrf_token": csrf_token_in(page.text)},
    )
    assert created.status_code == 303, created.text
    list_url = created.headers["location"].split("?")[0]
    list_id = int(list_url.rsplit("/", 1)[1])

    shown = await client.get(created.headers["location"])
    assert "Dự thảo" in shown.text and "Đã lập danh sách theo quy định" in shown.text
    assert "Đỗ Văn Bình" in shown.text and "Lý Thị Cúc" in shown.text
    assert "Chưa đưa vào danh sách theo quy định (1)" in shown.text
    assert "Mai Văn Nhỏ" in shown.text and "Chưa đủ 18 tuổi" in shown.text
    assert "<blockquote>" in shown.text  # the guidance clause beside the reason
    assert f'href="/t/{slug}/lists/{list_id}/export?format=xlsx"' in shown.text

    again = await client.post(
        lists_url,
        data={"step": "survey", "period": "2026-annual", "_csrf_token": csrf_token_in(page.text)},
    )
    assert again.status_code == 400
    assert "Đơn vị đã có danh sách này cho kỳ 2026-annual" in again.text

    exported = await client.get(f"{list_url}/export?format=xlsx")
    assert exported.status_code == 200
    assert exported.content[:2] == b"PK"  # a zip: the XLSX

    binh = re.search(r'<option value="(\d+)">Đỗ Văn Bình', shown.text)
    assert binh
    no_reason = await post_on(
        client, list_url, f"{list_url}/remove", {"remove.candidate_id": binh.group(1)}
    )
    assert no_reason.status_code == 400
    assert "Hãy ghi lý do đưa ra khỏi danh sách." in no_reason.text

    few = await post_on(
        client,
        list_url,
        f"{list_url}/adopt",
        {**RESOLUTION, "resolution.members_present": "4", "resolution.members_agreeing": "4"},
    )
    assert few.status_code == 400
    assert 'id="resolution.members_present-error"' in few.text
    assert "Không đủ số đảng viên dự họp" in few.text
    assert 'value="05-NQ/CB"' in few.text  # what was typed stays

    adopted = await post_on(client, list_url, f"{list_url}/adopt", RESOLUTION)
    assert adopted.status_code == 303
    page = await client.get(list_url)
    assert "Đã thông qua" in page.text and "Nghị quyết số 05-NQ/CB" in page.text
    submitted = await post_on(client, list_url, f"{list_url}/submit", {})
    assert submitted.status_code == 303

    await portal_login(client, slug, "admin")
    inbox = await client.get(f"/t/{slug}/inbox")
    assert f'href="/t/{slug}/lists/{list_id}"' in inbox.text
    assert "Chi bộ thôn Ngọc Đà" in inbox.text and "<strong>2</strong> người" in inbox.text
    empty = await post_on(client, f"/t/{slug}/inbox", f"{list_url}/return", {"comment": " "})
    assert empty.status_code == 400 and "Hãy ghi ý kiến khi trả lại danh sách." in empty.text
    returned = await post_on(
        client,
        f"/t/{slug}/inbox",
        f"{list_url}/return",
        {"comment": "Đề nghị xem lại trường hợp Đỗ Văn Bình.", "next": "inbox", "confirm": "yes"},
    )
    assert returned.status_code == 303 and returned.headers["location"].endswith(
        "/inbox?done=returned"
    )

    await portal_login(client, slug, "cell_x_editor")
    page = await client.get(list_url)
    assert "Bị trả lại" in page.text and "Cấp trên đã trả lại danh sách" in page.text
    assert "Đề nghị xem lại trường hợp Đỗ Văn Bình." in page.text
    removed = await post_on(
        client,
        list_url,
        f"{list_url}/remove",
        {"remove.candidate_id": binh.group(1), "remove.reason": "Chuyển đi nơi khác"},
    )
    assert removed.status_code == 303
    page = await client.get(list_url)
    assert "Đã đưa ra khỏi danh sách (1)" in page.text and "Chuyển đi nơi khác" in page.text
    assert (await post_on(client, list_url, f"{list_url}/adopt", RESOLUTION)).status_code == 303
    assert (await post_on(client, list_url, f"{list_url}/submit", {})).status_code == 303

    await portal_login(client, slug, "admin")
    accepted = await post_on(
        client, f"/t/{slug}/inbox", f"{list_url}/accept", {"next": "inbox", "confirm": "yes"}
    )
    assert accepted.status_code == 303
    page = await client.get(list_url)
    assert "Đã tiếp nhận" in page.text
    assert (await client.get(f"/t/{slug}/inbox")).text.count(f"/lists/{list_id}/accept") == 0


async def test_a_stale_form_says_so_and_changes_nothing(db: Database, client: AppClient) -> None:
    world = await build_world(db, "list-stale")
    slug, cell = world.slug, world.units["cell_y"]
    await portal_login(client, slug, "cell_y_editor")
    lists_url = f"/t/{slug}/units/{cell}/lists"
    page = await client.get(lists_url)
    created = await client.post(
        lists_url,
        data={"step": "survey", "period": "2026-Q3", "_csrf_token": csrf_token_in(page.text)},
    )
    list_url = created.headers["location"].split("?")[0]
    page = await client.get(list_url)
    token, version = csrf_token_in(page.text), version_in(page.text)
    first = await client.post(
        f"{list_url}/refresh", data={"version": version, "_csrf_token": token}
    )
    assert first.status_code == 303
    stale = await client.post(
        f"{list_url}/refresh", data={"version": version, "_csrf_token": token}
    )
    assert stale.status_code == 409
    assert "Danh sách đã được người khác thay đổi" in stale.text
