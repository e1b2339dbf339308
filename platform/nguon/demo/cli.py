"""``nguon demo``: today's Hưng Yên (Thái Bình merged in) on SQLite, served on this machine."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import click

from nguon.demo.prepare import DEMO_DATABASE_URL, DemoInfo, demo_secret_key, prepare_demo


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Prepare the data and print the logins only.")
def demo(host: str, port: int, no_serve: bool) -> None:
    """Prepare a demo database (NGUON_DATABASE_URL or ./nguon-demo.sqlite) and serve it."""
    database_url = os.environ.get("NGUON_DATABASE_URL", DEMO_DATABASE_URL)
    migrate_url = os.environ.get("NGUON_MIGRATE_DATABASE_URL")
    info = asyncio.run(prepare_demo(database_url, migrate_url=migrate_url))
    _print_info(info)
    if no_serve:
        click.echo(
            f"Ready in {info.seconds:.1f} s. Serve it with `nguon demo` (or `nguon serve` with "
            f"NGUON_DATABASE_URL={database_url} and the key above)."
        )
        return
    click.echo(f"Ready in {info.seconds:.1f} s. Open http://{host}:{port}/t/{info.tenant_slug}/")
    import uvicorn

    # The app reads its database and key from the environment: the demo's.
    os.environ["NGUON_DATABASE_URL"] = database_url
    os.environ["NGUON_SECRET_KEY"] = demo_secret_key()
    uvicorn.run("nguon.app:create_app", factory=True, host=host, port=port)


def _print_info(info: DemoInfo) -> None:
    click.echo(f"Database: {info.database_url}")
    click.echo(f"Secret key: {info.secret_key}")
    for report in info.onboarding:
        if report.changed:
            click.echo(f"Tenant {report.slug} (2024): {len(report.units_created)} units created.")
        for username, password in report.generated_passwords.items():
            click.echo(f"  generated password for {username}: {password}  (shown once)")
    if info.merge is not None:
        click.echo(
            f"Merged {info.merge.source} into {info.merge.target} on {info.merge.merged_on}."
        )
        if info.merge.restructuring is not None:
            summary = info.merge.restructuring.summary
            click.echo(
                f"  restructured with {Path(info.merge.structure or '').name}: "
                f"{summary.units_created} units created, {summary.units_closed} closed "
                f"({summary.successions} with a successor)"
            )
    if not info.changed:
        click.echo(f"Tenant {info.tenant_slug}: already built, nothing changed.")
    click.echo(
        f"Candidates: {info.candidates} ({info.candidates_created} created now); "
        f"Party members: {info.members}; lists: {info.lists} ({info.lists_created} created now)."
    )
    for history in info.history:
        click.echo(f"  periods walked in {history.tree}: {', '.join(history.periods)}")
    click.echo("Demo logins (username / password — role on unit):")
    for login in info.logins:
        click.echo(
            f"  {login.username:<12} {login.password:<18} {login.role} on {login.unit_code} "
            f"({login.level})"
        )
