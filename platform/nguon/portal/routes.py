"""Portal pages for committee users (Vietnamese, server-rendered)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from nguon.accounts.permissions import Access
from nguon.api.tenant import tenant_of
from nguon.org.visibility import (
    PEOPLE_HOLDING_KINDS,
    get_visible_unit,
    granted_units,
    visible_units,
)
from nguon.people.service import search_candidates

UNIT_KIND_LABELS = {
    "province_committee": "Tỉnh ủy",
    "organisation_board": "Ban Tổ chức",
    "district_committee": "Huyện ủy, Thị ủy, Thành ủy",
    "police_committee": "Đảng ủy Công an",
    "military_committee": "Đảng ủy Quân sự",
    "bloc_committee": "Đảng ủy Khối",
    "political_training_centre": "Trung tâm chính trị",
    "grassroots_committee": "Đảng ủy cơ sở",
    "grassroots_cell": "Chi bộ cơ sở",
    "subordinate_cell": "Chi bộ trực thuộc",
    "commune_committee": "Đảng ủy xã, phường",
    "party_agencies_committee": "Đảng bộ các cơ quan Đảng",
    "people_committee_party_committee": "Đảng bộ UBND",
}
ROLE_LABELS = {
    "viewer": "Xem",
    "editor": "Cập nhật",
    "approver": "Phê duyệt",
    "unit_admin": "Quản trị đơn vị",
    "tenant_admin": "Quản trị tỉnh",
}
STAGE_LABELS = {
    "surveyed": "Khảo sát",
    "course_nominee": "Dự kiến học lớp nhận thức",
    "certified": "Đã có giấy chứng nhận",
    "admission_source": "Nguồn kết nạp",
    "admission_in_progress": "Đang làm thủ tục kết nạp",
    "admitted": "Đã kết nạp",
    "removed": "Đã đưa ra khỏi danh sách",
}


def _context(
    request: Request[Any, Any, Any], access: NamedDependency[Access], **extra: Any
) -> dict[str, Any]:
    return {
        "tenant": tenant_of(request.scope),
        "user": access,
        "kind_labels": UNIT_KIND_LABELS,
        "role_labels": ROLE_LABELS,
        "stage_labels": STAGE_LABELS,
        **extra,
    }


@get("/", summary="The user's units", include_in_schema=False)
async def home(request: Request[Any, Any, Any], access: NamedDependency[Access]) -> Template:
    units = await granted_units(access)
    return Template(template_name="home.html", context=_context(request, access, units=units))


@get(
    "/units/{unit_id:int}", summary="A unit, its sub-units and candidates", include_in_schema=False
)
async def unit_page(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    unit_id: FromPath[int],
    q: Annotated[str, QueryParameter(max_length=200)] = "",
    page: Annotated[int, QueryParameter(ge=1)] = 1,
) -> Template:
    unit = await get_visible_unit(access, unit_id)
    children = await visible_units(access, parent_id=unit.id)
    candidates = await search_candidates(access, q or None, unit.id, page, 20)
    return Template(
        template_name="unit.html",
        context=_context(
            request,
            access,
            unit=unit,
            children=children,
            candidates=candidates,
            q=q,
            holds_people=unit.kind in PEOPLE_HOLDING_KINDS,
        ),
    )
