"""A long list's spreadsheet in a real browser: the cell secretary asks for it, watches the
progress page and downloads the file when it is ready (the server set to export every
list by a job, as it does lists of more than 500 people)."""

from __future__ import annotations

import sqlite3
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.browser.conftest import DESKTOP, served_copy
from tests.browser.pages import SLUG, shoot, sign_in

pytestmark = pytest.mark.browser

_A_LIST_OF = """
SELECT l.id FROM candidate_list AS l JOIN org_unit AS u ON u.id = l.unit
WHERE u.path LIKE (
    SELECT o.path FROM membership AS m JOIN app_user AS a ON a.id = m.user
    JOIN org_unit AS o ON o.id = m.unit WHERE a.username = ? LIMIT 1
) || '%'
AND EXISTS (SELECT 1 FROM list_entry AS e WHERE e.candidate_list = l.id)
ORDER BY l.id DESC LIMIT 1
"""


async def test_a_long_list_is_made_in_the_background_then_downloaded(
    browser: Any, seeded_demo: Path, tmp_path: Path, screenshots: Path
) -> None:
    with sqlite3.connect(seeded_demo) as connection:
        [list_id] = connection.execute(_A_LIST_OF, ("demo.chibo",)).fetchone()
    settings = {"NGUON_EXPORT_JOB_ABOVE": "0"}
    with served_copy(seeded_demo, tmp_path, settings) as base:
        context = await browser.new_context(locale="vi-VN", viewport=DESKTOP, accept_downloads=True)
        page = await context.new_page()
        await sign_in(page, base, "demo.chibo", "chibo-demo-2024")
        await page.goto(f"{base}/t/{SLUG}/lists/{list_id}")
        await page.get_by_label("Số văn bản").fill("12")
        await page.get_by_role("button", name="Tạo tệp Excel").click()
        await page.wait_for_url(f"{base}/t/{SLUG}/jobs/*")
        await page.get_by_text("Tệp đã xong.").wait_for(timeout=30_000)
        await shoot(page, screenshots, "08-list-export-job")
        async with page.expect_download() as waiting:
            await page.get_by_role("link", name="Tải tệp Excel").click()
        download = await waiting.value
        assert download.suggested_filename.endswith(".xlsx")
        sheet = load_workbook(BytesIO(Path(await download.path()).read_bytes())).worksheets[0]
        shown = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
        assert any(text.startswith("Số 12-") for text in shown), shown[:8]
        await context.close()
