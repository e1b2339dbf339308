"""What every portal page's template gets: tenant, user and the Vietnamese labels."""

from __future__ import annotations

from typing import Any

from litestar import Request

from nguon.accounts.permissions import Access
from nguon.api.tenant import tenant_of
from nguon.org.validity import last_day
from nguon.people.labels import STAGE_SHORT_LABELS
from nguon.portal.dates import day_of, when
from nguon.rules.registry import load_package

ROLE_LABELS = {
    "viewer": "Xem",
    "editor": "Cập nhật",
    "approver": "Phê duyệt",
    "unit_admin": "Quản trị đơn vị",
    "tenant_admin": "Quản trị tỉnh",
}

STEP_LABELS = {
    "survey": "Danh sách khảo sát",
    "course_nominees": "Danh sách dự kiến học lớp nhận thức",
    "admission_sources": "Danh sách nguồn kết nạp",
}
PERIOD_KIND_LABELS = {"survey": "Khảo sát hằng năm", "supplement": "Bổ sung hằng quý"}
LIST_STATE_LABELS = {
    "none": "chưa lập",
    "draft": "đang soạn",
    "adopted": "đã thông qua, chưa nộp",
    "submitted": "đã nộp",
    "returned": "bị trả lại",
    "accepted": "đã tiếp nhận",
}
# The badge on a list's own page.
LIST_BADGES = {
    "draft": "Dự thảo",
    "adopted": "Đã thông qua",
    "submitted": "Đã gửi",
    "returned": "Bị trả lại",
    "accepted": "Đã tiếp nhận",
}


def period_label(period: Any) -> str:
    """``2025-annual`` → "khảo sát năm 2025", ``2025-Q2`` → "quý 2/2025" (a period or a code)."""
    year, _, part = str(getattr(period, "code", period)).partition("-")
    if part.startswith("Q"):
        return f"quý {part[1:]}/{year}"
    return f"khảo sát năm {year}"


def page_context(request: Request[Any, Any, Any], access: Access, **extra: Any) -> dict[str, Any]:
    tenant = tenant_of(request.scope)
    return {
        "tenant": tenant,
        "user": access,
        "kind_labels": load_package(tenant.rules_package).short_labels,
        "role_labels": ROLE_LABELS,
        "stage_labels": STAGE_SHORT_LABELS,
        "period_label": period_label,
        "last_day": last_day,
        "step_labels": STEP_LABELS,
        "list_badges": LIST_BADGES,
        "period_kind_labels": PERIOD_KIND_LABELS,
        "when": when,
        "day_of": day_of,
        **extra,
    }
