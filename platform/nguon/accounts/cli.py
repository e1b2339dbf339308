"""``nguon users``: create users (the first administrator of a tenant too), give and take
roles, reset passwords, deactivate, read recent sign-ins.

Operator actions, run as the database owner (NGUON_MIGRATE_DATABASE_URL) and audited as
``cli:users``. Passwords are never command-line arguments (they would land in the shell's
history and the process list): they are typed at a prompt, read from stdin
(``--password-stdin``) or from a named environment variable (``--password-env``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from nguon.accounts.admin import (
    create_user,
    get_user,
    grant_role,
    list_users,
    operator_access,
    reset_password,
    revoke_role,
    set_active,
    sign_ins,
)
from nguon.accounts.admin_schemas import UserCreate
from nguon.accounts.permissions import ROLES, Access, Role
from nguon.accounts.service import MIN_PASSWORD_LENGTH
from nguon.accounts.tables import User
from nguon.clock import today_in_vietnam
from nguon.db.binding import current_engine
from nguon.errors import DomainError
from nguon.org.tables import OrgUnit
from nguon.tenancy.cli import run_as_owner
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant, switch_tenant_in_transaction
from nguon.tenancy.tables import Tenant
from nguon.text import nfc

CLI_ACTOR = "cli:users"
T = TypeVar("T")


class CommandError(Exception):
    """A problem to print on one line (exit status 1)."""


def _run(work: Callable[[Access], Awaitable[T]], slug: str) -> T:
    """``work`` with the tenant's operator access, in one transaction as the owner."""

    async def in_tenant_transaction() -> T:
        tenant = await Tenant.select(Tenant.id).where(Tenant.slug == slug).first().run()
        if tenant is None:
            raise CommandError(f"--tenant: unknown tenant {slug!r} (see `nguon tenant list`)")
        with tenant_context(tenant["id"]):
            async with current_engine().transaction():
                await switch_tenant_in_transaction(tenant["id"])
                return await work(operator_access(tenant["id"], CLI_ACTOR))

    try:
        return run_as_owner(in_tenant_transaction())
    except CommandError as error:
        raise click.ClickException(str(error)) from None
    except DomainError as error:
        where = f"--{error.field.replace('_', '-')}: " if error.field else ""
        raise click.ClickException(where + error.message) from None


async def _user_id(username: str) -> int:
    row = await User.select(User.id).where(in_tenant(User), User.username == nfc(username)).first()
    if row is None:
        raise CommandError(f"--username: no user {username!r} in this tenant")
    return int(row["id"])


async def _unit_id(code: str | None, *, root: bool = False) -> int:
    """The unit in force today with this code (or the tenant's root unit)."""
    today = today_in_vietnam()
    query = OrgUnit.select(OrgUnit.id).where(
        in_tenant(OrgUnit), (OrgUnit.valid_to.is_null()) | (OrgUnit.valid_to > today)
    )
    query = query.where(OrgUnit.parent.is_null()) if root else query.where(OrgUnit.code == code)
    row = await query.order_by(OrgUnit.id).first().run()
    if row is None:
        if root:
            raise CommandError("--admin: the tenant has no root unit (onboard it first)")
        raise CommandError(f"--unit: no unit in force with code {code!r}{await _unit_hint(code)}")
    return int(row["id"])


async def _unit_hint(code: str | None) -> str:
    """Why ``code`` names no unit in force (closed, or a typo) and the closest codes."""
    today = today_in_vietnam()
    rows = await OrgUnit.select(OrgUnit.code, OrgUnit.name, OrgUnit.valid_to).where(
        in_tenant(OrgUnit)
    )
    in_force = {
        r["code"]: r["name"] for r in rows if r["valid_to"] is None or r["valid_to"] > today
    }
    closed = next((r for r in rows if r["code"] == code and r["code"] not in in_force), None)
    hint = ""
    if closed is not None:
        hint = f" ({closed['name']} closed on {closed['valid_to']:%Y-%m-%d})"
    close = difflib.get_close_matches(code or "", sorted(in_force), n=3, cutoff=0.5)
    if close:
        hint += "; closest in force: " + ", ".join(f"{c} ({in_force[c]})" for c in close)
    return hint + "; every unit's code is in `GET /t/<slug>/api/v2/units`"


def _read_password(stdin: bool, env: str | None) -> str:
    if stdin and env:
        raise click.UsageError("give --password-stdin or --password-env, not both")
    if stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        source = "stdin"
    elif env:
        if env not in os.environ:
            raise click.UsageError(f"--password-env: the environment variable {env} is not set")
        password = os.environ[env]
        source = env
    else:
        password = click.prompt(
            "Password", hide_input=True, confirmation_prompt=True, err=True, type=str
        )
        source = "the prompt"
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.UsageError(
            f"the password from {source} is too short: at least {MIN_PASSWORD_LENGTH} characters"
        )
    return password


tenant_option = click.option("--tenant", "slug", required=True, help="The tenant's slug.")
username_option = click.option("--username", required=True, help="The user's sign-in name.")
role_choice = click.Choice(ROLES)


@click.group()
def users() -> None:
    """Users of a tenant: create, list, give and take roles, reset passwords, deactivate."""


@users.command()
@tenant_option
@username_option
@click.option("--full-name", required=True, help="The name shown in the portal.")
@click.option("--admin", is_flag=True, help="Make the user a tenant administrator.")
@click.option("--unit", "unit_code", help="A unit's code, with --role: the user's first role.")
@click.option("--role", type=role_choice, help="The role on --unit.")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin's first line.")
@click.option("--password-env", metavar="NAME", help="Read the password from this variable.")
@click.option(
    "--one-time",
    is_flag=True,
    help="Make a one-time password (printed once) the user must change at first sign-in.",
)
def create(
    slug: str,
    username: str,
    full_name: str,
    admin: bool,
    unit_code: str | None,
    role: Role | None,
    password_stdin: bool,
    password_env: str | None,
    one_time: bool,
) -> None:
    """Create a user, such as the first administrator of a new tenant:

    nguon users create --tenant hy --username admin --full-name "…" --admin --password-stdin
    """
    if admin and (unit_code or role):
        raise click.UsageError("--admin gives the tenant administrator role: no --unit/--role")
    if (unit_code is None) != (role is None):
        raise click.UsageError("give --unit and --role together")
    if one_time and (password_stdin or password_env):
        raise click.UsageError("--one-time makes the password: no --password-stdin/--password-env")
    password = None if one_time else _read_password(password_stdin, password_env)

    async def work(access: Access) -> tuple[str, str]:
        unit_id = await _unit_id(None, root=True) if admin else None
        if unit_code is not None:
            unit_id = await _unit_id(unit_code)
        given: Role | None = "tenant_admin" if admin else role
        made = await create_user(
            access,
            UserCreate(username=username, full_name=full_name, unit_id=unit_id, role=given),
            password,
        )
        return made.user.username, made.one_time_password

    name, secret = _run(work, slug)
    what = "tenant administrator" if admin else "user"
    click.echo(f"Created {what} {name} in tenant {slug}.")
    if secret:
        click.echo(f"One-time password (shown once, to be changed at first sign-in): {secret}")


@users.command("list")
@tenant_option
@click.option("--query", "-q", default="", help="Part of a username or name (no accents needed).")
def list_command(slug: str, query: str) -> None:
    """The tenant's users with their current roles."""

    async def work(access: Access) -> Any:
        return await list_users(access, query or None, 1, 100_000)

    page = _run(work, slug)
    for user in page.items:
        state = "active" if user.is_active else "deactivated"
        if user.is_active and user.must_change_password:
            state = "must change password"
        roles = ", ".join(f"{m.role}@{m.unit_name}" for m in user.memberships) or "-"
        click.echo(f"{user.username:<24} {user.full_name:<32} {state:<22} {roles}")
    click.echo(f"{page.total} user(s).")


unit_option = click.option("--unit", "unit_code", required=True, help="The unit's code.")
required_role_option = click.option("--role", type=role_choice, required=True)


def _change_membership(slug: str, username: str, unit_code: str, role: Role, grant: bool) -> None:
    async def work(access: Access) -> None:
        user_id = await _user_id(username)
        unit_id = await _unit_id(unit_code)
        if grant:
            await grant_role(access, user_id, unit_id, role)
            return
        held = (await get_user(access, user_id)).memberships
        match = next((m for m in held if m.unit_id == unit_id and m.role == role), None)
        if match is None:
            raise CommandError(f"--role: {username} holds no current {role} role on {unit_code}")
        await revoke_role(access, user_id, match.id)

    _run(work, slug)
    if grant:
        click.echo(f"Gave {role} on {unit_code} to {username}.")
    else:
        click.echo(f"Took {role} on {unit_code} away from {username} (from today).")


@users.command()
@tenant_option
@username_option
@unit_option
@required_role_option
def grant(slug: str, username: str, unit_code: str, role: Role) -> None:
    """Give a user a role on a unit, from today."""
    _change_membership(slug, username, unit_code, role, grant=True)


@users.command()
@tenant_option
@username_option
@unit_option
@required_role_option
def revoke(slug: str, username: str, unit_code: str, role: Role) -> None:
    """Take a role on a unit away from a user, from today (kept as history)."""
    _change_membership(slug, username, unit_code, role, grant=False)


@users.command("reset-password")
@tenant_option
@username_option
def reset_password_command(slug: str, username: str) -> None:
    """A one-time password the user must change at the next sign-in; their sessions and
    API tokens end now."""

    async def work(access: Access) -> str:
        return (await reset_password(access, await _user_id(username))).one_time_password

    secret = _run(work, slug)
    click.echo(f"One-time password for {username} (shown once, to be changed at sign-in): {secret}")


def _set_active(slug: str, username: str, active: bool) -> None:
    async def work(access: Access) -> None:
        await set_active(access, await _user_id(username), active)

    _run(work, slug)
    click.echo(f"{'Reactivated' if active else 'Deactivated'} {username}.")


@users.command()
@tenant_option
@username_option
def deactivate(slug: str, username: str) -> None:
    """Deactivate a user: their sessions and API tokens end at once."""
    _set_active(slug, username, False)


@users.command()
@tenant_option
@username_option
def reactivate(slug: str, username: str) -> None:
    """Reactivate a deactivated user (they sign in again with their password)."""
    _set_active(slug, username, True)


@users.command("sign-ins")
@tenant_option
@click.option("--username", default=None, help="Only this user's attempts.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
def sign_ins_command(slug: str, username: str | None, limit: int) -> None:
    """Recent sign-in attempts, newest first: time (UTC), address, channel, result."""

    async def work(access: Access) -> Any:
        user_id = await _user_id(username) if username else None
        return await sign_ins(access, user_id, limit)

    rows = _run(work, slug).items
    for row in rows:
        at = row.at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        click.echo(f"{at}Z  {row.username:<24} {row.address:<40} {row.channel:<7} {row.result}")
    whose = f" by {username}" if username else ""
    click.echo(f"{len(rows)} sign-in attempt(s){whose}, newest first.")
