"""``nguon reminders``: send a day's deadline reminders by hand (the worker does it daily)."""

from __future__ import annotations

import asyncio
import datetime as dt

import click

from nguon.clock import today_in_vietnam
from nguon.db.binding import using_engine
from nguon.db.engine import is_postgres, make_engine
from nguon.plugins_builtin.reminders.service import Reminder, send_all
from nguon.settings import load_settings


@click.group()
def reminders() -> None:
    """Deadline reminders of the package calendar (plugin deadline_reminders)."""


@reminders.command("send")
@click.option(
    "--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), help="The day to act as (today)."
)
def send_command(on: dt.datetime | None) -> None:
    """Record and send the reminders due on a day; reminders sent before are skipped."""
    today = on.date() if on else today_in_vietnam()

    async def run() -> dict[int, list[Reminder]]:
        engine = make_engine(load_settings().database_url)
        with using_engine(engine):
            if is_postgres(engine):
                await engine.start_connection_pool()
            try:
                return await send_all(today)
            finally:
                if is_postgres(engine):
                    await engine.close_connection_pool()

    sent = asyncio.run(run())
    total = sum(len(batch) for batch in sent.values())
    click.echo(f"{total} reminder(s) sent for {today.isoformat()}.")
    for tenant_id, batch in sent.items():
        for reminder in batch:
            click.echo(
                f"  tenant {tenant_id}: {reminder.unit_code} {reminder.period} "
                f"{reminder.kind} (deadline {reminder.deadline.isoformat()})"
            )
