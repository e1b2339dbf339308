"""The browser tests' database: the demo, plus a plan, some history and lists so the
dashboard and home page have something to show; Lạc Hồng as a commune committee.
Run as ``python -m tests.browser.seed URL``."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys

from nguon.db.binding import using_engine
from nguon.db.engine import make_engine
from nguon.demo.prepare import prepare_demo
from nguon.org.service import unit_by_code
from nguon.org.tables import OrgUnit
from nguon.people.tables import Candidate
from nguon.pipeline.tables import AdmissionPlan, CandidateList, StageChange
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant


async def seed(url: str) -> None:
    info = await prepare_demo(url, candidates=400)
    today = dt.date.today()
    with using_engine(make_engine(url)), tenant_context(info.tenant_id):
        district = await unit_by_code("hy.vanlam")
        commune = await unit_by_code("hy.vanlam.lachong")
        cell = await unit_by_code("hy.vanlam.lachong.thon-1")
        assert district and commune and cell
        # Since July 2025 a commune's Party committee is a commune committee: the lists
        # of its cells go to it (the reporting chain of the current periods), not past it.
        await OrgUnit.update({OrgUnit.kind: "commune_committee"}).where(
            in_tenant(OrgUnit), OrgUnit.id == commune.id
        )
        await AdmissionPlan(
            tenant_id=info.tenant_id,
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
            .limit(25)
        )
        await Candidate.update({Candidate.stage: "admitted"}).where(
            in_tenant(Candidate), Candidate.id.is_in([row["id"] for row in admitted])
        )
        for index, row in enumerate(admitted):
            await StageChange(
                tenant_id=info.tenant_id,
                candidate=row["id"],
                from_stage="admission_in_progress",
                to_stage="admitted",
                changed_on=dt.date(today.year, 1 + (index % 3) * 3, 10),
                actor="demo",
            ).save()
        await CandidateList(
            tenant_id=info.tenant_id,
            unit=cell.id,
            unit_path=cell.path,
            step="survey",
            period_code=f"{today.year}-Q1",
            period_opens=dt.date(today.year, 1, 1),
            period_deadline=dt.date(today.year, 3, 31),
            state="submitted",
            receiver_unit=commune.id,
            package="hungyen",
            package_version="2024",
            submitted_at=dt.datetime.now(dt.UTC),
        ).save()


if __name__ == "__main__":
    asyncio.run(seed(sys.argv[1]))
