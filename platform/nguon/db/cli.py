"""``nguon db``: create the Postgres roles and database, and migrate."""

from __future__ import annotations

import asyncio
import os
from urllib.parse import ParseResult, unquote, urlparse

import click

from nguon.db.engine import redacted
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
        applied = asyncio.run(run_migrate(settings.migrate_database_url, quiet=not verbose))
    except MissingAppRole as error:
        raise click.ClickException(f"nothing migrated: {error}") from None
    if applied:
        click.echo(
            f"Applied {len(applied)} migration(s), {applied[0]} to {applied[-1]}; "
            "the database is up to date."
        )
    else:
        click.echo("No migration to apply: the database was already up to date.")
    if settings.migrate_database_url.startswith(("postgres://", "postgresql://")):
        click.echo("Grants and Row-Level Security policies re-applied.")


@db.command()
@click.option(
    "--admin-url",
    default=None,
    envvar="NGUON_ADMIN_URL",
    help="A superuser URL: postgresql://postgres@127.0.0.1/postgres (or NGUON_ADMIN_URL)",
)
@click.option("--database", default=None, help="[from NGUON_MIGRATE_DATABASE_URL; nguon]")
@click.option(
    "--owner-role", default=None, help="[the user of NGUON_MIGRATE_DATABASE_URL; nguon_owner]"
)
@click.option("--app-role", default=None, help="[the user of NGUON_DATABASE_URL; nguon_app]")
@click.option(
    "--owner-password",
    default=None,
    envvar="NGUON_OWNER_PASSWORD",
    help="[NGUON_OWNER_PASSWORD, or the password in NGUON_MIGRATE_DATABASE_URL]",
)
@click.option(
    "--app-password",
    default=None,
    envvar="NGUON_APP_PASSWORD",
    help="[NGUON_APP_PASSWORD, or the password in NGUON_DATABASE_URL]",
)
def setup(
    admin_url: str | None,
    database: str | None,
    owner_role: str | None,
    app_role: str | None,
    owner_password: str | None,
    app_password: str | None,
) -> None:
    """Create the owner and app roles and the database (Postgres only; idempotent).

    What is not given is taken from NGUON_MIGRATE_DATABASE_URL (database, owner role and
    password) and NGUON_DATABASE_URL (app role and password). The app role's name is
    recorded in the database, so `nguon db migrate` grants that role."""
    if not admin_url:
        raise click.ClickException(f"no superuser URL to create the roles with: {ADMIN_HINT}")
    owner_url = _postgres_env("NGUON_MIGRATE_DATABASE_URL")
    app_url = _postgres_env("NGUON_DATABASE_URL")
    named = owner_url or app_url
    database = database or (unquote(named.path.lstrip("/")) if named else "") or "nguon"
    owner_role = owner_role or (owner_url.username if owner_url else None) or "nguon_owner"
    app_role = app_role or (app_url.username if app_url else None) or "nguon_app"
    if owner_password is None and owner_url and owner_url.password:
        owner_password = unquote(owner_url.password)
    if app_password is None and app_url and app_url.password:
        app_password = unquote(app_url.password)
    if owner_role == app_role:
        raise click.ClickException(
            f"the owner and the app role are both {owner_role!r}: the app role must be a "
            "role of its own, under Row-Level Security"
        )
    roles = RoleNames(owner=unquote(owner_role), app=unquote(app_role))
    try:
        asyncio.run(setup_database(admin_url, database, roles, app_password, owner_password))
    except Exception as error:
        line = _admin_problem(error)
        if line is None:
            raise
        raise click.ClickException(f"nothing set up: {redacted(admin_url)}: {line}") from None
    click.echo(f"Database {database} ready: owner {owner_role}, app role {app_role} (NOBYPASSRLS).")


ADMIN_HINT = (
    "give --admin-url (or NGUON_ADMIN_URL) as a Postgres superuser and a database that "
    "exists, e.g. postgresql://postgres@127.0.0.1:5432/postgres"
)


def _admin_problem(error: BaseException) -> str | None:
    """What to do when the admin URL is wrong: ``nguon db setup`` is the step that makes
    databases and roles, so the generic hints (run setup, run migrate) would go in circles."""
    import asyncpg

    from nguon.db.problems import describe_problem

    if isinstance(error, asyncpg.InvalidCatalogNameError):
        return f"{error}; {ADMIN_HINT}"
    if isinstance(error, asyncpg.InsufficientPrivilegeError):
        return f"{error}: the admin role may not create roles or databases; {ADMIN_HINT}"
    if isinstance(error, asyncpg.InvalidAuthorizationSpecificationError):
        return f"the database refused the connection ({error}); {ADMIN_HINT}"
    if isinstance(error, asyncpg.InvalidPasswordError):
        return f"the database refused the password ({error}); {ADMIN_HINT}"
    line = describe_problem(error)
    return f"{line}; {ADMIN_HINT}" if line else None


def _postgres_env(variable: str) -> ParseResult | None:
    url = os.environ.get(variable, "").strip()
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    return urlparse(url)
