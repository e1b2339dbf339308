"""What the reader must do next, said on their home page: lists returned to their units,
lists due soon or late, and lists addressed to them waiting for a decision.

"Late" is one definition for every page: a list not yet sent when its period's deadline
has passed, or a list sent after that deadline.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import msgspec

from nguon.accounts.permissions import RANK, WHOLE_TENANT, WRITE, Access
from nguon.org.tables import OrgUnit
from nguon.org.validity import closed_by
from nguon.pipeline import lists
from nguon.pipeline.road_watch import OpenDeadline, open_deadlines
from nguon.pipeline.schemas import ListOut
from nguon.portal.context import STEP_LABELS, period_label
from nguon.portal.dates import day_of
from nguon.rules.review_calendar import Period
from nguon.tenancy.package import tenant_package
from nguon.tenancy.scoped import in_tenant

DUE_SOON_DAYS = 14
"""A list still to be sent this many days or fewer before its deadline is "due soon"."""
UNSENT = frozenset({"draft", "returned", "adopted"})

Lateness = Literal["", "late", "sent_late"]
Level = Literal["returned", "late", "due", "waiting", "next"]


def lateness(item: ListOut, today: dt.date) -> Lateness:
    """``late``: not sent and the deadline has passed; ``sent_late``: sent after it."""
    if item.state in UNSENT:
        return "late" if today > item.period_deadline else ""
    if item.submitted_at is not None and day_of(item.submitted_at) > item.period_deadline:
        return "sent_late"
    return ""


def late_text(item: ListOut, today: dt.date) -> str:
    """The words of the "late" mark on a list, or ""."""
    match lateness(item, today):
        case "late":
            return f"Quá hạn {(today - item.period_deadline).days} ngày"
        case "sent_late":
            assert item.submitted_at is not None
            return f"Nộp muộn {(day_of(item.submitted_at) - item.period_deadline).days} ngày"
    return ""


class NextStep(msgspec.Struct, frozen=True):
    level: Level
    title: str
    detail: str
    link: str
    action: str
    """The words of the link: what to do."""


def _title(item: ListOut) -> str:
    return (
        f"{STEP_LABELS.get(item.step, item.step)} kỳ {period_label(item.period)} — {item.unit_name}"
    )


def _deadline(deadline: dt.date, today: dt.date) -> str:
    days = (deadline - today).days
    if days < 0:
        return f"hạn nộp {deadline:%d/%m/%Y}, đã quá {-days} ngày"
    if days == 0:
        return f"hạn nộp hôm nay, {deadline:%d/%m/%Y}"
    return f"hạn nộp {deadline:%d/%m/%Y}, còn {days} ngày"


def _own_list_step(item: ListOut, slug: str, today: dt.date) -> NextStep | None:
    link = f"/t/{slug}/lists/{item.id}"
    deadline = _deadline(item.period_deadline, today)
    if item.state == "returned":
        by = item.receiver_unit_name or "Cấp trên"
        return NextStep(
            level="returned",
            title=_title(item),
            detail=f"{by} đã trả lại danh sách: «{item.return_comment}» ({deadline}).",
            link=link,
            action="Sửa và gửi lại",
        )
    if item.state not in UNSENT:
        return None
    action = "Gửi lên cấp trên" if item.state == "adopted" else "Hoàn thành và thông qua"
    what = "Đã thông qua, chưa gửi" if item.state == "adopted" else "Đang soạn, chưa thông qua"
    if today > item.period_deadline:
        return NextStep("late", _title(item), f"{what}; {deadline}.", link, action)
    level: Level = "due" if (item.period_deadline - today).days <= DUE_SOON_DAYS else "next"
    return NextStep(level, _title(item), f"{what}; {deadline}.", link, action)


def _not_made_step(unit: dict[str, Any], period: Period, slug: str, today: dt.date) -> NextStep:
    days = (period.deadline - today).days
    return NextStep(
        level="late" if days < 0 else "due" if days <= DUE_SOON_DAYS else "next",
        title=f"{STEP_LABELS['survey']} kỳ {period_label(period)} — {unit['name']}",
        detail=f"Chưa lập danh sách; {_deadline(period.deadline, today)}.",
        link=f"/t/{slug}/units/{unit['id']}/lists",
        action="Lập danh sách",
    )


def _waiting_step(item: ListOut, slug: str, today: dt.date) -> NextStep:
    sent = f"gửi ngày {day_of(item.submitted_at):%d/%m/%Y}" if item.submitted_at else "đã gửi"
    late = late_text(item, today)
    detail = f"{item.included_count} người, {sent}{f' ({late.lower()})' if late else ''}."
    return NextStep("waiting", _title(item), detail, f"/t/{slug}/lists/{item.id}", "Xem và xử lý")


ROAD_LEVELS: dict[str, Level] = {"late": "late", "due_soon": "due"}
ROAD_ACTIONS = {
    "admission_decision": "Ghi quyết định kết nạp",
    "recognition": "Ghi quyết định công nhận chính thức",
}


def _acts_on(access: Access, deadline: OpenDeadline) -> bool:
    """Whether the reader is among those who must act: an approver above the cell (the
    competent committee) for both steps, the cell itself for the recognition."""
    for grant in access.grants:
        if not deadline.unit_path.startswith(grant.path):
            continue
        above = len(grant.path) < len(deadline.unit_path)
        if above and RANK[grant.role] >= RANK["approver"]:
            return True
        if (
            deadline.step == "recognition"
            and grant.path == deadline.unit_path
            and RANK[grant.role] >= RANK[WRITE]
        ):
            return True
    return False


async def road_steps(access: Access, slug: str, today: dt.date) -> list[NextStep]:
    """The admission decisions and recognitions the reader must make, with their
    working-day deadlines and clauses."""
    prefixes = [g.path for g in access.grants if RANK[g.role] >= RANK[WRITE]]
    deadlines = await open_deadlines(await tenant_package(), prefixes, today)
    return [
        NextStep(
            ROAD_LEVELS.get(d.status, "next"),
            f"{d.label} — {d.full_name}",
            f"{d.text}.",
            f"/t/{slug}/candidates/{d.candidate_id}",
            ROAD_ACTIONS[d.step],
        )
        for d in deadlines
        if _acts_on(access, d)
    ]


ORDER: dict[Level, int] = {"returned": 0, "late": 1, "due": 2, "waiting": 3, "next": 4}


async def own_units(access: Access, today: dt.date) -> list[dict[str, Any]]:
    """The units in force the caller makes lists for: those they hold an editing role on
    directly (a role on a parent reads the units below, it does not act for them)."""
    ids = {
        g.unit_id
        for g in access.grants
        if g.unit_id is not None and g.path != WHOLE_TENANT and RANK[g.role] >= RANK[WRITE]
    }
    if not ids:
        return []
    rows = await (
        OrgUnit.select()
        .where(in_tenant(OrgUnit), OrgUnit.id.is_in(list(ids)))
        .order_by(OrgUnit.path)
        .run()
    )
    return [row for row in rows if not closed_by(row, today)]


async def next_steps(
    access: Access,
    holding_kinds: frozenset[str],
    current: Period | None,
    waiting: list[ListOut],
    slug: str,
    today: dt.date,
) -> list[NextStep]:
    """The reader's next steps, the most pressing first: lists returned to their own units,
    late, due soon (made or not yet made), lists waiting for their decision, then the own
    lists still to make or send whose deadline is further off."""
    steps: list[NextStep] = []
    for unit in await own_units(access, today):
        own = (await lists.search_lists(access, unit["id"])).items
        for item in own:
            step = _own_list_step(item, slug, today)
            if step is not None:
                steps.append(step)
        made = {item.period for item in own}
        if current is not None and unit["kind"] in holding_kinds and current.code not in made:
            steps.append(_not_made_step(unit, current, slug, today))
    steps += [_waiting_step(item, slug, today) for item in waiting]
    steps += await road_steps(access, slug, today)
    return sorted(steps, key=lambda s: ORDER[s.level])
