"""``nguon serve`` (uvicorn with the app factory) and ``nguon check``."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from nguon.serve.checks import Check, checks_waiting_for_database, run_checks
from nguon.serve.settings import ServeSettings, ServeSettingsError, load_serve_settings

APP_FACTORY = "nguon.app:create_app"

WORKER_HEALTHCHECK_SECONDS = 30

UVICORN_LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "nguon.observability.json_logs.JsonFormatter"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}
"""Uvicorn's own lines (start, stop, errors) as JSON like the app's; the app writes the
access log itself."""


def _print_failures(checks: list[Check]) -> None:
    for check in checks:
        if not check.ok:
            click.echo(check.line(), err=True)


@click.command()
def check() -> None:
    """Check the configuration, database, schema, app role and Redis; serve nothing."""
    checks = asyncio.run(run_checks())
    for result in checks:
        click.echo(result.line())
    if not all(result.ok for result in checks):
        sys.exit(1)


def prepare_metrics_folder(workers: int) -> Path | None:
    """``PROMETHEUS_MULTIPROC_DIR`` for the workers: the operator's (emptied of a previous
    run's files), or a fresh temporary one when several workers share the metrics."""
    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip()
    if configured:
        folder = Path(configured)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
        return None
    if workers == 1:
        return None
    folder = Path(tempfile.mkdtemp(prefix="nguon-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return folder


@click.command()
@click.option("--host", default=None, help="Address to listen on [NGUON_HOST; 127.0.0.1].")
@click.option("--port", default=None, type=int, help="Port [NGUON_PORT; 8000].")
@click.option("--workers", default=None, type=int, help="Processes [NGUON_WORKERS; 1].")
@click.option(
    "--trusted-proxies",
    default=None,
    help="Reverse proxies, comma-separated addresses or networks [NGUON_TRUSTED_PROXIES].",
)
@click.option(
    "--shutdown-timeout",
    default=None,
    type=int,
    help="Seconds requests in flight may take to finish on SIGTERM [NGUON_SHUTDOWN_TIMEOUT; 30].",
)
@click.option(
    "--access-log/--no-access-log",
    default=None,
    help="One JSON line per request [NGUON_ACCESS_LOG; on].",
)
@click.option(
    "--wait-for-database",
    default=None,
    type=int,
    help="Seconds to wait for a database that does not answer yet [NGUON_WAIT_FOR_DATABASE; 60].",
)
@click.option("--tls-certfile", default=None, help="Serve https directly [NGUON_TLS_CERTFILE].")
@click.option("--tls-keyfile", default=None, help="[NGUON_TLS_KEYFILE]")
def serve(**flags: Any) -> None:
    """Run the web application (uvicorn) after checking the configuration."""
    if flags.get("trusted_proxies") is not None:
        flags["trusted_proxies"] = [
            entry.strip() for entry in flags["trusted_proxies"].split(",") if entry.strip()
        ]
    try:
        settings = load_serve_settings(flags)
    except ServeSettingsError as error:
        raise click.ClickException(str(error)) from None
    checks = checks_waiting_for_database(
        settings.wait_for_database, lambda line: click.echo(line, err=True)
    )
    if not all(result.ok for result in checks):
        _print_failures(checks)
        raise click.ClickException("not serving: fix the problems above (`nguon check`)")
    run_uvicorn(settings)


def run_uvicorn(settings: ServeSettings) -> None:
    import uvicorn

    # The app reads these like every other process of the installation does.
    os.environ["NGUON_TRUSTED_PROXIES"] = ",".join(settings.trusted_proxies)
    os.environ["NGUON_ACCESS_LOG"] = "1" if settings.access_log else "0"
    temporary = prepare_metrics_folder(settings.workers)
    click.echo(
        f"Serving on {'https' if settings.tls_certfile else 'http'}://{settings.host}:"
        f"{settings.port} with {settings.workers} worker(s)",
        err=True,
    )
    try:
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            # Named, not "auto": an installation without them fails to start instead of
            # serving on the pure-Python parser and loop (bench/README.md: "uvloop").
            loop="uvloop",
            http="httptools",
            proxy_headers=False,  # the app believes forwarded headers from trusted proxies only
            server_header=False,
            access_log=False,  # the app writes its own, with the request id and route
            timeout_graceful_shutdown=settings.shutdown_timeout,
            ssl_certfile=settings.tls_certfile,
            ssl_keyfile=settings.tls_keyfile,
            log_config=UVICORN_LOG_CONFIG,
            # A worker importing the app on a busy machine answers the supervisor's
            # health check late; 5 s (uvicorn's default) had it killed while starting.
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        )
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
