"""Who acts on a list: the users of the unit that owns it, and of the unit it was sent to.

A role on a unit covers its subtree for reading, but a list is made, changed, adopted and
sent only by the users of its own unit, and returned or accepted only by those of the
unit it is addressed to: a commune committee reads its cells' lists, it does not write
them. The tenant administrator (whole-tenant grant) may act everywhere, for repairs.
"""

from __future__ import annotations

from nguon.accounts.permissions import RANK, WHOLE_TENANT, Access, Role

APPROVE: Role = "approver"

NOT_OWNER = (
    "Chỉ cán bộ của đơn vị lập danh sách mới được sửa, thông qua và gửi danh sách này; "
    "cấp trên chỉ xem, tiếp nhận hoặc trả lại."
)
NOT_OWN_UNIT = (
    "Chỉ cán bộ của đơn vị mới được lập danh sách của đơn vị mình; "
    "cấp trên chỉ xem, tiếp nhận hoặc trả lại."
)
NOT_RECEIVER = (
    "Chỉ người phê duyệt của đơn vị nhận danh sách mới được tiếp nhận hoặc trả lại danh sách này."
)


def acts_for(access: Access, unit_path: str | None, role: Role) -> bool:
    """Whether the caller holds ``role`` (or stronger) on the unit ``unit_path`` itself,
    not through an ancestor; the tenant administrator acts for every unit."""
    if not unit_path:
        return False
    return any(
        RANK[g.role] >= RANK[role] and (g.path == unit_path or g.path == WHOLE_TENANT)
        for g in access.grants
    )


def addressed_to(access: Access, receiver_path: str | None) -> bool:
    """Whether a list sent to ``receiver_path`` is addressed to the caller: one of the units
    they approve for directly (the tenant administrator: every unit)."""
    return acts_for(access, receiver_path, APPROVE)
