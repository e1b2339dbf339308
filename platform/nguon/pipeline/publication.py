"""Publishing a draft rules version for a tenant: an audited act with an effective date.

The draft versions a tenant published are read from ``rules_publication`` each time they
are needed (a few rows per tenant, one query per evaluated batch), never kept in a process:
a publication made elsewhere (``nguon rules publish``, another worker) counts from the
next request of every process. A package without draft versions never looks.
"""

from __future__ import annotations

from datetime import date

import msgspec

from nguon.audit.service import Actor, record_event
from nguon.clock import today_in_vietnam
from nguon.db.transaction import atomic
from nguon.errors import Conflict, NotFound
from nguon.pipeline.rules_tables import RulesPublication
from nguon.pipeline.tables import CandidateDecision
from nguon.rules.decisions import CandidateEvaluation
from nguon.rules.errors import RulesError
from nguon.rules.package import RulesPackage, VersionSpec
from nguon.rules.registry import load_package
from nguon.tenancy.context import require_tenant
from nguon.tenancy.package import tenant_package_id
from nguon.tenancy.scoped import in_tenant


async def published_versions(package_id: str) -> dict[str, date]:
    """The current tenant's published draft versions of ``package_id``: id -> effective.
    Read now: a process-wide cache kept a publication by the CLI out of the running portal
    (rule-author trial)."""
    require_tenant()
    rows = await (
        RulesPublication.select(RulesPublication.version, RulesPublication.effective_from)
        .where(in_tenant(RulesPublication), RulesPublication.package == package_id)
        .run()
    )
    return {row["version"]: row["effective_from"] for row in rows}


async def tenant_rules_on(package: RulesPackage, on: date) -> date | None:
    """The day whose rules govern the current tenant's people on ``on`` (None: ``on``
    itself, the case of every package without draft versions)."""
    if not package.has_drafts:
        return None
    _, rules_on = package.in_force_for(on, await published_versions(package.id))
    return rules_on


async def until_next_publication(
    package: RulesPackage, on: date, evaluations: dict[int, CandidateEvaluation]
) -> dict[int, CandidateEvaluation]:
    """``evaluations`` made on ``on``, due again no later than the next effective date of
    a version the tenant published (a day the package's own thresholds do not know)."""
    if not package.has_drafts:
        return evaluations
    upcoming = [day for day in (await published_versions(package.id)).values() if day > on]
    if not upcoming:
        return evaluations
    first = min(upcoming)
    return {
        key: msgspec.structs.replace(
            evaluation, next_check=min(evaluation.next_check or first, first)
        )
        for key, evaluation in evaluations.items()
    }


async def publications() -> list[dict]:
    """The current tenant's publications of its package, oldest first."""
    return await (
        RulesPublication.select()
        .where(in_tenant(RulesPublication))
        .order_by(RulesPublication.published_at)
        .run()
    )


def draft_version(package: RulesPackage, version_id: str) -> VersionSpec:
    try:
        package.version_period(version_id)
    except RulesError as error:
        raise NotFound(str(error)) from error
    version = next(v for v in package.versions if v.id == version_id)
    if not version.draft:
        raise Conflict(f"version {version_id!r} of {package.id!r} is not a draft")
    return version


async def publish_version(
    actor: Actor, version_id: str, effective_from: date, today: date | None = None
) -> dict:
    """Publish draft ``version_id`` of the current tenant's package from
    ``effective_from`` (not before today): the row, an audit event with before and after,
    and the stored decisions due for a look on that day."""
    today = today or today_in_vietnam()
    if effective_from < today:
        raise Conflict(f"the effective date {effective_from} is before today ({today})")
    package_id = await tenant_package_id()
    draft_version(load_package(package_id), version_id)
    tenant_id = require_tenant()
    async with atomic():
        existing = await (
            RulesPublication.select()
            .where(
                in_tenant(RulesPublication),
                RulesPublication.package == package_id,
                RulesPublication.version == version_id,
            )
            .first()
            .run()
        )
        if existing is not None:
            raise Conflict(
                f"version {version_id!r} was published on {existing['published_at']:%Y-%m-%d}"
                f" by {existing['published_by']}, effective {existing['effective_from']}"
            )
        row = RulesPublication(
            tenant_id=tenant_id,
            package=package_id,
            version=version_id,
            effective_from=effective_from,
            published_by=actor.label,
        )
        await row.save().run()
        after = {
            "package": package_id,
            "version": version_id,
            "effective_from": effective_from,
            "published_by": actor.label,
        }
        await record_event(
            actor,
            "rules.version_published",
            "rules_publication",
            row.id,
            before={"package": package_id, "version": version_id, "status": "draft"},
            after={**after, "status": "published"},
        )
        # Outcomes may change on the effective day: the nightly run looks at them then.
        await CandidateDecision.update({CandidateDecision.next_check: effective_from}).where(
            in_tenant(CandidateDecision),
            CandidateDecision.next_check.is_null()
            | (CandidateDecision.next_check > effective_from),
        )
    return {**after, "id": row.id}
