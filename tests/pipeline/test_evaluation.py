"""Stored candidates evaluated with their tenant's rules package."""

from __future__ import annotations

from datetime import date

from nguon.pipeline.evaluation import evaluate_candidates

ON = date(2025, 5, 15)
CELL = {"kind": "grassroots_cell", "bloc": "commune"}


def _row(candidate_id: int, **changes: object) -> dict:
    row = {
        "id": candidate_id,
        "unit": 7,
        "date_of_birth": date(2000, 1, 1),
        "sex": "female",
        "ethnicity": "Kinh",
        "education": "upper_secondary",
        "hardship_area": False,
        "political_standard": "passed",
        "is_party_member": False,
        "youth_union_member": True,
        "trade_union_member": False,
        "provincial_consent_over_60": False,
        "certificate_date": None,
        "stage": "surveyed",
    }
    row.update(changes)
    return row


async def test_each_stored_candidate_gets_the_decisions_of_the_package() -> None:
    rows = [
        _row(1),
        _row(2, date_of_birth=date(2008, 1, 1)),
        _row(3, education="primary"),
        _row(4, education="primary", hardship_area=True),
    ]
    results = await evaluate_candidates("hungyen", rows, {7: CELL}, ON, ["survey_list"])
    outcomes = {cid: results[cid].decisions["survey_list"].outcome for cid in results}
    assert outcomes == {1: "eligible", 2: "not_eligible", 3: "not_eligible", 4: "eligible"}
    reasons = [r.code for r in results[2].decisions["survey_list"].reasons]
    assert reasons == ["age_below_minimum"]
    assert results[1].package == "hungyen" and results[1].inputs_hash
