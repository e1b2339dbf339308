"""The deployment files are checked statically: no Docker engine runs here."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import yaml

from nguon.cli import main

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra"
SETTINGS_VARIABLES = {
    name
    for source in (ROOT / "platform/nguon").rglob("*.py")
    for name in re.findall(r"NGUON_[A-Z_]+", source.read_text())
}


def _compose() -> dict:
    return yaml.safe_load((INFRA / "compose.yaml").read_text())


def _nguon_invocations(command: str) -> list[list[str]]:
    words = shlex.split(command)
    if words[:2] == ["sh", "-c"]:
        words = shlex.split(words[2])
    calls: list[list[str]] = [[]]
    for word in words:
        if word == "&&":
            calls.append([])
        else:
            calls[-1].append(word)
    return [call[1:] for call in calls if call and call[0] == "nguon"]


def test_every_copied_path_exists() -> None:
    for line in (INFRA / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            *sources, _target = line.split()[1:]
            for source in sources:
                assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"


def test_compose_uses_only_settings_the_app_reads() -> None:
    for name, service in _compose()["services"].items():
        for variable in service.get("environment", {}):
            if variable.startswith("NGUON_"):
                assert variable in SETTINGS_VARIABLES, f"{name}: {variable} is read by nothing"


def test_compose_runs_the_app_as_the_app_role_and_migrates_as_owner() -> None:
    services = _compose()["services"]
    assert services["app"]["environment"]["NGUON_DATABASE_URL"].startswith(
        "postgresql://nguon_app:"
    )
    assert "nguon_owner" in services["setup"]["environment"]["NGUON_MIGRATE_DATABASE_URL"]
    assert services["app"]["depends_on"]["setup"]["condition"] == "service_completed_successfully"


def test_nguon_commands_in_compose_exist_with_their_options() -> None:
    command = _compose()["services"]["setup"]["command"]
    calls = _nguon_invocations(command)
    assert calls, "the setup service runs no nguon command"
    for call in calls:
        group: click.Group = main
        words = list(call)
        while words and isinstance(group, click.Group) and words[0] in group.commands:
            group = group.commands[words.pop(0)]
        assert not isinstance(group, click.Group), f"not a command: nguon {' '.join(call)}"
        known = {opt for param in group.params for opt in getattr(param, "opts", [])}
        for word in words:
            if word.startswith("--"):
                assert word.split("=")[0] in known, f"nguon {' '.join(call)}: unknown option {word}"


def test_image_points_the_rules_root_at_the_copied_packages() -> None:
    dockerfile = (INFRA / "Dockerfile").read_text()
    assert "COPY rules /srv/nguon/rules" in dockerfile
    assert "ENV NGUON_RULES_ROOT=/srv/nguon/rules" in dockerfile
    assert "NGUON_RULES_ROOT" in SETTINGS_VARIABLES
