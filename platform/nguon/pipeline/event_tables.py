"""The pipeline's event outbox: events stored with the change that caused them."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, Text, Timestamptz
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from nguon.tenancy.tables import Tenant


class PipelineEvent(Table, tablename="pipeline_event"):
    """One list or stage event, inserted in the transaction of the change it reports;
    ``dispatched_at`` is set in the transaction in which the plugins' hooks ran."""

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    body = Text()
    """The event, JSON-encoded (``nguon.pipeline.events.Event``)."""
    created_at = Timestamptz(default=TimestamptzNow())
    dispatched_at = Timestamptz(null=True, default=None)
    attempts = Integer(default=0)
    """Dispatches that failed and were rolled back."""
    last_error = Text(default="")
