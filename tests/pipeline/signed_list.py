"""A cell's survey list as a committee signs it: one person added against the rules' first
answer with a justification, one taken off with a reason, adopted by the cell's own user."""

from __future__ import annotations

import msgspec

from tests.pipeline.conftest import RESOLUTION, Driver

ADDED_REASON = "Đã có kết luận tiêu chuẩn chính trị của công an xã"
REMOVED_REASON = "Chuyển đi nơi khác"
ADOPTER = "Đồng chí x_editor"  # the full name build_chain_world gives the cell's editor


class SignedList(msgspec.Struct):
    list_id: int
    included: list[str]
    """Names on the list, as printed (by name)."""
    removed: list[str]


async def signed_list(drive: Driver) -> SignedList:
    await drive.candidate("cell_x", "Nguyễn Văn An", date_of_birth="2000-03-01")
    removed = await drive.candidate("cell_x", "Trần Thị Bình", date_of_birth="1999-11-25")
    unchecked = await drive.candidate(
        "cell_x", "Đỗ Thị Hoa", date_of_birth="2001-02-05", political_standard="unchecked"
    )
    created = await drive.create("x_editor", "cell_x")
    list_id = created["list"]["id"]
    await drive.ok(
        "x_editor",
        "PATCH",
        f"/lists/{list_id}",
        json={
            "version": 1,
            "add": [{"candidate_id": unchecked, "override_justification": ADDED_REASON}],
            "remove": [{"candidate_id": removed, "reason": REMOVED_REASON}],
        },
    )
    await drive.ok(
        "x_editor",
        "POST",
        f"/lists/{list_id}/adopt",
        json={"version": 2, "resolution": RESOLUTION},
    )
    return SignedList(
        list_id=list_id,
        included=["Đỗ Thị Hoa", "Nguyễn Văn An"],
        removed=["Trần Thị Bình"],
    )
