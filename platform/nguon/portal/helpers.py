"""On a candidate's page: assigning a Party member to help them (by resolution) and
proposing them for admission with their introducers."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK

from nguon.accounts.permissions import Access
from nguon.api.errors import status_of
from nguon.api.tenant import tenant_of
from nguon.errors import Conflict, InvalidInput
from nguon.people.service import get_candidate
from nguon.pipeline.admission import propose_admission
from nguon.pipeline.events import pipeline_transaction
from nguon.pipeline.helper_schemas import HelperAssign, ProposeAdmission
from nguon.pipeline.helpers import assign_helper
from nguon.pipeline.stage_machine import StageRefused
from nguon.portal.candidates import render_candidate
from nguon.portal.forms import form_data, form_list, message_of, parse_resolution, version_of


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
    if not member.isdigit():
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
    introducers = [int(v) for v in await form_list(request, "introducer_id") if v.isdigit()]
    errors: dict[str, str] = {}
    status = 400
    version = version_of(raw)
    if not introducers:
        errors["introducer_id"] = "Hãy chọn đảng viên chính thức giới thiệu."
    if not errors and version is not None:
        data = ProposeAdmission(
            version=version,
            introducer_member_ids=introducers[:10],
            note=raw.get("note", "").strip()[:4000],
        )
        try:
            async with pipeline_transaction():
                await propose_admission(access, candidate_id, data)
        except StageRefused as error:
            errors["stage"] = message_of(error)
            status = status_of(error)
        except (InvalidInput, Conflict) as error:
            errors["introducer_id"] = message_of(error)
            status = status_of(error)
        else:
            return _done(request, candidate_id, "proposed")
    return await render_candidate(
        request, access, candidate_id, errors=errors, form=raw, status=status
    )


ROUTES = [assign, propose]
