"""A village cell secretary's whole step 1 on a phone (390×844), in a browser whose language
is English (dates must still be typed and shown day first): add people, make the survey
list, adopt it, submit it; the commune committee returns it with a comment after
confirming; the secretary finds it on the home page, corrects it and sends it again; the
commune accepts it after confirming. Every page of the walk is kept and checked for
English words, raw unit codes and usernames; screenshots go to test-artifacts/screenshots.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nguon.clock import today_in_vietnam
from nguon.portal.context import period_label
from nguon.rules.registry import load_package
from tests.browser.conftest import PHONE, served_copy
from tests.browser.pages import SLUG

pytestmark = pytest.mark.browser
CURRENT = load_package("hungyen").calendar.period_for(today_in_vietnam())
CELL = "Chi bộ thôn 1"
COMMENT = "Anh Vương Đình Khải đã chuyển đi nơi khác, đề nghị đưa ra khỏi danh sách."
PEOPLE = (("Hà Thị Mai", "05/09/2001"), ("Vương Đình Khải", "17/08/1999"))

LEAKED_WORDS = (
    # Seen on the demo before this walk existed, and their kin.
    "Not found",
    "Unknown",
    "tenant",
    "Invalid",
    "username",
    "password",
    "None",
    "null",
    "undefined",
    "step_1",
    "step_2",
    "step_3",
    "survey",
    "course_nominees",
    "admission_sources",
    "draft",
    "adopted",
    "submitted",
    "returned",
    "accepted",
    "editor",
    "approver",
    "viewer",
    "tenant_admin",
    "subordinate_cell",
    "grassroots_cell",
    "commune_committee",
    "organisation_board",
    "eligible",
    "needs_review",
    "not_eligible",
    "surveyed",
    "male",
    "female",
    "university",
    "passed",
    "Forbidden",
    "Error",
    "Internal",
    "Method Not Allowed",
    "Your role",
    "receiver",
    "version",
    "cli:demo",
)
LEAK = re.compile(r"\b(" + "|".join(re.escape(w) for w in LEAKED_WORDS) + r")\b", re.IGNORECASE)
RAW_ID = re.compile(r"#\d+")
US_DATE = re.compile(r"\b(0?[1-9]|1[0-2])/(1[3-9]|2\d|3[01])/\d{4}\b")
"""A month-first date that cannot be read day first (12/25/2026)."""


def _word(token: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w.]){re.escape(token)}(?![\w])")


@pytest.fixture(scope="module")
def own_portal(seeded_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own over a fresh copy of the demo: the walk makes the cell's list."""
    folder = Path(tmp_path_factory.mktemp("phone-walk"))
    with served_copy(seeded_demo, folder) as base:
        yield base


@pytest.fixture(scope="module")
def codes_and_usernames(seeded_demo: Path) -> tuple[list[str], list[str]]:
    with sqlite3.connect(seeded_demo) as db:
        # Dotted codes ("hy.x.nhuquynh"); the bare root "hy" is also a Vietnamese word.
        codes = [row[0] for row in db.execute("SELECT code FROM org_unit") if "." in row[0]]
        usernames = [row[0] for row in db.execute("SELECT username FROM app_user")]
    return codes, usernames


class Walk:
    """The pages one person saw, each kept as text and as a phone screenshot."""

    def __init__(self, page: Any, folder: Path, who: str) -> None:
        self.page = page
        self.folder = folder
        self.who = who
        self.seen: list[tuple[str, str]] = []

    async def keep(self, name: str | None = None) -> str:
        page = self.page
        await page.wait_for_load_state()
        text = await page.locator("body").inner_text()
        title = await page.title()
        self.seen.append((f"{self.who} {page.url}", f"{title}\n{text}"))
        if name:
            await page.screenshot(path=str(self.folder / f"{name}.png"), full_page=True)
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{page.url} scrolls sideways on a phone by {overflow}px"
        return text


async def phone(browser: Any, base: str, username: str, password: str, folder: Path) -> Walk:
    # An English browser: the portal must not depend on the browser's language.
    context = await browser.new_context(locale="en-US", viewport=PHONE)
    walk = Walk(await context.new_page(), folder, username)
    page = walk.page
    await page.goto(f"{base}/t/{SLUG}/login")
    await page.get_by_label("Tên đăng nhập").fill(username)
    await page.get_by_label("Mật khẩu").fill(password)
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_url(f"{base}/t/{SLUG}/")
    return walk


async def add_person(walk: Walk, name: str, born: str, shot: str | None) -> None:
    page = walk.page
    await page.get_by_role("link", name="Thêm quần chúng").click()
    await walk.keep(shot)
    await page.get_by_label("Họ và tên").fill(name)
    await page.get_by_label("Ngày sinh").fill(born)
    await page.get_by_label("Giới tính").select_option(label="Nữ" if "Thị" in name else "Nam")
    await page.get_by_label("Trình độ học vấn").select_option(label="Đại học")
    await page.get_by_label("Thẩm tra lý lịch (tiêu chuẩn chính trị)").select_option(
        label="Đã thẩm tra, đạt"
    )
    await page.get_by_role("button", name="Thêm vào danh sách").click()
    await page.wait_for_url("**/candidates/*?saved=1")
    text = await walk.keep()
    assert born in text, f"{name}'s date of birth is not shown as typed, day first"


async def adopt_and_submit(walk: Walk, number: str, adopted_on: str, shot: str) -> None:
    page = walk.page
    await page.get_by_label("Số nghị quyết").fill(number)
    await page.get_by_label("Ngày thông qua").fill(adopted_on)
    await page.get_by_label("Tổng số đảng viên chính thức").fill("9")
    await page.get_by_label("Số đảng viên chính thức có mặt").fill("8")
    await page.get_by_label("Số đảng viên tán thành").fill("8")
    await page.get_by_role("button", name="Ghi nghị quyết, thông qua danh sách").click()
    await page.get_by_text("Đã ghi nghị quyết thông qua danh sách").wait_for()
    await walk.keep()
    await page.get_by_role("button", name="Gửi danh sách").click()
    await page.get_by_text("Đã gửi danh sách lên cấp trên.").wait_for()
    await walk.keep(shot)
    assert await page.locator(".list-meta .state").inner_text() == "Đã gửi"


async def test_a_cell_secretary_does_step_one_on_a_phone(
    browser: Any,
    own_portal: str,
    screenshots: Path,
    codes_and_usernames: tuple[list[str], list[str]],
) -> None:
    assert CURRENT is not None, "the package calendar has no review period for today"
    base, today = own_portal, today_in_vietnam()
    shots = screenshots / "phone-walk"
    shots.mkdir(exist_ok=True)

    # A mistyped password is answered in Vietnamese.
    context = await browser.new_context(locale="en-US", viewport=PHONE)
    stranger = Walk(await context.new_page(), shots, "stranger")
    await stranger.page.goto(f"{base}/t/{SLUG}/login")
    await stranger.page.get_by_label("Tên đăng nhập").fill("demo.chibo")
    await stranger.page.get_by_label("Mật khẩu").fill("not-the-password")
    await stranger.page.get_by_role("button", name="Đăng nhập").click()
    assert "mật khẩu không đúng" in await stranger.keep("00-login-wrong-password")
    await stranger.page.goto(f"{base}/t/no-such-province/")
    assert "Không tìm thấy" in await stranger.keep("00-unknown-province")

    chibo = await phone(browser, base, "demo.chibo", "chibo-demo-2024", shots)
    page = chibo.page
    # The next thing to do is on the home page before anything else: make this period's list.
    todo = page.locator("ul.next > li").first
    assert f"kỳ {period_label(CURRENT)} — {CELL}" in await todo.inner_text()
    assert await todo.get_by_role("link", name="Lập danh sách").is_visible()
    await chibo.keep("01-home")
    await page.goto(f"{base}/t/{SLUG}/units/999999")
    assert "Không tìm thấy đơn vị này" in await chibo.keep("02-missing-unit")
    await page.goto(f"{base}/t/{SLUG}/")
    await page.get_by_role("link", name=CELL).first.click()
    await chibo.keep("03-cell")
    for number, (name, born) in enumerate(PEOPLE):
        await add_person(chibo, name, born, "04-add-person" if number == 0 else None)
        await page.get_by_role("link", name=CELL).first.click()

    await page.get_by_role("link", name="Danh sách theo kỳ").click()
    await chibo.keep("05-cell-lists")
    await page.get_by_label("Loại danh sách").select_option(label="Danh sách khảo sát")
    await page.get_by_label("Kỳ rà soát").select_option(CURRENT.code)
    await page.get_by_role("button", name="Lập danh sách").click()
    await page.wait_for_url("**/lists/*?done=created")
    list_url = page.url.split("?")[0]
    await chibo.keep("06-list-draft")
    table = page.locator("table.form-table")
    for name, _ in PEOPLE:
        assert name in await table.inner_text()
    # The wide form scrolls sideways; the person's name stays in view, and the page says so.
    assert await page.locator(".scroll-hint").is_visible()
    name_cell = table.locator("tbody th.pin-name").filter(has_text=PEOPLE[0][0])
    wrap = page.locator(".table-wrap").filter(has=table)
    await wrap.evaluate("node => { node.scrollLeft = node.scrollWidth }")
    box, frame = await name_cell.bounding_box(), await wrap.bounding_box()
    assert box and frame and box["x"] >= frame["x"] - 1, "the name scrolled out of view"
    await chibo.keep("07-list-scrolled")

    # A date typed the US way round is refused, naming the field, and nothing is adopted.
    await page.get_by_label("Số nghị quyết").fill("05-NQ/CB")
    await page.get_by_label("Ngày thông qua").fill("12/31/2026")
    await page.get_by_label("Tổng số đảng viên chính thức").fill("9")
    await page.get_by_label("Số đảng viên chính thức có mặt").fill("8")
    await page.get_by_label("Số đảng viên tán thành").fill("8")
    await page.get_by_role("button", name="Ghi nghị quyết, thông qua danh sách").click()
    error = page.locator("[id='resolution.adopted_on-error']")
    await error.wait_for()
    assert "Ngày thông qua" in await error.inner_text()
    assert await page.locator(".list-meta .state").inner_text() == "Dự thảo"
    await chibo.keep("08-adopt-bad-date")
    await adopt_and_submit(chibo, "05-NQ/CB", f"{today:%d/%m/%Y}", "09-list-sent")

    coso = await phone(browser, base, "demo.coso", "coso-demo-2024", shots)
    home = await coso.keep("10-commune-home")
    assert f"{CELL}" in home and "Chờ bạn xử lý" in home
    # The commune reads the cell's list but has no form to change it.
    await coso.page.goto(list_url)
    await coso.keep("11-commune-reads-cell-list")
    for form in ("Sửa danh sách", "Nghị quyết thông qua danh sách", "Gửi lên cấp trên"):
        assert await coso.page.get_by_role("heading", name=form).count() == 0, form
    await coso.page.goto(f"{base}/t/{SLUG}/inbox")
    label = period_label(CURRENT)
    item = coso.page.locator("ul.inbox > li").filter(has_text=f"kỳ {label} — {CELL}")
    await item.get_by_text("Trả lại kèm ý kiến").click()
    await item.get_by_label("Ý kiến khi trả lại").fill(COMMENT)
    await item.get_by_role("button", name="Trả lại danh sách").click()
    # Not confirmed: the browser keeps the form (required checkbox), nothing is returned,
    # and says why in Vietnamese although the browser's own language is English.
    assert coso.page.url.endswith("/inbox")
    confirm = item.get_by_label(re.compile("Tôi xác nhận trả lại"))
    said = await confirm.evaluate("box => box.validationMessage")
    assert said == "Hãy đánh dấu ô này nếu bạn muốn tiếp tục.", said
    await coso.keep("12-return-unconfirmed")
    await item.get_by_label(re.compile("Tôi xác nhận trả lại")).check()
    await item.get_by_role("button", name="Trả lại danh sách").click()
    await coso.page.get_by_text("Đã trả lại danh sách kèm ý kiến.").wait_for()
    await coso.keep("13-returned")

    # The secretary's home page says so first, with the comment and the way to fix it.
    await page.goto(f"{base}/t/{SLUG}/")
    first = page.locator("ul.next > li").first
    assert "Bị trả lại" in await first.inner_text()
    assert COMMENT in await first.inner_text()
    await chibo.keep("14-home-returned")
    await first.get_by_role("link", name="Sửa và gửi lại").click()
    await page.wait_for_url(list_url)
    assert COMMENT in await page.locator(".notice.returned").inner_text()
    await chibo.keep("15-list-returned")
    await page.get_by_label("Người đưa ra").select_option(
        label=f"{PEOPLE[1][0]} — {CELL} (xã Lạc Hồng cũ)"
    )
    await page.get_by_label("Lý do đưa ra").fill("Đã chuyển đi nơi khác")
    await page.get_by_role("button", name="Đưa ra khỏi danh sách").click()
    await page.get_by_text("Đã cập nhật danh sách.").wait_for()
    await chibo.keep()
    await adopt_and_submit(chibo, "06-NQ/CB", f"{today:%d/%m/%Y}", "16-list-sent-again")
    history = await page.locator("section[aria-labelledby=h-history]").inner_text()
    assert "Nguyễn Văn Hùng" in history and "Trần Thị Lan" in history

    await coso.page.goto(f"{base}/t/{SLUG}/inbox")
    item = coso.page.locator("ul.inbox > li").filter(has_text=f"kỳ {label} — {CELL}")
    await item.get_by_label(re.compile("đồng ý tiếp nhận")).check()
    await item.get_by_role("button", name="Tiếp nhận").click()
    await coso.page.get_by_text("Đã tiếp nhận danh sách.").wait_for()
    await coso.keep("17-accepted")
    await page.goto(list_url)
    assert await page.locator(".list-meta .state").inner_text() == "Đã tiếp nhận"
    await chibo.keep("18-list-accepted")
    await page.goto(f"{base}/t/{SLUG}/")
    await chibo.keep("19-home-after")

    codes, usernames = codes_and_usernames
    problems = []
    for where, text in stranger.seen + chibo.seen + coso.seen:
        problems += [f"{where}: English {m!r}" for m in LEAK.findall(text)]
        problems += [f"{where}: raw id {m!r}" for m in RAW_ID.findall(text)]
        problems += [f"{where}: month-first date {m.group(0)!r}" for m in US_DATE.finditer(text)]
        problems += [f"{where}: unit code {c!r}" for c in codes if _word(c).search(text)]
        problems += [f"{where}: username {u!r}" for u in usernames if _word(u).search(text)]
    assert not problems, "\n".join(problems)
    for walk in (stranger, chibo, coso):
        await walk.page.context.close()
