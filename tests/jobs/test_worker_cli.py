"""``nguon worker`` refuses what it cannot run with one line, never a traceback."""

from __future__ import annotations

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
    result = CliRunner().invoke(main, ["worker"])
    assert result.exit_code == 1
    assert says in result.output
    assert "Traceback" not in result.output
    assert result.output.count("Error:") == 1


def test_a_bad_option_names_the_option() -> None:
    result = CliRunner().invoke(main, ["worker", "--concurrency", "0"])
    assert result.exit_code == 2
    assert "--concurrency" in result.output
