"""The ``nguon`` command: one click group per capability, mounted here."""

from __future__ import annotations

import importlib
import os
import sys
import warnings
from typing import Any

import click

SUBCOMMANDS: tuple[tuple[str, str], ...] = (
    # (module, click command attribute)
    ("nguon.db.cli", "db"),
    ("nguon.tenancy.cli", "tenant"),
    ("nguon.demo.cli", "demo"),
    ("nguon.rules.cli", "rules"),
    ("nguon.plugins_builtin.webhooks.cli", "webhooks"),
    ("nguon.plugins_builtin.reminders.cli", "reminders"),
    ("nguon.jobs.cli", "worker"),
    ("nguon.serve.cli", "serve"),
    ("nguon.serve.cli", "check"),
    ("nguon.accounts.cli", "users"),
    ("nguon.key_rotation.cli", "secrets"),
)


MISSING_DATABASE_URL = (
    "NGUON_DATABASE_URL is not set: set it to the app's database "
    "(postgresql://nguon_app@HOST/DB, or sqlite:///PATH/nguon.sqlite on one machine); "
    "only `nguon demo` makes a database by itself."
)
MISSING_DATABASE_URL_EXIT = 2


APP_URL_COMMANDS = frozenset({"serve", "check", "worker", "webhooks", "reminders"})
"""Commands that connect as the app (NGUON_DATABASE_URL); the others run as the owner
(NGUON_MIGRATE_DATABASE_URL, else NGUON_DATABASE_URL)."""


def missing_database_url(path: list[str]) -> bool:
    """Whether command ``path`` (``["tenant", "list"]``) needs a database URL that is not
    set (``nguon demo``, ``nguon db setup`` and the rules tools other than ``whatif``
    need none)."""
    if path[:1] == ["demo"] or path[:2] == ["db", "setup"]:
        return False  # the demo makes its database; setup makes roles, from its own URLs
    if path[:1] == ["rules"] and path[1:2] != ["whatif"]:
        return False

    def given(name: str) -> bool:
        return bool(os.environ.get(name, "").strip())

    if given("NGUON_DATABASE_URL"):
        return False
    return path[0] in APP_URL_COMMANDS or not given("NGUON_MIGRATE_DATABASE_URL")


def _require_database_url(command: click.Command, path: list[str]) -> None:
    """Check the URL when a command runs: after its options parsed (a usage error or
    ``--help`` comes first), before it makes an engine (which would make ./nguon.sqlite)."""
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            _require_database_url(sub, [*path, name])
        return
    run = command.invoke

    def invoke(ctx: click.Context) -> Any:
        if missing_database_url(path):
            click.echo(MISSING_DATABASE_URL, err=True)
            sys.exit(MISSING_DATABASE_URL_EXIT)
        return run(ctx)

    command.invoke = invoke  # type: ignore[method-assign]


class NguonGroup(click.Group):
    """Known database and configuration problems end a command with one line, exit 1;
    a command that needs the database when NGUON_DATABASE_URL is unset, exit 2 (it used
    to make ./nguon.sqlite and fail on its missing tables)."""

    def invoke(self, ctx: click.Context) -> Any:
        from nguon.db.problems import describe_problem

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except BrokenPipeError:
            # The reader went away (`nguon check | head -1`): click ends quietly.
            raise
        except Exception as error:
            line = describe_problem(error)
            if line is None:
                raise
            if line.startswith("cannot reach the database"):
                line += f" ({_url_used(ctx.invoked_subcommand or '')})"
            # A command's coroutine that never ran because its engine could not be made.
            warnings.filterwarnings("ignore", message="coroutine .* was never awaited")
            raise click.ClickException(line) from None


def _url_used(command: str) -> str:
    """Which setting a command connected with, and to where (password hidden)."""
    from nguon.db.engine import redacted

    name = "NGUON_DATABASE_URL"
    if command not in APP_URL_COMMANDS and os.environ.get("NGUON_MIGRATE_DATABASE_URL", "").strip():
        name = "NGUON_MIGRATE_DATABASE_URL"
    return f"{name}: {redacted(os.environ.get(name, '').strip())}"


@click.group(cls=NguonGroup)
@click.version_option(package_name="nguon")
def main() -> None:
    """Nguồn — build the source of new Party members."""


for _module, _attribute in SUBCOMMANDS:
    _command = getattr(importlib.import_module(_module), _attribute)
    _require_database_url(_command, [_command.name or _attribute])
    main.add_command(_command)


if __name__ == "__main__":
    main()
