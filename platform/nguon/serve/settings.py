"""The server's own settings, in one place: flags win over ``NGUON_*`` variables."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

SERVE_ENVIRONMENT: dict[str, str] = {
    "host": "NGUON_HOST",
    "port": "NGUON_PORT",
    "workers": "NGUON_WORKERS",
    "trusted_proxies": "NGUON_TRUSTED_PROXIES",
    "shutdown_timeout": "NGUON_SHUTDOWN_TIMEOUT",
    "access_log": "NGUON_ACCESS_LOG",
    "wait_for_database": "NGUON_WAIT_FOR_DATABASE",
    "tls_certfile": "NGUON_TLS_CERTFILE",
    "tls_keyfile": "NGUON_TLS_KEYFILE",
}


class ServeSettingsError(ValueError):
    """A server setting that cannot be used; the message names the variable or flag."""


class ServeSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    trusted_proxies: tuple[str, ...] = ()
    """Reverse proxies whose X-Forwarded-For/-Proto and X-Request-ID are believed."""
    shutdown_timeout: int = 30
    """Seconds a stopping process lets requests in flight finish (SIGTERM)."""
    access_log: bool = True
    wait_for_database: int = 60
    """Seconds to wait at start for a database that does not answer yet (0: fail at once)."""
    tls_certfile: str | None = None
    """Serve https directly; without it TLS is offloaded to the reverse proxy."""
    tls_keyfile: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.port <= 65535:
            raise ServeSettingsError(f"port {self.port} is not between 1 and 65535")
        if self.workers < 1:
            raise ServeSettingsError(f"workers must be at least 1, not {self.workers}")
        if self.shutdown_timeout < 0 or self.wait_for_database < 0:
            raise ServeSettingsError("timeouts are whole seconds, 0 or more")
        for entry in self.trusted_proxies:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ServeSettingsError(
                    f"NGUON_TRUSTED_PROXIES: {entry!r} is not an IP address or network"
                ) from None
        if bool(self.tls_certfile) != bool(self.tls_keyfile):
            raise ServeSettingsError("TLS needs both NGUON_TLS_CERTFILE and NGUON_TLS_KEYFILE")
        for path in (self.tls_certfile, self.tls_keyfile):
            if path and not Path(path).is_file():
                raise ServeSettingsError(f"TLS file {path!r} does not exist")


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for field, variable in SERVE_ENVIRONMENT.items():
        value = environ.get(variable, "").strip()
        if not value:
            continue
        if field == "trusted_proxies":
            raw[field] = [entry.strip() for entry in value.split(",") if entry.strip()]
        elif field == "access_log":
            raw[field] = value.lower() not in {"0", "false", "no", "off"}
        else:
            raw[field] = value
    return raw


def load_serve_settings(
    flags: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> ServeSettings:
    """Settings from the environment, then the flags given (None: not given)."""
    raw = _from_environment(os.environ if environ is None else environ)
    raw.update({name: value for name, value in flags.items() if value is not None})
    try:
        return msgspec.convert(raw, ServeSettings, strict=False)
    except msgspec.ValidationError as error:
        field = str(error).rsplit("`$.", 1)[-1].rstrip("`") if "`$." in str(error) else ""
        variable = SERVE_ENVIRONMENT.get(field, field)
        raise ServeSettingsError(f"{variable or 'server setting'}: {error}") from None
