"""A role covers what it names and everything below it, never what is above: an editor may
edit but not approve, an approver may edit, on the unit's subtree only."""

from __future__ import annotations

import itertools

from nguon.accounts.permissions import RANK, ROLES, Access, Grant

CELL = "1.2.3."


def test_each_role_can_do_what_it_names_and_less_on_its_subtree_only() -> None:
    for held, wanted in itertools.product(ROLES[:-1], ROLES):
        access = Access(
            user_id=1,
            tenant_id=1,
            username="u",
            full_name="U",
            grants=(Grant(unit_id=3, path=CELL, role=held),),
        )
        allowed = RANK[held] >= RANK[wanted]
        assert access.can(CELL, wanted) is allowed, (held, wanted)
        assert access.can(f"{CELL}4.", wanted) is allowed, (held, wanted)
        assert access.can("1.2.", wanted) is False and access.can("1.2.33.", wanted) is False
