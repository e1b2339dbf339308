"""A missing Chromium fails the browser tests in CI and is a visible skip elsewhere."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.portal.servers import ROOT

ONE_BROWSER_TEST = (
    "tests/browser/test_portal_browser.py::test_the_commune_dashboard_has_charts_and_their_numbers"
)


def _run_without_chromium(ci: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": ci, "NGUON_CHROMIUM": "/nonexistent/chromium"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", ONE_BROWSER_TEST],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_chromium_fails_in_ci() -> None:
    result = _run_without_chromium("true")
    assert result.returncode == 1, result.stdout
    assert "Chromium is not installed" in result.stdout


def test_missing_chromium_is_a_visible_skip_elsewhere() -> None:
    result = _run_without_chromium("")
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
