"""Digits that are not 0-9 ("²", "①": Python calls them digits, ``int()`` refuses them)
in a field name, a header or a query parameter are bad input: a 400 problem naming where,
never a 500 (schemathesis found one with a body key "¹")."""

from __future__ import annotations

import pytest

from tests.conftest import Database
from tests.http.conftest import AppClient, build_world, candidate_body, token_for

ODD_DIGITS = ["¹", "²³", "①", "٣"]


@pytest.mark.parametrize("digits", ODD_DIGITS)
async def test_odd_digits_are_bad_input_with_the_place_named(
    db: Database, client: AppClient, digits: str
) -> None:
    world = await build_world(db, f"digits-{ODD_DIGITS.index(digits)}")
    headers = await token_for(client, world.slug, "cell_x_editor")
    base = f"/t/{world.slug}/api/v2/candidates"

    body = {**candidate_body(world.units["cell_x"]), digits: {"x": 1}}
    refused = await client.post(base, json=body, headers=headers)
    assert refused.status_code == 400, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == [digits]

    listed = await client.get(base, params={"limit": digits}, headers=headers)
    assert listed.status_code == 400, listed.text
    assert listed.json()["errors"][0]["field"] == "limit"

    created = await client.post(base, json=candidate_body(world.units["cell_x"]), headers=headers)
    assert created.status_code == 201, created.text
    guarded = await client.patch(
        f"{base}/{created.json()['id']}",
        json={"occupation": "Nông dân"},
        headers={**headers, "If-Match": f'"{digits}"'.encode()},
    )
    assert 400 <= guarded.status_code < 500, guarded.text
    assert guarded.headers["content-type"].startswith("application/problem+json")
