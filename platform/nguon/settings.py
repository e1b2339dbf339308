"""Settings from the environment, read once per process."""

from __future__ import annotations

import ipaddress
import os

import msgspec

from nguon.text import ascii_digits

DEFAULT_SQLITE_URL = "sqlite:///nguon.sqlite"


class Settings(msgspec.Struct, frozen=True):
    database_url: str
    migrate_database_url: str
    secret_key: str
    redis_url: str | None
    debug: bool
    app_role: str = "nguon_app"
    """The Postgres role the web processes connect as; migrations grant it what it needs."""
    rendered_pages: int = 256
    """How many rendered list pages each process keeps (``nguon.portal.rendered``); 0: none."""
    rendered_people: int = 256
    """How many lists' people sections each process keeps rendered under a digest of the
    entries they show (``nguon.portal.list_people``); 0: none."""
    trusted_proxies: tuple[str, ...] = ()
    """Reverse proxies whose X-Forwarded-For/-Proto are believed (addresses or networks)."""
    event_relay_seconds: int = 15
    """How often a server process dispatches pipeline events left undispatched."""
    metrics_token: str | None = None
    """Bearer token that reads ``/metrics`` (``NGUON_METRICS_TOKEN``)."""
    metrics_allow: tuple[str, ...] = ()
    """Client addresses or networks that read ``/metrics`` without a token."""
    access_log: bool = True
    """One ``nguon.access`` log line per request (``NGUON_ACCESS_LOG=0`` turns it off)."""
    previous_secret_key: str | None = None
    """``NGUON_SECRET_KEY_PREVIOUS`` while a key rotation is under way: still opens and
    verifies what the old key made (``nguon secrets rotate``)."""


def load_settings() -> Settings:
    database_url = os.environ.get("NGUON_DATABASE_URL", DEFAULT_SQLITE_URL)
    return Settings(
        database_url=database_url,
        migrate_database_url=os.environ.get("NGUON_MIGRATE_DATABASE_URL", "").strip()
        or database_url,
        secret_key=required_secret_key(),
        redis_url=os.environ.get("NGUON_REDIS_URL") or None,
        debug=os.environ.get("NGUON_DEBUG", "") in {"1", "true", "yes"},
        app_role=os.environ.get("NGUON_APP_ROLE", "nguon_app"),
        rendered_pages=_count("NGUON_RENDERED_PAGES", 256),
        rendered_people=_count("NGUON_RENDERED_PEOPLE", 256),
        trusted_proxies=_networks("NGUON_TRUSTED_PROXIES"),
        event_relay_seconds=max(_count("NGUON_EVENT_RELAY_SECONDS", 15), 1),
        metrics_token=os.environ.get("NGUON_METRICS_TOKEN", "").strip() or None,
        metrics_allow=_networks("NGUON_METRICS_ALLOW"),
        access_log=os.environ.get("NGUON_ACCESS_LOG", "1").strip().lower()
        not in {"0", "false", "no", "off"},
        previous_secret_key=os.environ.get("NGUON_SECRET_KEY_PREVIOUS", "").strip() or None,
    )


def _count(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not ascii_digits(raw):
        raise SystemExit(f"{name} must be a whole number, not {raw!r}")
    return int(raw)


def _networks(name: str) -> tuple[str, ...]:
    entries = tuple(e.strip() for e in os.environ.get(name, "").split(",") if e.strip())
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise SystemExit(f"{name}: {entry!r} is not an IP address or network") from None
    return entries


SECRET_KEY_MISSING = (
    "NGUON_SECRET_KEY is not set: every server process and command needs the same key "
    '(python3 -c "import secrets; print(secrets.token_urlsafe(48))"); '
    "only `nguon demo` makes one for itself."
)


def required_secret_key() -> str:
    """``NGUON_SECRET_KEY``, or exit with one line: a key made up on the spot would not
    open the national ID numbers, tokens and sessions made with the real one."""
    key = os.environ.get("NGUON_SECRET_KEY", "").strip()
    if not key:
        raise SystemExit(SECRET_KEY_MISSING)
    return key
