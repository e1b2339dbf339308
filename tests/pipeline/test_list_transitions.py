"""Every list action from every list state: what the workflow allows moves the list and
leaves an audit event; everything else is refused with 409 and changes nothing.

The table below is the workflow as committees use it (a cell drafts, adopts by resolution
and submits; the commune committee returns or accepts). The test generates every
(state, action) pair from it, so an action that forgets to check the state it starts
from — an approver accepting a draft, a cell re-adopting a submitted list — fails here.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from nguon.audit.tables import AuditEvent
from nguon.pipeline.tables import ListTransition
from nguon.tenancy.context import tenant_context
from tests.conftest import Database
from tests.pipeline.conftest import RESOLUTION, AppClient, Driver, build_chain_world

OWNER = "x_editor"
RECEIVER = "commune_approver"

STATES = ("draft", "adopted", "submitted", "returned", "accepted")
PERSON = "{person}"  # replaced by the id of the one person on the list
# action: (who acts, method, path suffix, body without the version)
ACTIONS: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "change": (OWNER, "PATCH", "", {"remove": [{"candidate_id": PERSON, "reason": "Chuyển đi"}]}),
    "refresh": (OWNER, "POST", "/refresh", {}),
    "adopt": (OWNER, "POST", "/adopt", {"resolution": RESOLUTION}),
    "submit": (OWNER, "POST", "/submit", {}),
    "return": (RECEIVER, "POST", "/return", {"comment": "Bổ sung biên bản họp chi bộ"}),
    "accept": (RECEIVER, "POST", "/accept", {}),
}
# From each state, the actions the workflow allows and the state each leads to.
ALLOWED: dict[str, dict[str, str]] = {
    "draft": {"change": "draft", "refresh": "draft", "adopt": "adopted"},
    "returned": {"change": "returned", "refresh": "returned", "adopt": "adopted"},
    "adopted": {"submit": "submitted"},
    "submitted": {"return": "returned", "accept": "accepted"},
    "accepted": {},
}
# The audit action each allowed action records.
AUDITED_AS = {
    "change": "list_edited",
    "refresh": "list_refreshed",
    "adopt": "list_adopted",
    "submit": "list_submitted",
    "return": "list_returned",
    "accept": "list_accepted",
}
# How to bring a new list to each state: the actions taken from draft.
ROAD: dict[str, tuple[str, ...]] = {
    "draft": (),
    "adopted": ("adopt",),
    "submitted": ("adopt", "submit"),
    "returned": ("adopt", "submit", "return"),
    "accepted": ("adopt", "submit", "accept"),
}


def test_the_table_covers_every_state_and_action() -> None:
    assert set(ALLOWED) == set(STATES) == set(ROAD)
    for state, road in ROAD.items():
        reached = "draft"
        for action in road:
            reached = ALLOWED[reached][action]
        assert reached == state


def _with_person(body: Any, person: int) -> Any:
    if body == PERSON:
        return person
    if isinstance(body, dict):
        return {key: _with_person(value, person) for key, value in body.items()}
    if isinstance(body, list):
        return [_with_person(value, person) for value in body]
    return body


async def _act(drive: Driver, list_id: int, action: str) -> Any:
    username, method, suffix, template = ACTIONS[action]
    current = await drive.ok(OWNER, "GET", f"/lists/{list_id}")
    person = next(e["candidate_id"] for e in current["entries"])
    body = _with_person(template, person)
    return await drive.call(
        username,
        method,
        f"/lists/{list_id}{suffix}",
        json={**body, "version": current["list"]["version"]},
    )


async def _list_in(drive: Driver, state: str) -> int:
    await drive.candidate("cell_x", "Nguyễn Văn An")
    list_id = (await drive.create(OWNER, "cell_x"))["list"]["id"]
    for action in ROAD[state]:
        response = await _act(drive, list_id, action)
        assert response.status_code == 200, f"{action}: {response.text}"
    return list_id


async def _trail(db: Database, tenant_id: int, list_id: int) -> tuple[list[str], int]:
    """The list's audit actions, and how many state changes its history holds."""
    with db.as_owner(), tenant_context(tenant_id):
        events = await (
            AuditEvent.select(AuditEvent.action)
            .where(
                AuditEvent.tenant_id == tenant_id,
                AuditEvent.entity_type == "candidate_list",
                AuditEvent.entity_id == list_id,
            )
            .order_by(AuditEvent.id)
            .run()
        )
        transitions = await (
            ListTransition.count().where(ListTransition.candidate_list == list_id).run()
        )
    return [e["action"] for e in events], transitions


PAIRS = list(itertools.product(STATES, ACTIONS))


@pytest.mark.parametrize(("state", "action"), PAIRS, ids=[f"{s}-{a}" for s, a in PAIRS])
async def test_each_action_from_each_state(
    db: Database, client: AppClient, state: str, action: str
) -> None:
    world = await build_chain_world(db, f"tr-{state}-{action}")
    drive = Driver(client, world)
    list_id = await _list_in(drive, state)
    before = await drive.ok(OWNER, "GET", f"/lists/{list_id}")
    audit_before, transitions_before = await _trail(db, world.tenant_id, list_id)

    response = await _act(drive, list_id, action)

    after = await drive.ok(OWNER, "GET", f"/lists/{list_id}")
    audit_after, transitions_after = await _trail(db, world.tenant_id, list_id)
    if action in ALLOWED[state]:
        assert response.status_code == 200, response.text
        assert after["list"]["state"] == ALLOWED[state][action]
        assert after["list"]["version"] == before["list"]["version"] + 1
        assert audit_after[len(audit_before) :] == [AUDITED_AS[action]]
        moves = ALLOWED[state][action] != state
        assert transitions_after == transitions_before + int(moves)
    else:
        assert response.status_code == 409, f"{state} → {action}: {response.text}"
        assert after["list"]["state"] == state
        assert after["list"]["version"] == before["list"]["version"]
        assert audit_after == audit_before
        assert transitions_after == transitions_before
