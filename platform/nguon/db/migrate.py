"""Bring a database up to date: Piccolo migrations, then (on Postgres) grants and RLS."""

from __future__ import annotations

import contextlib
import io

from piccolo.apps.migrations.commands.forwards import run_forwards

from nguon.db.binding import bind_engine, current_engine
from nguon.db.engine import is_postgres, make_engine
from nguon.db.security import RoleNames, apply_security
from nguon.settings import load_settings


class MigrationFailed(RuntimeError):
    pass


async def migrate(owner_url: str, roles: RoleNames | None = None, quiet: bool = True) -> None:
    """Run every pending migration as the owner, then re-apply the security rules."""
    previous = current_engine()
    engine = bind_engine(make_engine(owner_url))
    try:
        output = io.StringIO()
        with contextlib.redirect_stdout(output) if quiet else contextlib.nullcontext():
            result = await run_forwards(app_name="nguon")
        if not result.success:
            raise MigrationFailed(result.message)
        if is_postgres(engine):
            await apply_security(owner_url, roles or RoleNames(app=load_settings().app_role))
    finally:
        bind_engine(previous)
