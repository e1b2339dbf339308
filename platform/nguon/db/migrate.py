"""Bring a database up to date: Piccolo migrations, then (on Postgres) grants and RLS."""

from __future__ import annotations

import contextlib
import io

from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration

from nguon.db.binding import bind_engine, current_engine
from nguon.db.engine import is_postgres, make_engine
from nguon.db.security import RoleNames, apply_security, require_app_role, resolve_app_role


class MigrationFailed(RuntimeError):
    pass


async def _applied() -> set[str]:
    if not await Migration.table_exists():
        return set()
    rows = await Migration.select(Migration.name).where(Migration.app_name == "nguon")
    return {row["name"] for row in rows}


async def migrate(owner_url: str, roles: RoleNames | None = None, quiet: bool = True) -> list[str]:
    """Run every pending migration as the owner, then re-apply the security rules;
    returns the ids of the migrations applied now.

    On Postgres the app role must exist first (``MissingAppRole``): migrating without it
    would grant nothing and leave the web processes unable to read a table.
    """
    engine = make_engine(owner_url)
    if is_postgres(engine):
        roles = roles or RoleNames(app=await resolve_app_role(owner_url))
        await require_app_role(owner_url, roles.app)
    previous = current_engine()
    bind_engine(engine)
    try:
        before = await _applied()
        output = io.StringIO()
        with contextlib.redirect_stdout(output) if quiet else contextlib.nullcontext():
            result = await run_forwards(app_name="nguon")
        if not result.success:
            raise MigrationFailed(result.message)
        if is_postgres(engine):
            assert roles is not None
            await apply_security(owner_url, roles)
        return sorted(await _applied() - before)
    finally:
        bind_engine(previous)
