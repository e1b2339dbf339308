"""A tenant merged into another is closed: operator commands refuse to write into it."""

from __future__ import annotations

from nguon.tenancy.tables import Tenant


def closed_problem(tenant: Tenant) -> str | None:
    """Why nothing may be written into ``tenant`` any more, or None while it is open."""
    if tenant.merged_into is None:
        return None
    return (
        f"tenant {tenant.slug!r} was merged into {tenant.merged_into!r} on {tenant.merged_on} "
        f"and is closed: work in {tenant.merged_into!r}"
    )
