"""Inputs that are well-formed but reach past what the rules know: a 4xx in Vietnamese, or
an answer, never a 500."""

from __future__ import annotations

import datetime as dt

from nguon.people.tables import Candidate
from nguon.tenancy.scoped import switch_tenant_in_transaction
from tests.conftest import Database
from tests.http.conftest import AppClient, build_world, candidate_body, token_for
from tests.problems import assert_problem


async def test_a_stage_change_dated_before_every_rules_version_is_refused_in_vietnamese(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "no-version")
    admin = await token_for(client, world.slug, "admin")
    base = f"/t/{world.slug}/api/v1"
    made = await client.post(
        f"{base}/candidates", json=candidate_body(world.units["cell_x"]), headers=admin
    )
    assert made.status_code == 201, made.text
    moved = await client.post(
        f"{base}/candidates/{made.json()['id']}/stage",
        json={"version": 1, "to_stage": "removed", "reason": "Chuyển đi", "on": "1990-01-01"},
        headers=admin,
    )
    problem = assert_problem(moved, 400, "no_rules_in_force")
    assert "Không có phiên bản quy định nào" in problem["detail"]
    assert "01/01/1990" in problem["detail"]
    assert "1990-01-01" in problem["detail_en"]
    again = await client.get(f"{base}/candidates/{made.json()['id']}", headers=admin)
    assert again.json()["stage"] == "surveyed"


async def test_a_certificate_older_than_the_validity_parameter_is_listed_not_a_500(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "old-certificate")
    admin = await token_for(client, world.slug, "admin")
    base = f"/t/{world.slug}/api/v1"
    made = await client.post(
        f"{base}/candidates", json=candidate_body(world.units["cell_x"]), headers=admin
    )
    assert made.status_code == 201, made.text
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            await Candidate.update(
                {
                    Candidate.stage: "certified",
                    Candidate.certificate_number: "GCN-2019-01",
                    Candidate.certificate_date: dt.date(2019, 5, 2),
                }
            ).where(Candidate.id == made.json()["id"])
    for viewer in ("admin", "cell_x_editor", "district_1_editor"):
        headers = admin if viewer == "admin" else await token_for(client, world.slug, viewer)
        expired = await client.get(f"{base}/certificates/expired", headers=headers)
        assert expired.status_code == 200, expired.text
        (item,) = expired.json()["items"]
        assert item["certificate_number"] == "GCN-2019-01"
        # Judged by the first validity the package knows (60 months).
        assert item["expired_on"] == "2024-05-02"
