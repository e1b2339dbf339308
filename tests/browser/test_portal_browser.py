"""The portal in a real browser: sign in, add a candidate (fixing a mistake first), find
it without diacritics, read its decisions with the guidance; the commune committee's
dashboard; changing a password. Screenshots of each page at desktop and phone width."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP
from tests.browser.pages import SLUG, shoot, sign_in

pytestmark = pytest.mark.browser


async def test_a_cell_secretary_adds_finds_and_reads_a_candidate(
    browser: Any, portal_url: str, screenshots: Path
) -> None:
    context = await browser.new_context(locale="vi-VN", viewport=DESKTOP)
    page = await context.new_page()
    await page.goto(f"{portal_url}/t/{SLUG}/login")
    await shoot(page, screenshots, "01-login")
    await sign_in(page, portal_url, "demo.chibo", "chibo-demo-2024")
    assert await page.get_by_role("heading", name="Đơn vị của tôi").is_visible()
    await shoot(page, screenshots, "02-home")

    await page.get_by_role("link", name="Chi bộ thôn 1").first.click()
    await page.get_by_role("link", name="Thêm quần chúng").click()
    await page.get_by_label("Họ và tên").fill("Trần Văn Khoa")
    await page.get_by_label("Ngày sinh").fill("15/08/2003")
    await page.get_by_label("Trình độ học vấn").select_option("upper_secondary")
    await page.get_by_role("button", name="Thêm vào danh sách").click()
    error = page.locator("#sex-error")
    assert await error.inner_text() == "Hãy chọn giới tính."
    assert await page.get_by_label("Họ và tên").input_value() == "Trần Văn Khoa"
    await shoot(page, screenshots, "03-candidate-form-error")

    await page.get_by_label("Giới tính").select_option("male")
    await page.get_by_role("button", name="Thêm vào danh sách").click()
    await page.wait_for_url("**/candidates/*?saved=1")
    assert await page.get_by_role("heading", name="Trần Văn Khoa").is_visible()

    await page.get_by_role("link", name="Chi bộ thôn 1").click()
    await page.get_by_label("Tìm theo tên (không cần dấu)").fill("tran van khoa")
    # htmx replaces the results while typing, without a page load.
    await page.get_by_text("khớp với “tran van khoa”").first.wait_for()
    rows = page.locator("#results tbody tr")
    assert await rows.count() == 1
    result = page.get_by_role("link", name="Trần Văn Khoa")
    await shoot(page, screenshots, "04-unit-search")
    await result.click()
    await page.wait_for_url("**/candidates/*")
    summary = page.locator("details summary").first
    await summary.click()
    quote = page.locator("details[open] blockquote").first
    assert len(await quote.inner_text()) > 20
    await shoot(page, screenshots, "05-candidate")
    await context.close()


async def test_the_commune_dashboard_has_charts_and_their_numbers(
    browser: Any, portal_url: str, screenshots: Path
) -> None:
    context = await browser.new_context(locale="vi-VN", viewport=DESKTOP)
    page = await context.new_page()
    await sign_in(page, portal_url, "demo.coso", "coso-demo-2024")
    await page.get_by_role("link", name="Tổng hợp").first.click()
    await page.wait_for_url("**/dashboard")
    charts = page.get_by_role("img")
    assert await charts.count() == 4
    await page.locator("details summary", has_text="Xem số liệu").first.click()
    assert await page.get_by_role("table").first.is_visible()
    await shoot(page, screenshots, "06-dashboard")
    await context.close()


async def test_changing_a_password_in_the_browser(
    browser: Any, portal_url: str, screenshots: Path
) -> None:
    context = await browser.new_context(locale="vi-VN", viewport=DESKTOP)
    page = await context.new_page()
    await sign_in(page, portal_url, "demo.coso", "coso-demo-2024")
    await page.get_by_role("link", name="Trần Thị Lan").click()
    await page.get_by_label("Mật khẩu hiện tại").fill("coso-demo-2024")
    await page.get_by_label(re.compile("^Mật khẩu mới")).fill("ngắn")
    await page.get_by_label("Nhập lại mật khẩu mới").fill("ngắn")
    await page.get_by_role("button", name="Đổi mật khẩu").click()
    assert "ít nhất 10 ký tự" in await page.locator("#new_password-error").inner_text()
    await shoot(page, screenshots, "07-password-error")
    await page.get_by_label("Mật khẩu hiện tại").fill("coso-demo-2024")
    await page.get_by_label(re.compile("^Mật khẩu mới")).fill("xã Như Quỳnh 2026 mới")
    await page.get_by_label("Nhập lại mật khẩu mới").fill("xã Như Quỳnh 2026 mới")
    await page.get_by_role("button", name="Đổi mật khẩu").click()
    assert await page.get_by_text("Đã đổi mật khẩu").is_visible()
    await page.get_by_role("button", name="Đăng xuất").click()
    await sign_in(page, portal_url, "demo.coso", "xã Như Quỳnh 2026 mới")
    await context.close()
