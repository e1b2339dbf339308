"""Answers kept for ``Idempotency-Key`` retries: one row per tenant, user and key."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from nguon.tenancy.tables import Tenant


class IdempotencyRecord(Table, tablename="idempotency_record"):
    """A POST made with an ``Idempotency-Key``: in flight while ``status`` is null, then
    its answer, written in the transaction that made the change; kept until ``expires_at``."""

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    user_id = Integer()
    idempotency_key = Varchar(length=255)
    method = Varchar(length=8)
    path = Varchar(length=500)
    fingerprint = Varchar(length=64)
    """SHA-256 of the request body (canonical JSON when it is JSON)."""
    status = Integer(null=True, default=None)
    content_type = Varchar(length=100, default="")
    response_headers = Text(default="{}")
    """The answer's headers a replay repeats (ETag, Location, Link), as JSON."""
    response_body = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(default=TimestamptzNow())
