"""``nguon worker``: the process that runs the jobs (Postgres)."""

from __future__ import annotations

import asyncio
import logging

import click

from nguon.jobs.worker import CannotStart, WorkerOptions, run_worker
from nguon.settings import load_settings


@click.command("worker")
@click.option("--concurrency", default=4, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--heartbeat",
    "heartbeat_seconds",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds between the worker's heartbeats.",
)
@click.option(
    "--stalled-after",
    "stalled_after_seconds",
    default=30.0,
    show_default=True,
    type=click.FloatRange(0.5),
    help="Seconds without a heartbeat after which a worker's jobs are queued again.",
)
@click.option(
    "--poll",
    "poll_seconds",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Longest wait between looks at the queue.",
)
@click.option(
    "--shutdown-timeout",
    "shutdown_seconds",
    default=60.0,
    show_default=True,
    type=click.FloatRange(0),
    help="On SIGTERM, seconds running jobs may take before they are aborted.",
)
@click.option("--name", default=None, help="The worker's name in logs.")
def worker(**options: object) -> None:
    """Run queued jobs (re-evaluations, webhook deliveries, reminders, nightly runs)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = load_settings()
    try:
        asyncio.run(run_worker(settings, WorkerOptions(**options)))  # type: ignore[arg-type]
    except CannotStart as error:
        raise click.ClickException(str(error)) from None
