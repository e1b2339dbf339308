"""Every command shown in docs/rule-authors.md runs and succeeds."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from nguon.cli import main
from nguon.rules.registry import clear_cache

DOC = Path(__file__).resolve().parents[2] / "docs" / "rule-authors.md"


def _commands() -> list[str]:
    return re.findall(r"^\$ (nguon .+)$", DOC.read_text(encoding="utf-8"), flags=re.M)


def test_every_documented_command_works(tmp_path, monkeypatch):
    commands = _commands()
    assert len(commands) >= 6
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for command in commands:
        clear_cache()
        result = runner.invoke(main, shlex.split(command)[1:], catch_exceptions=False)
        assert result.exit_code == 0, f"{command}\n{result.output}"
    assert (tmp_path / "drafts" / "thaibinh" / "manifest.toml").exists()
