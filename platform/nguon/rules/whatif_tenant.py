"""The people of one tenant, read (never written) for a what-if: every candidate still on
the way (not admitted, not removed) with the facts the rules see, in their unit."""

from __future__ import annotations

from datetime import date

from nguon.errors import NotFound
from nguon.org.tables import OrgUnit
from nguon.people.tables import Candidate
from nguon.pipeline.evaluation import candidate_facts, helpers_assigned, unit_facts
from nguon.rules.whatif import Person
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant
from nguon.tenancy.tables import Tenant

FINAL_STAGES = ("admitted", "removed")


async def tenant_people(slug: str, on: date) -> tuple[str, list[Person]]:
    """The tenant's rules package id and its people on the way, with their units."""
    tenant = await Tenant.select(Tenant.id, Tenant.rules_package).where(Tenant.slug == slug).first()
    if tenant is None:
        raise NotFound(f"tenant {slug!r}")
    with tenant_context(tenant["id"]):
        people = await current_tenant_people(on)
    return tenant["rules_package"], people


async def current_tenant_people(on: date) -> list[Person]:
    """The current tenant's people on the way, with their units (read only)."""
    rows = await (
        Candidate.select(
            Candidate.id,
            Candidate.unit,
            Candidate.full_name,
            Candidate.date_of_birth,
            Candidate.sex,
            Candidate.ethnicity,
            Candidate.education,
            Candidate.hardship_area,
            Candidate.political_standard,
            Candidate.is_party_member,
            Candidate.youth_union_member,
            Candidate.trade_union_member,
            Candidate.provincial_consent_over_60,
            Candidate.certificate_date,
            Candidate.stage,
        )
        .where(in_tenant(Candidate), Candidate.stage.not_in(list(FINAL_STAGES)))
        .order_by(Candidate.id)
        .run()
    )
    unit_ids = sorted({row["unit"] for row in rows})
    units = {
        unit["id"]: unit
        for unit in await OrgUnit.select(OrgUnit.id, OrgUnit.name, OrgUnit.kind, OrgUnit.bloc)
        .where(in_tenant(OrgUnit), OrgUnit.id.is_in(unit_ids or [0]))
        .run()
    }
    helped = await helpers_assigned((row["id"] for row in rows), on)
    return [
        Person(
            facts=candidate_facts(row, helper_assigned=row["id"] in helped),
            name=row["full_name"],
            unit_id=row["unit"],
            unit_name=units[row["unit"]]["name"],
            unit=unit_facts(units[row["unit"]]),
        )
        for row in rows
    ]
