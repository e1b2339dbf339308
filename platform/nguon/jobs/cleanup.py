"""Files kept for jobs leave the database once they have served: list exports a week after
they were asked for, the bytes of imported member sheets a week after their import (their
digest stays, so the same file imported again is still recognised), and figure roll-ups of
past days no view asks for any more."""

from __future__ import annotations

import datetime as dt

import msgspec

from nguon.clock import today_in_vietnam
from nguon.jobs.queue import KEPT_HOURS
from nguon.people.upload_tables import MemberUpload
from nguon.pipeline.export_tables import ListExport
from nguon.reports.rollups import remove_old
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant
from nguon.tenancy.tables import Tenant

KEPT = dt.timedelta(hours=KEPT_HOURS)


class FilesRemoved(msgspec.Struct, kw_only=True):
    exports: int = 0
    uploads_emptied: int = 0
    rollups: int = 0
    """Figure roll-ups of past days no view asks for any more."""


async def remove_old_files(now: dt.datetime | None = None) -> FilesRemoved:
    """Every tenant's exports and upload bytes older than ``KEPT``, each in its tenant."""
    cutoff = (now or dt.datetime.now(dt.UTC)) - KEPT
    removed = FilesRemoved()
    with tenant_context(None):
        tenants = await Tenant.select(Tenant.id).order_by(Tenant.id)
    for tenant in tenants:
        with tenant_context(tenant["id"]):
            gone = (
                await ListExport.delete()
                .where(in_tenant(ListExport), ListExport.requested_at < cutoff)
                .returning(ListExport.id)
            )
            emptied = (
                await MemberUpload.update({MemberUpload.content: b""})
                .where(
                    in_tenant(MemberUpload),
                    MemberUpload.state != "queued",
                    MemberUpload.uploaded_at < cutoff,
                    MemberUpload.content != b"",
                )
                .returning(MemberUpload.id)
            )
            removed.rollups += await remove_old(today_in_vietnam())
        removed.exports += len(gone)
        removed.uploads_emptied += len(emptied)
    return removed
