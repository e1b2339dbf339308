"""``nguon worker``: the process that runs the jobs (Postgres)."""

from __future__ import annotations

import asyncio
import logging

import click

from nguon.jobs.worker import CannotStart, WorkerOptions, run_worker
from nguon.observability.json_logs import JsonFormatter
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
@click.option(
    "--wait-for-database",
    "wait_for_database",
    default=60.0,
    show_default=True,
    envvar="NGUON_WAIT_FOR_DATABASE",
    type=click.FloatRange(0),
    help="At start, seconds to wait for a database that does not answer yet.",
)
def worker(**options: object) -> None:
    """Run queued jobs (re-evaluations, webhook deliveries, reminders, nightly runs)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())  # one JSON object a line, as the servers log
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    settings = load_settings()
    try:
        asyncio.run(run_worker(settings, WorkerOptions(**options)))  # type: ignore[arg-type]
    except CannotStart as error:
        raise click.ClickException(str(error)) from None
