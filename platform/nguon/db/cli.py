"""``nguon db``: create the Postgres roles and database, and migrate."""

from __future__ import annotations

import asyncio

import click

from nguon.db.migrate import migrate as run_migrate
from nguon.db.security import MissingAppRole, RoleNames, setup_database
from nguon.settings import load_settings


@click.group()
def db() -> None:
    """Database: set up roles and bring the schema up to date."""


@db.command()
@click.option("--verbose", is_flag=True, help="Show every migration as it runs.")
def migrate(verbose: bool) -> None:
    """Apply pending migrations (as NGUON_MIGRATE_DATABASE_URL) and the RLS policies."""
    settings = load_settings()
    try:
        asyncio.run(run_migrate(settings.migrate_database_url, quiet=not verbose))
    except MissingAppRole as error:
        raise click.ClickException(f"nothing migrated: {error}") from None
    click.echo("Database is up to date.")


@db.command()
@click.option(
    "--admin-url",
    required=True,
    envvar="NGUON_ADMIN_URL",
    help="A superuser URL: postgresql://postgres@127.0.0.1/postgres (or NGUON_ADMIN_URL)",
)
@click.option("--database", default="nguon", show_default=True)
@click.option("--owner-role", default="nguon_owner", show_default=True)
@click.option("--app-role", default="nguon_app", show_default=True)
@click.option(
    "--owner-password",
    default=None,
    envvar="NGUON_OWNER_PASSWORD",
    help="Password for the owner role (or NGUON_OWNER_PASSWORD).",
)
@click.option(
    "--app-password",
    default=None,
    envvar="NGUON_APP_PASSWORD",
    help="Password for the app role (or NGUON_APP_PASSWORD).",
)
def setup(
    admin_url: str,
    database: str,
    owner_role: str,
    app_role: str,
    owner_password: str | None,
    app_password: str | None,
) -> None:
    """Create the owner and app roles and the database (Postgres only; idempotent)."""
    roles = RoleNames(owner=owner_role, app=app_role)
    asyncio.run(setup_database(admin_url, database, roles, app_password, owner_password))
    click.echo(f"Database {database} ready: owner {owner_role}, app role {app_role} (NOBYPASSRLS).")
