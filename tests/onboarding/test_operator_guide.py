"""Every ``nguon`` command shown in the operator guide exists, with the options it shows."""

from __future__ import annotations

import re
import shlex

import click

from nguon.cli import main
from tests.onboarding.conftest import REPO


def _shown_commands() -> list[list[str]]:
    text = (REPO / "docs" / "operators.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #", 1)[0].strip()
            if line.startswith("nguon "):
                commands.append(shlex.split(line)[1:])
    return commands


def test_every_command_in_the_guide_exists_with_its_options() -> None:
    commands = _shown_commands()
    assert len(commands) >= 8
    for args in commands:
        command: click.Command = main
        while isinstance(command, click.Group) and args and not args[0].startswith("-"):
            assert args[0] in command.commands, args
            command, args = command.commands[args[0]], args[1:]
        assert not isinstance(command, click.Group), args
        options = {opt for param in command.params for opt in param.opts}
        for token in args:
            if token.startswith("--"):
                assert token.split("=", 1)[0] in options, (command.name, token)
