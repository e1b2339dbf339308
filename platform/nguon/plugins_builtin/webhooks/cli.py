"""``nguon webhooks``: deliver due webhook events by hand (jobs and loops do it otherwise)."""

from __future__ import annotations

import asyncio

import click

from nguon.db.binding import using_engine
from nguon.db.engine import is_postgres, make_engine
from nguon.outbound import guarded_client
from nguon.pipeline.outbox import relay_pending
from nguon.plugins_builtin.webhooks.outbox import DeliveryReport, deliver_due
from nguon.settings import load_settings


@click.group()
def webhooks() -> None:
    """Webhook deliveries (plugin webhooks)."""


@webhooks.command("deliver")
def deliver_command() -> None:
    """Post every due delivery once; failures are retried on a later run.

    Pipeline events a crash left undispatched are dispatched first."""

    async def run() -> DeliveryReport:
        engine = make_engine(load_settings().database_url)
        with using_engine(engine):
            if is_postgres(engine):
                await engine.start_connection_pool()
            try:
                await relay_pending()
                async with guarded_client() as client:
                    return await deliver_due(client)
            finally:
                if is_postgres(engine):
                    await engine.close_connection_pool()

    report = asyncio.run(run())
    click.echo(
        f"{report.delivered} delivered, {report.retried} to retry, {report.gave_up} given up."
    )
