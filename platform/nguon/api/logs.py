"""Structured logs: one JSON object a line, in English, with secrets kept out."""

from __future__ import annotations

from litestar.logging.config import LoggingConfig

from nguon.observability.json_logs import JsonFormatter

__all__ = ["JsonFormatter", "logging_config"]


def logging_config(debug: bool) -> LoggingConfig:
    return LoggingConfig(
        formatters={"standard": {"()": "nguon.api.logs.JsonFormatter"}},
        loggers={
            "nguon": {"level": "DEBUG" if debug else "INFO", "propagate": True},
            "litestar": {"level": "INFO", "propagate": True},
        },
        # Unhandled errors are logged by nguon.api.errors, without request bodies.
        log_exceptions="never",
    )
