"""The webhook outbox: one row per event and endpoint, with its delivery log."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from nguon.tenancy.tables import Tenant


class WebhookDelivery(Table, tablename="webhook_delivery"):
    """An event to POST to one endpoint; ``delivery_id`` is sent so receivers can dedupe."""

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    delivery_id = Varchar(length=36, unique=True)
    event_type = Varchar(length=64)
    endpoint_url = Varchar(length=500)
    body = Text()
    status = Varchar(length=16, default="pending")
    """``pending`` (to send), ``delivered`` (a 2xx answer), ``failed`` (gave up)."""
    attempts = Integer(default=0)
    last_status = Integer(null=True, default=None)
    last_error = Text(default="")
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    delivered_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
