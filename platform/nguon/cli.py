"""The ``nguon`` command: one click group per capability, mounted here."""

from __future__ import annotations

import importlib
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


class NguonGroup(click.Group):
    """Known database and configuration problems end a command with one line, exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        from nguon.db.problems import describe_problem

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except Exception as error:
            line = describe_problem(error)
            if line is None:
                raise
            # A command's coroutine that never ran because its engine could not be made.
            warnings.filterwarnings("ignore", message="coroutine .* was never awaited")
            raise click.ClickException(line) from None


@click.group(cls=NguonGroup)
@click.version_option(package_name="nguon")
def main() -> None:
    """Nguồn — build the source of new Party members."""


for _module, _attribute in SUBCOMMANDS:
    main.add_command(getattr(importlib.import_module(_module), _attribute))


if __name__ == "__main__":
    main()
