"""Worlds for the course, helper, admission and plan tests: candidates and members made
over the API, accepted course-nominee lists and stage history written with the tables."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from nguon.org.tables import OrgUnit
from nguon.people.tables import Candidate
from nguon.pipeline.tables import CandidateList, ListEntry, StageChange
from nguon.tenancy.scoped import switch_tenant_in_transaction
from tests.conftest import Database
from tests.http import conftest as http_conftest
from tests.http.conftest import AppClient, World, candidate_body

# The HTTP suite's app client fixture, shared with these tests.
client = http_conftest.client

_periods = itertools.count()


def api(world: World) -> str:
    return f"/t/{world.slug}/api/v1"


HISTORY_FIELDS = ("stage", "certificate_number", "certificate_date")


async def add_candidate(
    client: AppClient,
    world: World,
    headers: dict[str, str],
    unit_key: str,
    name: str,
    db: Database | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A candidate made over the API; a stage or certificate in ``extra`` (which the API
    refuses to write) is their history, written with the table afterwards."""
    history = {k: extra.pop(k) for k in HISTORY_FIELDS if k in extra}
    body = candidate_body(world.units[unit_key], full_name=name, political_standard="passed")
    body.update(extra)
    response = await client.post(f"{api(world)}/candidates", json=body, headers=headers)
    assert response.status_code == 201, response.text
    made = response.json()
    if not history:
        return made
    if isinstance(history.get("certificate_date"), str):
        history["certificate_date"] = dt.date.fromisoformat(history["certificate_date"])
    assert db is not None, "a candidate's history is written with the tables: pass db"
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            await Candidate.update(history).where(Candidate.id == made["id"]).run()
    got = await client.get(f"{api(world)}/candidates/{made['id']}", headers=headers)
    return got.json()


async def add_member(
    client: AppClient,
    world: World,
    headers: dict[str, str],
    unit_key: str,
    name: str,
    status: str = "full",
) -> int:
    body = {
        "unit_id": world.units[unit_key],
        "full_name": name,
        "date_of_birth": "1980-03-02",
        "sex": "female",
        "admitted_on": "2005-09-02",
        "status": status,
    }
    if status == "full":
        body["official_on"] = "2006-09-02"
    response = await client.post(f"{api(world)}/members", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def add_list(
    db: Database,
    world: World,
    unit_key: str,
    candidate_ids: list[int],
    state: str = "accepted",
    step: str = "course_nominees",
    included: bool = True,
) -> int:
    """A course-nominee list of a unit, made as the lists' own service would leave it."""
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            unit = await OrgUnit.select().where(OrgUnit.id == world.units[unit_key]).first().run()
            made = CandidateList(
                tenant_id=world.tenant_id,
                unit=unit["id"],
                unit_path=unit["path"],
                step=step,
                period_code=f"2026-Q3-{next(_periods)}",
                period_opens=dt.date(2026, 7, 1),
                period_deadline=dt.date(2026, 9, 30),
                state=state,
                receiver_unit=unit["parent"],
                package="hungyen",
                package_version="2025.2",
            )
            await made.save().run()
            for candidate_id in candidate_ids:
                await (
                    ListEntry(
                        tenant_id=world.tenant_id,
                        candidate_list=made.id,
                        candidate=candidate_id,
                        source="rules",
                        outcome="eligible",
                        included=included,
                    )
                    .save()
                    .run()
                )
    return made.id


async def accept_sources_list(
    client: AppClient,
    db: Database,
    world: World,
    headers: dict[str, str],
    unit_key: str,
    candidate_ids: list[int],
) -> int:
    """A Step 3 list of the unit, submitted and then accepted over the API: the event that
    makes its certified people admission sources."""
    list_id = await add_list(
        db, world, unit_key, candidate_ids, state="submitted", step="admission_sources"
    )
    accepted = await client.post(
        f"{api(world)}/lists/{list_id}/accept", json={"version": 1}, headers=headers
    )
    assert accepted.status_code == 200, accepted.text
    return list_id


async def add_stage_change(
    db: Database, world: World, candidate_id: int, to_stage: str, on: dt.date
) -> None:
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            await (
                StageChange(
                    tenant_id=world.tenant_id,
                    candidate=candidate_id,
                    from_stage="admission_source",
                    to_stage=to_stage,
                    changed_on=on,
                    actor="test",
                )
                .save()
                .run()
            )


async def add_unit(db: Database, world: World, parent_key: str, code: str, kind: str) -> int:
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            parent = (
                await OrgUnit.select().where(OrgUnit.id == world.units[parent_key]).first().run()
            )
            unit = OrgUnit(
                tenant_id=world.tenant_id,
                code=code,
                name=f"Trung tâm chính trị {code}",
                kind=kind,
                parent=parent["id"],
                path="",
                depth=parent["depth"] + 1,
                valid_from=dt.date(2020, 1, 1),
            )
            await unit.save().run()
            unit.path = f"{parent['path']}{unit.id}."
            await unit.save([OrgUnit.path]).run()
    return unit.id


async def audit_actions(db: Database, world: World) -> set[tuple[str, str, str]]:
    from nguon.audit.tables import AuditEvent

    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            rows = await AuditEvent.select(
                AuditEvent.actor, AuditEvent.action, AuditEvent.entity_type
            ).where(AuditEvent.tenant_id == world.tenant_id)
    return {(r["actor"], r["action"], r["entity_type"]) for r in rows}
