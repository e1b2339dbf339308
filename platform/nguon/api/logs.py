"""Structured logs: one JSON object a line, in English, with secrets kept out."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import msgspec
from litestar.logging.config import LoggingConfig

_STANDARD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "taskName"}
)
_SECRET_MARKERS = ("password", "token", "national_id", "secret", "cookie", "authorization")


def _redact(key: str, value: Any) -> Any:
    if any(marker in key.lower() for marker in _SECRET_MARKERS):
        return "[redacted]"
    return value


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = _redact(key, value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return msgspec.json.encode(entry, enc_hook=str).decode()


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
