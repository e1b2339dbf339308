"""``nguon worker`` refuses what it cannot run with one line, never a traceback."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from nguon.cli import main


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("sqlite:///{tmp}/demo.sqlite", "jobs run inside the server process"),
        ("postgresql://nobody@127.0.0.1:1/nguon", "cannot be reached"),
    ],
)
def test_the_worker_says_why_it_cannot_run(
    url: str, says: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NGUON_DATABASE_URL", url.format(tmp=tmp_path))
    result = CliRunner().invoke(main, ["worker", "--wait-for-database", "1"])
    assert result.exit_code == 1
    assert says in result.output
    assert "Traceback" not in result.output
    assert result.output.count("Error:") == 1


def test_a_bad_option_names_the_option() -> None:
    result = CliRunner().invoke(main, ["worker", "--concurrency", "0"])
    assert result.exit_code == 2
    assert "--concurrency" in result.output


def test_the_worker_waits_a_bounded_time_for_the_database(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A database restarting next to the worker is waited for, as `nguon serve` does."""
    monkeypatch.setenv("NGUON_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nguon")
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="nguon.jobs"):
        result = CliRunner().invoke(main, ["worker", "--wait-for-database", "3"])
    assert result.exit_code == 1
    assert 2.5 <= time.monotonic() - started < 30
    assert any(r.getMessage() == "waiting for the database" for r in caplog.records)
