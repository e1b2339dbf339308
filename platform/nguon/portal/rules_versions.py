""" "Phiên bản quy định": the versions of the tenant's rules package, for the provincial
organisation board: run a what-if of a draft version on the tenant's people (a job),
read its result per unit and step, and publish the draft with an effective date."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK

from nguon.accounts.permissions import RANK, Access
from nguon.api.tenant import tenant_of
from nguon.clock import today_in_vietnam
from nguon.errors import Conflict, Forbidden, InvalidInput, NotFound
from nguon.jobs.progress import get_job
from nguon.pipeline.publication import publications, publish_version, published_versions
from nguon.pipeline.stages import actor_of
from nguon.pipeline.whatif_job import recent_runs, start_whatif, whatif_run
from nguon.portal.context import page_context
from nguon.portal.dates import INPUT_ATTRIBUTES, parse_date
from nguon.portal.forms import form_data
from nguon.portal.jobs import JOBS_STORE
from nguon.tenancy.package import tenant_package

RUN_STATES = {"queued": "đang chờ", "running": "đang chạy", "failed": "bị lỗi"}
OUTCOME_LABELS = {
    "eligible": "Đủ điều kiện",
    "not_eligible": "Không đủ điều kiện",
    "needs_review": "Cần xem xét",
}


def board_member(access: Access) -> bool:
    """The provincial organisation board: a tenant administrator, or an administrator of
    the province's own unit (a root unit, whose path is one id)."""
    return any(
        grant.role == "tenant_admin"
        or (RANK[grant.role] >= RANK["unit_admin"] and grant.path.count(".") <= 1)
        for grant in access.grants
    )


def _require_board(access: Access) -> None:
    if not board_member(access):
        raise Forbidden("Chỉ Ban Tổ chức cấp tỉnh (quản trị cấp tỉnh) được xem phiên bản quy định.")


def _slug(request: Request[Any, Any, Any]) -> str:
    return tenant_of(request.scope).slug


def _day(raw: dict[str, str], name: str) -> dt.date | None:
    try:
        return parse_date(raw.get(name, ""))  # ISO (a date input) or dd/mm/yyyy
    except ValueError:
        return None


async def _form_version(raw: dict[str, str]) -> str:
    """The draft a form names (a hidden field, not the path: a POST's target is the page).
    An unknown version, or another package's, is a 404 as an unknown path would be."""
    version = raw.get("version", "").strip()
    package = await tenant_package()
    if not any(spec.id == version for spec in package.versions):
        raise NotFound(f"No rules version {version!r} in this tenant's package.")
    return version


async def _versions_page(
    request: Request[Any, Any, Any],
    access: Access,
    error: str = "",
    error_version: str = "",
    status_code: int = HTTP_200_OK,
) -> Template:
    package = await tenant_package()
    today = today_in_vietnam()
    published = await published_versions(package.id)
    rows = {row["version"]: row for row in await publications() if row["package"] == package.id}
    in_force, _ = package.in_force_for(today, published)
    versions = []
    for version in package.versions:
        runs = await recent_runs(version.id) if version.draft else []
        versions.append(
            {
                "spec": version,
                "last_day": version.valid_to - dt.timedelta(days=1) if version.valid_to else None,
                "in_force": version.id == in_force.id,
                "publication": rows.get(version.id),
                "runs": runs,
            }
        )
    return Template(
        template_name="rules_versions.html",
        context=page_context(
            request,
            access,
            package=package,
            versions=versions,
            today=today,
            error=error,
            error_version=error_version,
            published=request.query_params.get("published", ""),
            date_attributes=INPUT_ATTRIBUTES,
            run_states=RUN_STATES,
        ),
        status_code=status_code,
    )


@get("/admin/rules", summary="The rules package's versions", include_in_schema=False)
async def rules_versions_page(
    request: Request[Any, Any, Any], access: NamedDependency[Access]
) -> Template:
    _require_board(access)
    return await _versions_page(request, access)


@post(
    "/admin/rules/whatif",
    summary="Run a what-if of a draft version",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def whatif_submit(
    request: Request[Any, Any, Any], access: NamedDependency[Access]
) -> Template | Redirect:
    _require_board(access)
    raw = await form_data(request)
    version = await _form_version(raw)
    on = _day(raw, "on")
    if on is None:
        return await _versions_page(
            request, access, "Hãy nhập ngày đánh giá (ngày/tháng/năm).", version, 400
        )
    try:
        job = await start_whatif(request.app.stores.get(JOBS_STORE), version, on, access.username)
    except Conflict as error:
        return await _versions_page(request, access, error.message, version, 409)
    return Redirect(path=f"/t/{_slug(request)}/admin/rules/whatif/{job.id}", status_code=303)


@get(
    "/admin/rules/whatif/{job_id:str}",
    summary="A what-if's progress and result",
    include_in_schema=False,
)
async def whatif_page(
    request: Request[Any, Any, Any], access: NamedDependency[Access], job_id: FromPath[str]
) -> Template:
    _require_board(access)
    run = await whatif_run(job_id)  # NotFound: another tenant's, or none
    job = await get_job(request.app.stores.get(JOBS_STORE), job_id)
    fragment = request.headers.get("hx-request") == "true"
    return Template(
        template_name="rules_whatif_result.html" if fragment else "rules_whatif.html",
        context=page_context(
            request,
            access,
            run=run,
            job=job,
            outcome_labels=OUTCOME_LABELS,
            changed=len(run.report.changed_people) if run.report else 0,
        ),
    )


@post(
    "/admin/rules/publish",
    summary="Publish a draft version from an effective date",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def publish_submit(
    request: Request[Any, Any, Any], access: NamedDependency[Access]
) -> Template | Redirect:
    _require_board(access)
    raw = await form_data(request)
    version = await _form_version(raw)
    effective = _day(raw, "effective_from")
    if effective is None:
        return await _versions_page(request, access, "Hãy nhập ngày có hiệu lực.", version, 400)
    if raw.get("confirm") != "yes":
        return await _versions_page(
            request, access, "Hãy đánh dấu ô xác nhận trước khi công bố.", version, 400
        )
    try:
        await publish_version(actor_of(access), version, effective)
    except Conflict as error:
        return await _versions_page(request, access, _vi_conflict(error, effective), version, 409)
    except (NotFound, InvalidInput) as error:
        raise NotFound(error.message) from error
    return Redirect(path=f"/t/{_slug(request)}/admin/rules?published={version}", status_code=303)


def _vi_conflict(error: Conflict, effective: dt.date) -> str:
    if "before today" in error.message:
        return f"Ngày có hiệu lực {effective:%d/%m/%Y} đã qua: hãy chọn từ hôm nay trở đi."
    if "not a draft" in error.message:
        return "Phiên bản này không phải dự thảo: không cần công bố."
    return "Phiên bản này đã được công bố."


RULES_VERSION_PAGES = [rules_versions_page, whatif_submit, whatif_page, publish_submit]
