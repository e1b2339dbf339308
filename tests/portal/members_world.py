"""Shared steps of the member page tests: reading rows as the owner, adding a member
through the portal, a certified candidate, an XLSX file in memory."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

from openpyxl import Workbook

from nguon.audit.tables import AuditEvent
from nguon.clock import today_in_vietnam
from nguon.people.tables import Candidate, Member, MemberChange
from nguon.pipeline.tables import HelperAssignment
from nguon.tenancy.scoped import switch_tenant_in_transaction
from tests.conftest import Database
from tests.http.conftest import AppClient, World, candidate_body, csrf_token_in, token_for


async def rows_of(db: Database, world: World, table: Any, *where: Any) -> list[dict[str, Any]]:
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            query = table.select().where(table.tenant_id == world.tenant_id, *where)
            return await query.order_by(table.id).run()


async def members_of(db: Database, world: World) -> list[dict[str, Any]]:
    return await rows_of(db, world, Member)


async def changes_of(db: Database, world: World, member_id: int) -> list[dict[str, Any]]:
    return await rows_of(db, world, MemberChange, MemberChange.member == member_id)


async def audit_of(db: Database, world: World, entity: str, action: str) -> list[dict[str, Any]]:
    return await rows_of(
        db, world, AuditEvent, AuditEvent.entity_type == entity, AuditEvent.action == action
    )


async def helpers_of(db: Database, world: World, member_id: int) -> list[dict[str, Any]]:
    return await rows_of(db, world, HelperAssignment, HelperAssignment.member == member_id)


def member_form(cell: int, **fields: str) -> dict[str, str]:
    return {
        "unit_id": str(cell),
        "full_name": "Trần Thị Bình",
        "date_of_birth": "02/03/1980",
        "sex": "female",
        "card_number": "01.234567",
        "admitted_on": "02/09/2005",
        "official_on": "02/09/2006",
        **fields,
    }


async def add_member(client: AppClient, slug: str, unit: int, **fields: str) -> int:
    """Add a member through the portal (the client is signed in); returns its id."""
    page = await client.get(f"/t/{slug}/units/{unit}/members/new")
    assert page.status_code == 200, page.text
    response = await client.post(
        f"/t/{slug}/units/{unit}/members/new",
        data={**member_form(unit), **fields, "_csrf_token": csrf_token_in(page.text)},
    )
    assert response.status_code == 303, response.text
    match = re.search(r"/members/(\d+)\?done=added$", response.headers["location"])
    assert match
    return int(match.group(1))


async def certified_candidate(
    db: Database, client: AppClient, world: World, cell: int, name: str = "Ngô Văn Tâm"
) -> int:
    headers = await token_for(client, world.slug, "admin")
    made = await client.post(
        f"/t/{world.slug}/api/v1/candidates",
        json=candidate_body(cell, full_name=name, political_standard="passed"),
        headers=headers,
    )
    assert made.status_code == 201, made.text
    candidate = made.json()["id"]
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            await Candidate.update(
                {
                    Candidate.stage: "certified",
                    Candidate.certificate_number: "GCN-01",
                    Candidate.certificate_date: today_in_vietnam() - dt.timedelta(days=30),
                }
            ).where(Candidate.id == candidate)
    return candidate


def xlsx(header: list[str], rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def version_in(html: str, action: str) -> str:
    """The version field of the form posting to ``action``."""
    form = html[html.index(f'action="{action}"') :]
    match = re.search(r'name="version" value="(\d+)"', form)
    assert match
    return match.group(1)
