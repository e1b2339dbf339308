"""On a candidate's page: assigning a Party member to help them (by resolution) and
proposing them for admission with their introducers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK

from nguon.accounts.permissions import Access
from nguon.api.errors import status_of
from nguon.api.tenant import tenant_of
from nguon.errors import Conflict, Forbidden, InvalidInput
from nguon.people.service import get_candidate
from nguon.pipeline.admission import decide_stage, propose_admission
from nguon.pipeline.events import pipeline_transaction
from nguon.pipeline.helper_schemas import HelperAssign, ProposeAdmission, StageDecision
from nguon.pipeline.helpers import assign_helper
from nguon.pipeline.road import record_step
from nguon.pipeline.road_schemas import IntroducerIn, RoadStepIn
from nguon.pipeline.stage_machine import StageRefused
from nguon.portal.candidates import render_candidate
from nguon.portal.dates import invalid_message, parse_date
from nguon.portal.forms import form_data, form_list, message_of, parse_resolution, version_of
from nguon.portal.road_views import ORGANISATION_CHOICES, STEP_CHOICES
from nguon.text import ascii_digits


def _done(request: Request[Any, Any, Any], candidate_id: int, done: str) -> Redirect:
    slug = tenant_of(request.scope).slug
    return Redirect(path=f"/t/{slug}/candidates/{candidate_id}?done={done}", status_code=303)


@post(
    "/candidates/{candidate_id:int}/helpers",
    summary="Assign a Party member to help a candidate",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def assign(
    request: Request[Any, Any, Any], access: NamedDependency[Access], candidate_id: FromPath[int]
) -> Template | Redirect:
    await get_candidate(access, candidate_id)
    raw = await form_data(request)
    errors: dict[str, str] = {}
    status = 400
    member = raw.get("member_id", "")
    if not ascii_digits(member):
        errors["member_id"] = "Hãy chọn đảng viên giúp đỡ."
    resolution = parse_resolution(raw, errors)
    version = version_of(raw)
    if not errors and resolution is not None and version is not None:
        data = HelperAssign(
            candidate_id=candidate_id,
            member_id=int(member),
            candidate_version=version,
            resolution=resolution,
        )
        try:
            async with pipeline_transaction():
                await assign_helper(access, data)
        except StageRefused as error:
            errors["stage"] = message_of(error)
            status = status_of(error)
        except (InvalidInput, Conflict) as error:
            field = error.field or "member_id"
            errors[field if field.startswith("resolution.") else "member_id"] = message_of(error)
            status = status_of(error)
        else:
            return _done(request, candidate_id, "helper")
    return await render_candidate(
        request, access, candidate_id, errors=errors, form=raw, status=status
    )


@post(
    "/candidates/{candidate_id:int}/propose",
    summary="Propose a candidate for admission",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def propose(
    request: Request[Any, Any, Any], access: NamedDependency[Access], candidate_id: FromPath[int]
) -> Template | Redirect:
    await get_candidate(access, candidate_id)
    raw = await form_data(request)
    introducers = [int(v) for v in await form_list(request, "introducer_id") if ascii_digits(v)]
    errors: dict[str, str] = {}
    status = 400
    version = version_of(raw)
    organisation = raw.get("organisation_introduction", "none")
    if organisation not in ORGANISATION_CHOICES:
        errors["organisation_introduction"] = "Hãy chọn một phương án trong danh sách."
    if not introducers:
        errors["introducer_id"] = "Hãy chọn đảng viên chính thức giới thiệu."
    details: list[IntroducerIn] = []
    for member_id in introducers[:10]:
        text = raw.get(f"months-{member_id}", "").strip()
        if not text:
            continue
        if not ascii_digits(text) or int(text) > 1200:
            errors["introducer_id"] = "Số tháng cùng công tác phải là số nguyên từ 0 đến 1200."
            break
        details.append(IntroducerIn(member_id=member_id, months_together=int(text)))
    if details and len(details) != len(introducers[:10]):
        errors["introducer_id"] = (
            "Hãy ghi số tháng cùng công tác, học tập hoặc cư trú cho mọi người giới thiệu."
        )
    if not errors and version is not None:
        data = ProposeAdmission(
            version=version,
            introducer_member_ids=[] if details else introducers[:10],
            introducers=details,
            organisation_introduction=organisation,  # type: ignore[arg-type]
            organisation_resolution_number=raw.get("organisation_resolution_number", "")[:64],
            workplace_has_youth_union=not raw.get("no_youth_union"),
            resolution_number=raw.get("resolution_number", "").strip()[:64],
            note=raw.get("note", "").strip()[:4000],
        )
        try:
            async with pipeline_transaction():
                await propose_admission(access, candidate_id, data)
        except StageRefused as error:
            errors["stage"] = message_of(error)
            status = status_of(error)
        except (InvalidInput, Conflict) as error:
            field = error.field if error.field == "organisation_resolution_number" else None
            errors[field or "introducer_id"] = message_of(error)
            status = status_of(error)
        else:
            return _done(request, candidate_id, "proposed")
    return await render_candidate(
        request, access, candidate_id, errors=errors, form=raw, status=status
    )


@post(
    "/candidates/{candidate_id:int}/road",
    summary="Record a step of the admission road",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def road_step(
    request: Request[Any, Any, Any], access: NamedDependency[Access], candidate_id: FromPath[int]
) -> Template | Redirect:
    await get_candidate(access, candidate_id)
    raw = await form_data(request)
    errors: dict[str, str] = {}
    status = 400
    version = version_of(raw)
    step = raw.get("road_step", "")
    if step not in STEP_CHOICES:
        errors["road_step"] = "Hãy chọn bước cần ghi."
    taken_on: dt.date | None = None
    try:
        taken_on = parse_date(raw.get("taken_on", ""))
    except ValueError:
        errors["taken_on"] = invalid_message("ngày của văn bản")
    number = raw.get("document_number", "").strip()
    if not number:
        errors["document_number"] = "Hãy nhập số văn bản."
    days_text = raw.get("working_days", "").strip()
    days: int | None = None
    if step == "extension":
        if not ascii_digits(days_text) or not 1 <= int(days_text) <= 365:
            errors["working_days"] = "Số ngày làm việc gia hạn là số nguyên dương."
        else:
            days = int(days_text)
    note = raw.get("road_note", "").strip()[:4000]
    if not errors and version is not None and taken_on is not None:
        try:
            async with pipeline_transaction():
                if step == "admission_decision":
                    await decide_stage(
                        access,
                        candidate_id,
                        StageDecision(
                            version=version,
                            to_stage="admitted",
                            reason=note or f"Quyết định kết nạp số {number}",
                            on=taken_on,
                            document_number=number[:64],
                        ),
                    )
                else:
                    await record_step(
                        access,
                        candidate_id,
                        RoadStepIn(
                            version=version,
                            step=step,  # type: ignore[arg-type]
                            taken_on=taken_on,
                            document_number=number[:64],
                            working_days=days,
                            note=note,
                        ),
                    )
        except StageRefused as error:
            errors["stage"] = message_of(error)
            status = status_of(error)
        except (InvalidInput, Conflict, Forbidden) as error:
            field = error.field if error.field in ("taken_on", "working_days") else "road_step"
            if isinstance(error, Forbidden):
                field = "road_step"
            errors[field] = message_of(error)
            status = status_of(error)
        else:
            return _done(request, candidate_id, "road")
    return await render_candidate(
        request, access, candidate_id, errors=errors, form=raw, status=status
    )


ROUTES = [assign, propose, road_step]
