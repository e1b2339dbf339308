"""A real server on a free port over a fresh demo database, and Debian's Chromium.

Playwright's own browser downloads are never used. Without Chromium the browser tests
are skipped on a developer's machine and FAIL when CI=true.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.portal.servers import ROOT, server

os.environ.setdefault("NGUON_SECRET_KEY", "browser-test-secret-key")
CHROMIUM = os.environ.get("NGUON_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def seeded_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database as seeded, never served: each server gets its own copy."""
    path = Path(tmp_path_factory.mktemp("seeded")) / "demo.sqlite"
    env = {**os.environ, "NGUON_SECRET_KEY": os.environ.get("NGUON_SECRET_KEY", "browser")}
    command = [sys.executable, "-m", "tests.browser.seed", f"sqlite:///{path}"]
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    return path


@contextmanager
def served_copy(
    seeded: Path, folder: Path, settings: dict[str, str] | None = None
) -> Iterator[str]:
    """A server over a fresh copy of the seeded demo database (``settings``: more environment)."""
    shutil.copy(seeded, folder / "demo.sqlite")
    database = f"sqlite:///{folder / 'demo.sqlite'}"
    with server(database, log=folder / "server.log", settings=settings) as base:
        yield base


@pytest.fixture(scope="session")
def portal_url(seeded_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served_copy(seeded_demo, Path(tmp_path_factory.mktemp("browser"))) as base:
        yield base


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[object]:
    if not Path(CHROMIUM).exists():
        message = f"Chromium is not installed at {CHROMIUM}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--lang=vi-VN",
            ],
        )
        yield chromium
        await chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
