"""Candidates made directly in a test world, and what the queue holds."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

from nguon.db.engine import postgres_config
from nguon.org.tables import OrgUnit
from nguon.people.tables import Candidate
from nguon.pipeline.tables import CandidateDecision
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant
from tests.conftest import ADMIN_URL, TEST_DATABASE
from tests.http.conftest import World


async def add_candidates(
    world: World, unit_key: str, births: list[dt.date], name: str = "Nguyễn Văn"
) -> list[int]:
    """One surveyed candidate per birth date in the unit; their ids in order."""
    with tenant_context(world.tenant_id):
        unit = (
            await OrgUnit.select(OrgUnit.path)
            .where(in_tenant(OrgUnit), OrgUnit.id == world.units[unit_key])
            .first()
        )
        rows = [
            Candidate(
                tenant_id=world.tenant_id,
                unit=world.units[unit_key],
                unit_path=unit["path"],
                full_name=f"{name} {index}",
                name_search=f"nguyen van {index}",
                date_of_birth=born,
                sex="male",
                education="upper_secondary",
            )
            for index, born in enumerate(births)
        ]
        await Candidate.insert(*rows).run()
    return [row.id for row in rows]


async def decisions(world: World) -> dict[int, dt.date]:
    """When each candidate of the world was last evaluated."""
    with tenant_context(world.tenant_id):
        rows = await CandidateDecision.select(
            CandidateDecision.candidate, CandidateDecision.evaluated_on
        ).where(in_tenant(CandidateDecision))
    return {row["candidate"]: row["evaluated_on"] for row in rows}


async def admin_connection() -> asyncpg.Connection:
    config = postgres_config(ADMIN_URL)
    config["database"] = TEST_DATABASE
    return await asyncpg.connect(**config)


async def queued(job_id: int) -> dict[str, Any]:
    """A job's row and the events procrastinate recorded for it, in order."""
    connection = await admin_connection()
    try:
        job = await connection.fetchrow(
            "SELECT status::text, attempts, task_name, args::text FROM procrastinate_jobs "
            "WHERE id = $1",
            job_id,
        )
        events = await connection.fetch(
            "SELECT type::text, at FROM procrastinate_events WHERE job_id = $1 ORDER BY id",
            job_id,
        )
    finally:
        await connection.close()
    return {"job": dict(job) if job else None, "events": [e["type"] for e in events], "at": events}
