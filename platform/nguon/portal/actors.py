"""Who did something, as a page names them: the person's full name, never a username."""

from __future__ import annotations

from nguon.accounts.tables import User
from nguon.tenancy.scoped import in_tenant

SYSTEM = "Hệ thống"
"""An action taken by no signed-in person (a command, an import, a scheduled job)."""


async def full_names(user_ids: set[int | None]) -> dict[int, str]:
    """The full names of the tenant's users ``user_ids`` (None and unknown ids left out)."""
    ids = [i for i in user_ids if i is not None]
    if not ids:
        return {}
    rows = await (
        User.select(User.id, User.full_name).where(in_tenant(User), User.id.is_in(ids)).run()
    )
    return {row["id"]: row["full_name"] for row in rows}
