"""A survey list's whole journey in a real browser, in the current period of the real clock
and today's tree (no district level since 2025-07-01): the village cell secretary adds a
candidate, makes the list and submits it; the commune committee returns it with a comment;
the secretary corrects and resubmits; the commune committee accepts it (its dashboard counts
it) and sends its own list up; the organisation board sees the commune's list with its
sources and has it in its inbox. Then the commune committee's course and plan pages.
Screenshots of each main page at desktop and phone width."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from nguon.clock import today_in_vietnam
from nguon.portal.context import period_label
from nguon.rules.registry import load_package
from tests.browser.conftest import DESKTOP
from tests.browser.pages import SLUG, shoot, sign_in

pytestmark = pytest.mark.browser
CURRENT = load_package("hungyen").calendar.period_for(today_in_vietnam())
PERIOD = CURRENT.code if CURRENT is not None else None
COMMENT = "Anh Đặng Văn Sơn đã chuyển công tác, đề nghị đưa ra khỏi danh sách."


async def as_user(browser: Any, base: str, username: str, password: str) -> Any:
    context = await browser.new_context(locale="vi-VN", viewport=DESKTOP)
    page = await context.new_page()
    await sign_in(page, base, username, password)
    return page


async def submitted_count(page: Any, base: str, period_label: str) -> int:
    await page.goto(f"{base}/t/{SLUG}/")
    await page.get_by_role("link", name="Tổng hợp").first.click()
    await page.wait_for_url("**/dashboard")
    line = page.locator("section[aria-labelledby=h-late] p").filter(has_text=period_label)
    match = re.search(r"(\d+)/\d+ đơn vị đã nộp", await line.first.inner_text())
    assert match, await line.first.inner_text()
    return int(match.group(1))


async def adopt(page: Any, number: str) -> None:
    """Record the resolution (a cell's members, or a committee's members) and send the list."""
    await page.get_by_label("Số nghị quyết").fill(number)
    if await page.get_by_label("Tổng số ủy viên ban chấp hành").count():
        await page.get_by_label("Tổng số ủy viên ban chấp hành").fill("9")
        await page.get_by_label("Số ủy viên có mặt").fill("8")
        await page.get_by_label("Số ủy viên tán thành").fill("8")
    else:
        await page.get_by_label("Tổng số đảng viên chính thức").fill("9")
        await page.get_by_label("Số đảng viên chính thức có mặt").fill("8")
        await page.get_by_label("Số đảng viên tán thành").fill("8")
    await page.get_by_role("button", name="Ghi nghị quyết, thông qua danh sách").click()
    await page.get_by_text("Đã ghi nghị quyết thông qua danh sách").wait_for()
    await page.get_by_role("button", name="Gửi danh sách").click()
    await page.get_by_text("Đã gửi danh sách lên cấp trên.").wait_for()
    assert await page.locator(".list-meta .state").inner_text() == "Đã gửi"


async def add_person(page: Any, name: str) -> None:
    """On a cell's page: add a person who meets the conditions."""
    await page.get_by_role("link", name="Thêm quần chúng").click()
    await page.get_by_label("Họ và tên").fill(name)
    await page.get_by_label("Ngày sinh").fill("05/05/2000")
    await page.get_by_label("Giới tính").select_option("male")
    await page.get_by_label("Trình độ học vấn").select_option("university")
    await page.get_by_label("Thẩm tra lý lịch (tiêu chuẩn chính trị)").select_option("passed")
    await page.get_by_role("button", name="Thêm vào danh sách").click()
    await page.wait_for_url("**/candidates/*?saved=1")


async def make_list(page: Any) -> str:
    """On a unit's page: open its lists and make the survey list for the current period."""
    await page.get_by_role("link", name="Danh sách theo kỳ").click()
    await page.get_by_label("Loại danh sách").select_option("survey")
    await page.get_by_label("Kỳ rà soát").select_option(PERIOD)
    await page.get_by_role("button", name="Lập danh sách").click()
    await page.wait_for_url("**/lists/*?done=created")
    return page.url.split("?")[0]


async def test_a_survey_list_goes_up_is_returned_corrected_and_accepted(
    browser: Any, portal_url: str, screenshots: Path
) -> None:
    assert PERIOD is not None, "the package calendar has no review period for today"
    coso = await as_user(browser, portal_url, "demo.coso", "coso-demo-2024")
    label = period_label(PERIOD)
    before = await submitted_count(coso, portal_url, label)

    chibo = await as_user(browser, portal_url, "demo.chibo", "chibo-demo-2024")
    await chibo.get_by_role("link", name="Chi bộ thôn 1").first.click()
    await add_person(chibo, "Đặng Văn Sơn")
    await chibo.get_by_role("link", name="Chi bộ thôn 1").click()
    list_url = await make_list(chibo)

    assert await chibo.locator(".list-meta .state").inner_text() == "Dự thảo"
    included = chibo.locator("table.form-table tbody")
    assert "Đặng Văn Sơn" in await included.inner_text()
    refused = chibo.locator("section[aria-labelledby=h-refused] ul.people > li")
    assert await refused.count() > 0
    # A reason links to its clause, quoted once below the people (several reasons fold).
    first_refused = refused.first
    if await first_refused.locator("details > summary").count():
        await first_refused.locator("details > summary").click()
    await first_refused.locator("a.basis").first.click()
    assert len(await chibo.locator("dl.bases dt:target + dd blockquote").inner_text()) > 20
    assert await chibo.get_by_role("link", name="Tải Excel").is_visible()
    await shoot(chibo, screenshots, "10-list-draft")
    await adopt(chibo, "05-NQ/CB")

    await coso.goto(f"{portal_url}/t/{SLUG}/")
    await coso.get_by_role("link", name="Danh sách chờ tôi xử lý").click()
    await coso.wait_for_url("**/inbox")
    item = coso.locator("ul.inbox > li").filter(has_text=f"kỳ {label} — Chi bộ thôn 1")
    assert "Chi bộ thôn 1" in await item.inner_text()
    await shoot(coso, screenshots, "11-inbox")
    await item.get_by_text("Trả lại kèm ý kiến").click()
    await item.get_by_label("Ý kiến khi trả lại").fill(COMMENT)
    await item.get_by_label(re.compile("Tôi xác nhận trả lại")).check()
    await item.get_by_role("button", name="Trả lại danh sách").click()
    await coso.get_by_text("Đã trả lại danh sách kèm ý kiến.").wait_for()

    await chibo.goto(list_url)
    assert await chibo.locator(".list-meta .state").inner_text() == "Bị trả lại"
    assert COMMENT in await chibo.locator(".notice.returned").inner_text()
    await shoot(chibo, screenshots, "12-list-returned")
    await chibo.get_by_label("Người đưa ra").select_option(
        label="Đặng Văn Sơn — Chi bộ thôn 1 (xã Lạc Hồng cũ)"
    )
    await chibo.get_by_label("Lý do đưa ra").fill("Đã chuyển công tác khỏi địa phương")
    await chibo.get_by_role("button", name="Đưa ra khỏi danh sách").click()
    await chibo.get_by_text("Đã cập nhật danh sách.").wait_for()
    removed = chibo.locator("section[aria-labelledby=h-removed]")
    assert "Đã chuyển công tác khỏi địa phương" in await removed.inner_text()
    await adopt(chibo, "06-NQ/CB")

    await coso.goto(f"{portal_url}/t/{SLUG}/inbox")
    item = coso.locator("ul.inbox > li").filter(has_text=f"kỳ {label} — Chi bộ thôn 1")
    await item.get_by_label(re.compile("đồng ý tiếp nhận")).check()
    await item.get_by_role("button", name="Tiếp nhận").click()
    await coso.get_by_text("Đã tiếp nhận danh sách.").wait_for()
    waiting = coso.locator("ul.inbox > li").filter(has_text=f"kỳ {label} — Chi bộ thôn 1")
    assert await waiting.count() == 0
    # The commune's own list gathers what its cells sent, and goes up the chain.
    await coso.goto(f"{portal_url}/t/{SLUG}/")
    await coso.get_by_role("link", name="Đảng ủy xã Như Quỳnh").first.click()
    await make_list(coso)
    sources = coso.locator("section[aria-labelledby=h-sources]")
    assert "Chi bộ thôn 1" in await sources.inner_text()
    await adopt(coso, "15-NQ/ĐU")

    # The commune committee's dashboard counts the cell's list.
    assert await submitted_count(coso, portal_url, label) > before
    # The organisation board sees the commune's list with its sources, in its inbox.
    tinh = await as_user(browser, portal_url, "demo.tinh", "tinh-demo-2024")
    await tinh.get_by_role("link", name="Danh sách", exact=True).first.click()
    below = tinh.locator("section[aria-labelledby=h-below] tr").filter(
        has_text="Đảng ủy xã Như Quỳnh"
    )
    await below.filter(has_text=label).get_by_role("link").first.click()
    await tinh.wait_for_url("**/lists/*")
    sources = tinh.locator("section[aria-labelledby=h-sources]")
    assert "Chi bộ thôn 1" in await sources.inner_text()
    await shoot(tinh, screenshots, "13-list-aggregate")
    await tinh.goto(f"{portal_url}/t/{SLUG}/")
    await tinh.get_by_role("link", name="Danh sách chờ tôi xử lý").first.click()
    item = tinh.locator("ul.inbox > li").filter(has_text=f"kỳ {label} — Đảng ủy xã Như Quỳnh")
    assert "Gửi Ban Tổ chức Tỉnh ủy" in await item.inner_text()
    await accept_from_inbox(tinh, portal_url, f"kỳ {label} — Đảng ủy xã Như Quỳnh")
    # The board gathers what it accepted and sends it to the provincial standing committee.
    await tinh.goto(f"{portal_url}/t/{SLUG}/")
    await tinh.get_by_role("link", name="Tỉnh ủy Hưng Yên", exact=True).first.click()
    await tinh.get_by_role("link", name="Ban Tổ chức Tỉnh ủy", exact=True).click()
    await make_list(tinh)
    sources = tinh.locator("section[aria-labelledby=h-sources]")
    assert "Đảng ủy xã Như Quỳnh" in await sources.inner_text()
    await adopt(tinh, "20-NQ/BTC")
    assert "Gửi lên: Tỉnh ủy Hưng Yên" in await tinh.locator(".list-meta").inner_text()
    await shoot(tinh, screenshots, "16-list-board-sent")
    await tinh.goto(f"{portal_url}/t/{SLUG}/inbox")
    item = tinh.locator("ul.inbox > li").filter(has_text=f"kỳ {label} — Ban Tổ chức Tỉnh ủy")
    assert "Gửi Tỉnh ủy Hưng Yên" in await item.inner_text()
    await shoot(tinh, screenshots, "17-inbox-province")
    for page in (tinh, chibo, coso):
        await page.context.close()


async def accept_from_inbox(page: Any, base: str, title: str | re.Pattern[str]) -> None:
    await page.goto(f"{base}/t/{SLUG}/inbox")
    item = page.locator("ul.inbox > li").filter(has_text=title)
    await item.get_by_label(re.compile("đồng ý tiếp nhận")).check()
    await item.get_by_role("button", name="Tiếp nhận").click()
    await page.get_by_text("Đã tiếp nhận danh sách.").wait_for()


async def test_the_police_committee_reads_its_cells_lists_and_sends_its_own(
    browser: Any, portal_url: str, screenshots: Path
) -> None:
    """The Police committee reads the lists of the cells below it without forms to change
    them (only a unit's own users do), accepts what is addressed to it after confirming,
    and sends its own list to the organisation board."""
    assert PERIOD is not None, "the package calendar has no review period for today"
    label = period_label(PERIOD)
    congan = await as_user(browser, portal_url, "demo.congan", "congan-demo-2024")
    await congan.get_by_role("link", name="Đảng ủy Công an tỉnh").first.click()
    await congan.get_by_role("link", name="Danh sách theo kỳ").click()
    below = congan.locator("section[aria-labelledby=h-below] tr").filter(has_text="Chi bộ")
    await below.first.get_by_role("link").first.click()
    await congan.wait_for_url("**/lists/*")
    for form in ("Sửa danh sách", "Nghị quyết thông qua danh sách", "Gửi lên cấp trên"):
        assert await congan.get_by_role("heading", name=form).count() == 0, form

    # Only lists addressed to the Police committee itself wait in its inbox.
    await congan.goto(f"{portal_url}/t/{SLUG}/inbox")
    items = congan.locator("ul.inbox > li")
    assert await items.count() == 3
    for text in await items.all_inner_texts():
        assert "Gửi Đảng ủy Công an tỉnh" in text
    await accept_from_inbox(congan, portal_url, f"kỳ {label} — Đảng ủy Phòng Cảnh sát hình sự")
    await congan.goto(f"{portal_url}/t/{SLUG}/")
    await congan.get_by_role("link", name="Đảng ủy Công an tỉnh").first.click()
    await make_list(congan)
    sources = await congan.locator("section[aria-labelledby=h-sources]").inner_text()
    assert "Đảng ủy Phòng Cảnh sát hình sự" in sources
    await adopt(congan, "12-NQ/ĐUCA")
    assert "Gửi lên: Ban Tổ chức Tỉnh ủy" in await congan.locator(".list-meta").inner_text()
    await shoot(congan, screenshots, "19-police-committee-sent")
    await congan.context.close()


async def test_the_commune_committee_opens_a_course_and_reads_its_plan(
    browser: Any, portal_url: str, screenshots: Path
) -> None:
    page = await as_user(browser, portal_url, "demo.coso", "coso-demo-2024")
    await page.get_by_role("link", name="Đảng ủy xã Như Quỳnh").first.click()
    await page.get_by_role("link", name="Lớp bồi dưỡng").click()
    today = today_in_vietnam()
    await page.get_by_label("Tên lớp").fill(f"Lớp bồi dưỡng nhận thức về Đảng khóa 1/{today.year}")
    await page.get_by_label("Ngày khai giảng").fill(f"{today:%d/%m/%Y}")
    await page.get_by_label("Ngày bế giảng").fill(f"{today - dt.timedelta(days=1):%d/%m/%Y}")
    await page.get_by_label("Số buổi học").fill("6")
    await page.get_by_role("button", name="Mở lớp").click()
    assert (
        "Ngày bế giảng trước ngày khai giảng" in await page.locator("#closes_on-error").inner_text()
    )
    await page.get_by_label("Ngày bế giảng").fill(f"{today + dt.timedelta(days=20):%d/%m/%Y}")
    await page.get_by_role("button", name="Mở lớp").click()
    await page.wait_for_url("**/courses/*?done=opened")
    assert await page.get_by_role("heading", name="Học viên (0)").is_visible()
    await shoot(page, screenshots, "14-course")

    await page.goto(f"{portal_url}/t/{SLUG}/")
    await page.get_by_role("link", name="Tổng hợp").first.click()
    await page.get_by_role("link", name=f"Kế hoạch kết nạp {today.year}").click()
    await page.wait_for_url(f"**/plan/{today.year}")
    assert await page.get_by_role("img").count() == 1
    await page.get_by_label("Quý 4").fill("13")
    await page.get_by_role("button", name="Lưu chỉ tiêu").click()
    error = await page.locator("#target_year-error").inner_text()
    assert "khác chỉ tiêu cả năm 40" in error
    await shoot(page, screenshots, "15-plan")
    await page.context.close()
