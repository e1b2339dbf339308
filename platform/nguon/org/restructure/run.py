"""Restructuring a tenant from a file, in one transaction of its own (the CLI's way)."""

from __future__ import annotations

from pathlib import Path

import msgspec

from nguon.audit.service import Actor
from nguon.db.binding import current_engine
from nguon.org.restructure.apply import RestructuringReport, apply_restructuring
from nguon.org.restructure.plan import RestructuringRefused, plan_restructuring
from nguon.org.restructure.spec import load_restructuring
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import switch_tenant_in_transaction
from nguon.tenancy.tables import Tenant

RESTRUCTURE_ACTOR = Actor(label="cli:restructure")


class _DryRun(Exception):
    """Raised at the end of a dry run so that its transaction rolls back."""

    def __init__(self, report: RestructuringReport) -> None:
        super().__init__("dry run")
        self.report = report


async def restructure_file(
    path: Path, *, dry_run: bool = False, actor: Actor = RESTRUCTURE_ACTOR
) -> RestructuringReport:
    """Read, check and apply a restructuring file for the tenant it names, all or nothing.

    A dry run makes the whole change in a transaction and rolls it back, so it reports
    exactly what applying would do (receivers included) and writes nothing. Raises
    :class:`RestructuringFileError` or :class:`RestructuringRefused` with every problem.
    """
    spec = load_restructuring(path)
    try:
        with tenant_context(None):
            async with current_engine().transaction():
                tenant = await Tenant.objects().where(Tenant.slug == spec.tenant).first()
                if tenant is None:
                    raise RestructuringRefused(
                        [spec.origin.problem(f"unknown tenant {spec.tenant!r}", field="tenant")]
                    )
                await switch_tenant_in_transaction(tenant.id)
                plan = await plan_restructuring(spec, str(path))
                report = await apply_restructuring(plan, actor)
                if dry_run and report.applied:
                    raise _DryRun(report)
    except _DryRun as rolled_back:
        return msgspec.structs.replace(rolled_back.report, dry_run=True, restructuring_id=None)
    return msgspec.structs.replace(report, dry_run=dry_run)
