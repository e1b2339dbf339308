"""What every browser test does: sign in, and take screenshots at desktop and phone width."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser.conftest import DESKTOP, PHONE

SLUG = "hungyen"


async def shoot(page: Any, folder: Path, name: str) -> None:
    """Full-page screenshots at desktop and phone width; nothing may overflow sideways."""
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        await page.set_viewport_size(size)
        await page.screenshot(path=str(folder / f"{name}-{label}.png"), full_page=True)
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} scrolls sideways at {label} width by {overflow}px"
    await page.set_viewport_size(DESKTOP)


async def sign_in(page: Any, base: str, username: str, password: str) -> None:
    await page.goto(f"{base}/t/{SLUG}/login")
    await page.get_by_label("Tên đăng nhập").fill(username)
    await page.get_by_label("Mật khẩu").fill(password)
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_url(f"{base}/t/{SLUG}/")
