"""Every command shown in docs/rule-authors.md runs and succeeds."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from nguon.cli import main
from nguon.rules.registry import clear_cache, load_package

DOC = Path(__file__).resolve().parents[2] / "docs" / "rule-authors.md"


def _commands() -> list[str]:
    """The guide's ``$ nguon …`` and ``$ export …`` lines, in order."""
    return re.findall(r"^\$ ((?:nguon|export) .+)$", DOC.read_text(encoding="utf-8"), flags=re.M)


def test_every_documented_command_works(tmp_path, monkeypatch):
    commands = _commands()
    assert len([c for c in commands if c.startswith("nguon ")]) >= 6
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for command in commands:
        words = shlex.split(command)
        if words[0] == "export":
            for assignment in words[1:]:
                name, _, value = assignment.partition("=")
                if "$(" not in value:  # a generated secret: the suite's own key stands in
                    monkeypatch.setenv(name, value)
            continue
        clear_cache()
        result = runner.invoke(main, words[1:], catch_exceptions=False)
        assert result.exit_code == 0, f"{command}\n{result.output}"
    assert (tmp_path / "drafts" / "thaibinh" / "manifest.toml").exists()
    assert (tmp_path / "trial.sqlite").exists()


def _listed_files() -> list[str]:
    """The files the guide's table under "The folder" lists."""
    section = DOC.read_text(encoding="utf-8").split("## The folder", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([^`]+)` \|", section, flags=re.M)


def test_the_scaffold_writes_every_file_the_guide_lists(tmp_path):
    from nguon.rules.scaffold import scaffold_package

    listed = _listed_files()
    assert {"manifest.toml", "forms.toml", "cases/*.yaml", "tenant.toml"} <= set(listed)
    folder = scaffold_package("thaibinh", tmp_path, "Tỉnh Thái Bình")
    for name in listed:
        assert list(folder.glob(name)), f"the scaffold does not write {name}"
    package = load_package(folder)
    assert package.title == "Tỉnh Thái Bình"
    assert 'title = "Tỉnh Thái Bình"' in (folder / "manifest.toml").read_text("utf-8")
    assert package.form("admission_sources", "grassroots_cell").columns


def test_the_guides_dated_parameter_example_loads_and_applies_by_date(tmp_path):
    from datetime import date

    from nguon.rules.scaffold import scaffold_package

    text = DOC.read_text(encoding="utf-8").split("## Dated parameters", 1)[1]
    example = re.search(r"```toml\n(.*?)```", text, flags=re.S).group(1)
    folder = scaffold_package("thaibinh", tmp_path, "Tỉnh Thái Bình", year=2026)
    manifest = folder / "manifest.toml"
    manifest.write_text(manifest.read_text("utf-8") + "\n" + example, "utf-8")
    package = load_package(folder)
    assert package.parameter("certificate_validity_months", date(2026, 12, 31)) == 60
    found = package.parameter_provenance("certificate_validity_months", date(2027, 1, 1))
    assert (found.value, found.package, found.version) == (36, "thaibinh", "2026.1")
    assert found.reference.startswith("Hướng dẫn số")


def test_the_new_command_keeps_diacritics_and_warns_without_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    made = runner.invoke(
        main, ["rules", "new", "thaibinh", "--dir", "d", "--title", "Tỉnh Thái Bình"]
    )
    assert made.exit_code == 0, made.output
    assert "warning" not in made.output
    assert "NGUON_RULES_PATH=d nguon tenant onboard d/thaibinh/tenant.toml" in made.output
    bare = runner.invoke(
        main, ["rules", "new", "namdinh", "--dir", "d", "--title", "Tinh Nam Dinh"]
    )
    assert "has no diacritics" in bare.output
    missing = runner.invoke(main, ["rules", "new", "hanam", "--dir", "d"])
    assert missing.exit_code != 0 and "--title" in missing.output
