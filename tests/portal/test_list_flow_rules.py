"""Who sees and does what with a list, over HTTP: an inbox holds only the lists addressed to
one of the reader's own units; only the users of the unit that owns a list make, change,
adopt and send it (403 with a Vietnamese reason otherwise, nothing changed); accepting
and returning need a confirmation; the home page says first what the reader must do."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from nguon.accounts.tables import User
from nguon.clock import today_in_vietnam
from nguon.org.tables import Membership
from nguon.pipeline.tables import CandidateList
from nguon.tenancy.scoped import switch_tenant_in_transaction
from tests.conftest import Database
from tests.http.conftest import (
    _PASSWORD_HASH,
    AppClient,
    World,
    build_today_world,
    candidate_body,
    csrf_token_in,
    portal_login,
    token_for,
)

TODAY = today_in_vietnam()
PERIOD = f"{TODAY.year}-annual"
RESOLUTION = {
    "resolution.number": "05-NQ/CB",
    "resolution.adopted_on": f"{TODAY:%d/%m/%Y}",
    "resolution.members_total": "9",
    "resolution.members_present": "8",
    "resolution.members_agreeing": "8",
}
ENGLISH = re.compile(r"\b(Only|Forbidden|Not found|Unknown|role|receiver|version)\b")


def version_in(html: str) -> str:
    match = re.search(r'name="version" value="(\d+)"', html)
    assert match, "the page has no version field"
    return match.group(1)


async def post_on(
    client: AppClient, page_url: str, url: str, data: dict[str, str], version: str = ""
) -> Any:
    page = await client.get(page_url)
    token = csrf_token_in(page.text)
    if not version:
        found = re.search(r'name="version" value="(\d+)"', page.text)
        version = found.group(1) if found else "1"
    return await client.post(url, data={"version": version, **data, "_csrf_token": token})


async def add_user(db: Database, world: World, username: str, unit: str, role: str) -> None:
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            user = User(
                tenant_id=world.tenant_id,
                username=username,
                full_name=f"Người dùng {username}",
                password_hash=_PASSWORD_HASH,
            )
            await user.save().run()
            await (
                Membership(
                    tenant_id=world.tenant_id,
                    user=user.id,
                    unit=world.units[unit],
                    role=role,
                    valid_from=dt.date(2025, 7, 1),
                )
                .save()
                .run()
            )


async def list_state(db: Database, world: World, list_id: int) -> tuple[str, int]:
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            row = await (
                CandidateList.select(CandidateList.state, CandidateList.version)
                .where(CandidateList.id == list_id)
                .first()
            )
    assert row is not None
    return row["state"], row["version"]


async def submitted_list(db: Database, client: AppClient, prefix: str) -> tuple[World, str, int]:
    """A world (province, board, commune committee, two cells) with province and board
    approvers; cell_x's survey list for this year, made, adopted and submitted by its
    own editor, waiting at the commune committee."""
    world = await build_today_world(db, prefix)
    await add_user(db, world, "province_approver", "province", "approver")
    await add_user(db, world, "board_approver", "board", "approver")
    slug, cell = world.slug, world.units["cell_x"]
    headers = await token_for(client, slug, "admin")
    made = await client.post(
        f"/t/{slug}/api/v1/candidates",
        json=candidate_body(cell, full_name="Đỗ Văn Bình", political_standard="passed"),
        headers=headers,
    )
    assert made.status_code == 201, made.text
    await portal_login(client, slug, "cell_x_editor")
    lists_url = f"/t/{slug}/units/{cell}/lists"
    page = await client.get(lists_url)
    created = await client.post(
        lists_url,
        data={"step": "survey", "period": PERIOD, "_csrf_token": csrf_token_in(page.text)},
    )
    assert created.status_code == 303, created.text
    list_url = created.headers["location"].split("?")[0]
    adopted = await post_on(client, list_url, f"{list_url}/adopt", RESOLUTION)
    assert adopted.status_code == 303, adopted.text
    submitted = await post_on(client, list_url, f"{list_url}/submit", {})
    assert submitted.status_code == 303
    return world, list_url, int(list_url.rsplit("/", 1)[1])


async def test_an_inbox_holds_only_lists_addressed_to_the_readers_units(
    db: Database, client: AppClient
) -> None:
    world, list_url, list_id = await submitted_list(db, client, "hop-thu")
    slug = world.slug
    link = f'href="/t/{slug}/lists/{list_id}"'

    await portal_login(client, slug, "committee_approver")
    assert link in (await client.get(f"/t/{slug}/inbox")).text
    assert link in (await client.get(f"/t/{slug}/")).text
    for reader in ("province_approver", "board_approver"):
        await portal_login(client, slug, reader)
        assert link not in (await client.get(f"/t/{slug}/inbox")).text, reader
        assert link not in (await client.get(f"/t/{slug}/")).text, reader
        # The province reads the list, without the forms to decide on it; the board (beside
        # the communes, not above them) does not see it at all.
        page = await client.get(list_url)
        assert page.status_code == (200 if reader == "province_approver" else 404), reader
        assert f"{list_url}/accept" not in page.text and f"{list_url}/return" not in page.text
        api = await client.get(
            f"/t/{slug}/api/v1/lists/inbox", headers=await token_for(client, slug, reader)
        )
        assert api.status_code == 200 and api.json()["items"] == [], reader
    api = await client.get(
        f"/t/{slug}/api/v1/lists/inbox",
        headers=await token_for(client, slug, "committee_approver"),
    )
    assert [item["id"] for item in api.json()["items"]] == [list_id]

    # Nor may they decide on it by posting anyway.
    state = await list_state(db, world, list_id)
    await portal_login(client, slug, "province_approver")
    refused = await post_on(client, list_url, f"{list_url}/accept", {"confirm": "yes"})
    assert refused.status_code == 403
    assert "Chỉ người phê duyệt của đơn vị nhận danh sách" in refused.text
    assert await list_state(db, world, list_id) == state == ("submitted", state[1])


async def test_only_the_owning_unit_makes_and_changes_its_list(
    db: Database, client: AppClient
) -> None:
    world = await build_today_world(db, "chu-so-huu")
    slug, cell = world.slug, world.units["cell_x"]
    await portal_login(client, slug, "cell_x_editor")
    lists_url = f"/t/{slug}/units/{cell}/lists"
    page = await client.get(lists_url)
    created = await client.post(
        lists_url,
        data={"step": "survey", "period": PERIOD, "_csrf_token": csrf_token_in(page.text)},
    )
    list_url = created.headers["location"].split("?")[0]
    list_id = int(list_url.rsplit("/", 1)[1])
    before = await list_state(db, world, list_id)

    await portal_login(client, slug, "committee_approver")
    page = await client.get(list_url)
    assert page.status_code == 200
    for form in ("/add", "/remove", "/adopt", "/submit", "/refresh"):
        assert f'action="{list_url}{form}"' not in page.text, form
    assert "Sửa danh sách" not in page.text and "Nghị quyết thông qua danh sách" not in page.text
    lists_page = await client.get(lists_url)
    assert "Lập danh sách" not in lists_page.text
    attempts = {
        "add": {"add.candidate_id": "1"},
        "remove": {"remove.candidate_id": "1", "remove.reason": "Thử"},
        "adopt": RESOLUTION,
        "submit": {},
        "refresh": {},
    }
    for action, data in attempts.items():
        refused = await post_on(client, list_url, f"{list_url}/{action}", data, version="1")
        assert refused.status_code == 403, action
        assert "Chỉ cán bộ của đơn vị lập danh sách" in refused.text, action
        assert not ENGLISH.search(refused.text.split("<main", 1)[1]), action
    made = await post_on(
        client, lists_url, lists_url, {"step": "survey", "period": f"{TODAY.year}-Q4"}
    )
    assert made.status_code == 403
    assert "Chỉ cán bộ của đơn vị mới được lập danh sách" in made.text
    assert await list_state(db, world, list_id) == before

    # The API refuses the same, with the reason in Vietnamese first.
    headers = await token_for(client, slug, "committee_approver")
    api = await client.post(
        f"/t/{slug}/api/v1/lists/{list_id}/refresh", json={"version": 1}, headers=headers
    )
    assert api.status_code == 403
    assert api.json()["detail"].startswith("Chỉ cán bộ của đơn vị lập danh sách")
    assert await list_state(db, world, list_id) == before


async def test_accepting_and_returning_need_a_confirmation(db: Database, client: AppClient) -> None:
    world, list_url, list_id = await submitted_list(db, client, "xac-nhan")
    slug = world.slug
    inbox_url = f"/t/{slug}/inbox"
    await portal_login(client, slug, "committee_approver")
    inbox = await client.get(inbox_url)
    assert re.search(r'<input id="accept-confirm-\d+" name="confirm" type="checkbox"', inbox.text)
    assert inbox.text.count('name="confirm" type="checkbox" value="yes" required') == 2
    state = await list_state(db, world, list_id)

    unconfirmed = await post_on(client, inbox_url, f"{list_url}/accept", {"next": "inbox"})
    assert unconfirmed.status_code == 400
    assert "Hãy đánh dấu xác nhận đã xem danh sách trước khi tiếp nhận." in unconfirmed.text
    returned = await post_on(
        client, inbox_url, f"{list_url}/return", {"comment": "Xem lại.", "next": "inbox"}
    )
    assert returned.status_code == 400
    assert "Hãy đánh dấu xác nhận trả lại danh sách." in returned.text
    assert 'value="Xem lại."' in returned.text or "Xem lại.</textarea>" in returned.text
    assert await list_state(db, world, list_id) == state

    comment = "Đề nghị bổ sung lý lịch của anh Bình."
    returned = await post_on(
        client,
        inbox_url,
        f"{list_url}/return",
        {"comment": comment, "next": "inbox", "confirm": "yes"},
    )
    assert returned.status_code == 303
    assert (await list_state(db, world, list_id))[0] == "returned"

    # The cell's editor reads it first thing on the home page, with the way to fix it.
    await portal_login(client, slug, "cell_x_editor")
    home = (await client.get(f"/t/{slug}/")).text
    next_steps = home.split('id="h-next"', 1)[1].split("</section>", 1)[0]
    assert "Bị trả lại" in next_steps and comment in next_steps
    assert f'href="{list_url}"' in next_steps and "Sửa và gửi lại" in next_steps
    assert home.index('id="h-next"') < home.index('id="h-period"')
    resubmitted = await post_on(client, list_url, f"{list_url}/adopt", RESOLUTION)
    assert resubmitted.status_code == 303
    assert (await post_on(client, list_url, f"{list_url}/submit", {})).status_code == 303
    home = (await client.get(f"/t/{slug}/")).text
    assert "Bị trả lại" not in home

    await portal_login(client, slug, "committee_approver")
    accepted = await post_on(
        client, inbox_url, f"{list_url}/accept", {"next": "inbox", "confirm": "yes"}
    )
    assert accepted.status_code == 303
    assert (await list_state(db, world, list_id))[0] == "accepted"


async def test_a_list_past_its_deadline_is_marked_late(db: Database, client: AppClient) -> None:
    world = await build_today_world(db, "qua-han")
    slug, cell = world.slug, world.units["cell_x"]
    # The first quarter's list, never sent: its deadline passed long ago.
    past = f"{TODAY.year}-Q1"
    await portal_login(client, slug, "cell_x_editor")
    lists_url = f"/t/{slug}/units/{cell}/lists"
    made = await post_on(client, lists_url, lists_url, {"step": "survey", "period": past})
    assert made.status_code == 303, made.text
    list_url = made.headers["location"].split("?")[0]
    page = (await client.get(list_url)).text
    assert re.search(r'<span class="tag late">Quá hạn \d+ ngày</span>', page)
    assert re.search(r"Quá hạn \d+ ngày", (await client.get(lists_url)).text)
    home = (await client.get(f"/t/{slug}/")).text
    next_steps = home.split('id="h-next"', 1)[1].split("</section>", 1)[0]
    assert "Quá hạn" in next_steps and f'href="{list_url}"' in next_steps


async def test_error_pages_and_sign_in_speak_vietnamese(db: Database, client: AppClient) -> None:
    world = await build_today_world(db, "loi")
    slug = world.slug
    page = await client.get(f"/t/{slug}/login")
    wrong = await client.post(
        f"/t/{slug}/login",
        data={
            "username": "cell_x_editor",
            "password": "sai-mat-khau",
            "_csrf_token": csrf_token_in(page.text),
        },
    )
    assert wrong.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in wrong.text
    assert "incorrect" not in wrong.text and "username or password" not in wrong.text
    await portal_login(client, slug, "cell_x_editor")
    for url, said in (
        (f"/t/{slug}/units/999999", "Không tìm thấy đơn vị này"),
        (f"/t/{slug}/lists/999999", "Không tìm thấy danh sách này"),
        (f"/t/{slug}/no-such-page", "Không tìm thấy trang này"),
        ("/t/no-such-province/", "Không tìm thấy đơn vị sử dụng"),
    ):
        answer = await client.get(url)
        assert answer.status_code == 404, url
        assert said in answer.text, url
        shown = answer.text.split("<main", 1)[1]
        assert not ENGLISH.search(shown), url
        assert "tenant" not in shown.lower(), url
