"""The ``nguon`` command: one click group per capability, mounted here."""

from __future__ import annotations

import importlib

import click

SUBCOMMANDS: tuple[tuple[str, str], ...] = (
    # (module, click command attribute)
    ("nguon.db.cli", "db"),
    ("nguon.tenancy.cli", "tenant"),
    ("nguon.demo.cli", "demo"),
    ("nguon.rules.cli", "rules"),
    ("nguon.plugins_builtin.webhooks.cli", "webhooks"),
    ("nguon.plugins_builtin.reminders.cli", "reminders"),
    ("nguon.accounts.cli", "users"),
    ("nguon.key_rotation.cli", "secrets"),
)


@click.group()
@click.version_option(package_name="nguon")
def main() -> None:
    """Nguồn — build the source of new Party members."""


for _module, _attribute in SUBCOMMANDS:
    main.add_command(getattr(importlib.import_module(_module), _attribute))
