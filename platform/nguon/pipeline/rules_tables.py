"""Per tenant: the draft rules versions it published, and the what-if reports it ran."""

from __future__ import annotations

from piccolo.columns import Date, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from nguon.tenancy.tables import Tenant


class RulesPublication(Table, tablename="rules_publication"):
    """A draft version of the tenant's rules package, published: it governs the tenant's
    people from ``effective_from`` (written only by ``nguon.pipeline.publication``)."""

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    package = Varchar(length=64)
    version = Varchar(length=64)
    effective_from = Date()
    published_at = Timestamptz(default=TimestamptzNow())
    published_by = Varchar(length=200)


class RulesWhatIf(Table, tablename="rules_whatif"):
    """A what-if job and, once done, its report (``WhatIfReport`` as JSON): kept in a table
    so every process reads it and it outlives the progress store's day."""

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    job_id = Varchar(length=64)
    package = Varchar(length=64)
    version = Varchar(length=64)
    on_date = Date()
    state = Varchar(length=16, default="queued")
    report = Text(default="")
    started_by = Varchar(length=200)
    created_at = Timestamptz(default=TimestamptzNow())
