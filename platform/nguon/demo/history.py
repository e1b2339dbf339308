"""A little history for the demo, so its dashboards and home pages have something to show:
a district plan with admissions over the year and a list already submitted this year."""

from __future__ import annotations

import datetime as dt

from nguon.org.service import unit_by_code
from nguon.people.tables import Candidate
from nguon.pipeline.tables import AdmissionPlan, CandidateList, StageChange
from nguon.rules.registry import load_package
from nguon.tenancy.context import tenant_context
from nguon.tenancy.package import tenant_package_id
from nguon.tenancy.scoped import in_tenant

DISTRICT = "hy.vanlam"
COMMUNE = "hy.vanlam.lachong"
CELL = "hy.vanlam.lachong.thon-2"
"""Not the demo cell secretary's own cell, whose lists for the current period are to be made."""


async def add_demo_history(tenant_id: int, today: dt.date) -> None:
    """Run once, right after the demo's people were generated (as the database owner)."""
    with tenant_context(tenant_id):
        district = await unit_by_code(DISTRICT)
        commune = await unit_by_code(COMMUNE)
        cell = await unit_by_code(CELL)
        if not (district and commune and cell):
            raise LookupError("the demo manifest lacks Văn Lâm, Lạc Hồng or its first cell")
        await AdmissionPlan(
            tenant_id=tenant_id,
            unit=district.id,
            unit_path=district.path,
            year=today.year,
            target_year=40,
            target_q1=8,
            target_q2=10,
            target_q3=10,
            target_q4=12,
        ).save()
        admitted = await (
            Candidate.select(Candidate.id)
            .where(in_tenant(Candidate), Candidate.unit_path.like(f"{district.path}%"))
            .order_by(Candidate.id)
            .limit(25)
        )
        await Candidate.update({Candidate.stage: "admitted"}).where(
            in_tenant(Candidate), Candidate.id.is_in([row["id"] for row in admitted])
        )
        for index, row in enumerate(admitted):
            await StageChange(
                tenant_id=tenant_id,
                candidate=row["id"],
                from_stage="admission_in_progress",
                to_stage="admitted",
                changed_on=dt.date(today.year, 1 + (index % 3) * 3, 10),
                actor="demo",
            ).save()
        package_id = await tenant_package_id()
        package = load_package(package_id)
        first_quarter = dt.date(today.year, 1, 1)
        period = package.calendar.period_for(first_quarter)
        await CandidateList(
            tenant_id=tenant_id,
            unit=cell.id,
            unit_path=cell.path,
            step="survey",
            period_code=period.code if period else f"{today.year}-Q1",
            period_opens=period.opens if period else first_quarter,
            period_deadline=period.deadline if period else dt.date(today.year, 3, 31),
            state="submitted",
            receiver_unit=commune.id,
            package=package_id,
            package_version=package.version_on(first_quarter).id,
            submitted_at=dt.datetime.now(dt.UTC),
        ).save()
