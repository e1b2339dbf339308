"""Portal pages for committee users (Vietnamese, server-rendered)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK

from nguon.accounts.permissions import WRITE, Access
from nguon.api.tenant import tenant_of
from nguon.clock import today_in_vietnam
from nguon.errors import Forbidden, NotFound
from nguon.jobs.liveness import NO_WORKER_HINT_SECONDS, live_workers, waited_seconds
from nguon.org.lineage import lineage_of
from nguon.org.tables import OrgUnit
from nguon.org.validity import closed_by, last_day
from nguon.org.visibility import (
    get_visible_unit,
    granted_units,
    visible_unit_in,
    visible_units,
)
from nguon.people.service import search_candidates
from nguon.pipeline.lists import inbox
from nguon.plugin_admin.notices import home_notices
from nguon.portal import dashboard_body, rendered
from nguon.portal.context import (
    LIST_STATE_LABELS,
    PERIOD_KIND_LABELS,
    STEP_LABELS,
    page_context,
)
from nguon.portal.jobs import JOBS_STORE, Job, get_job, request_reevaluation
from nguon.portal.next_steps import next_steps
from nguon.portal.progress import (
    current_and_previous,
    period_status,
)
from nguon.reports.dashboard import dashboard as build_dashboard
from nguon.reports.definitions import DEFINITIONS, FLOWS, PIPELINE_STAGES, STEPS, legend
from nguon.reports.figures import as_of_day
from nguon.reports.structure import Tree, tree_of
from nguon.rules.registry import load_package
from nguon.tenancy.package import package_id_for, tenant_package
from nguon.tenancy.scoped import in_tenant

PAGE_SIZE = 20


@get("/", summary="The user's units, the period's deadline, lists waiting", include_in_schema=False)
async def home(request: Request[Any, Any, Any], access: NamedDependency[Access]) -> Template:
    today = today_in_vietnam()
    granted = await granted_units(access)
    # Units closed by a restructuring stay reachable for their history, listed apart.
    units = [u for u in granted if not closed_by(u, today)]
    closed = [u for u in granted if closed_by(u, today)]
    package_id = await package_id_for(access)
    current, previous = current_and_previous(package_id, today)
    statuses = []
    for unit in units:
        if not access.can(unit.path, WRITE):
            continue
        for period in (current, previous):
            if period is not None:
                statuses.append((unit, await period_status(unit.path, period, today)))
    waiting = (await inbox(access)).items
    notices = await home_notices(access.tenant_id, [unit.id for unit in units], today)
    holding = (await tenant_package()).people_holding_kinds
    slug = tenant_of(request.scope).slug
    todo = await next_steps(access, holding, current, waiting, slug, today)
    return Template(
        template_name="home.html",
        context=page_context(
            request,
            access,
            units=units,
            closed_units=closed,
            today=today,
            current=current,
            statuses=statuses,
            waiting=waiting,
            next_steps=todo,
            notices=notices,
            status_legend=legend("expected_lists", "submitted_lists", "late_lists", people=False),
            step_labels=STEP_LABELS,
            period_kind_labels=PERIOD_KIND_LABELS,
            state_labels=LIST_STATE_LABELS,
        ),
    )


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
    candidates = await search_candidates(access, q or None, unit.id, page, PAGE_SIZE)
    pages = max(1, -(-candidates.total // PAGE_SIZE))
    context = page_context(
        request, access, unit=unit, candidates=candidates, q=q, page=page, pages=pages
    )
    if request.headers.get("hx-request") == "true":
        return Template(template_name="unit_candidates.html", context=context)
    children = await visible_units(access, parent_id=unit.id)
    package = await tenant_package()
    today = today_in_vietnam()
    closed = closed_by(unit, today)
    return Template(
        template_name="unit.html",
        context={
            **context,
            "holds_people": unit.kind in package.people_holding_kinds,
            "can_write": access.can(unit.path, WRITE),
            "organises_courses": package.course_organiser_on(unit.kind, today) is not None,
            "closed": closed,
            "lineage": await lineage_of(unit.id),
            # A unit in force lists its closed sub-units apart; a closed one shows them all.
            "children": [c for c in children if closed or not closed_by(c, today)],
            "closed_children": [c for c in children if not closed and closed_by(c, today)],
        },
    )


@get("/units/{unit_id:int}/dashboard", summary="A subtree's progress", include_in_schema=False)
async def dashboard(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    unit_id: FromPath[int],
    year: Annotated[int | None, QueryParameter(ge=2000, le=2100)] = None,
) -> Response[Any]:
    tree = await tree_of(access)
    unit = await visible_unit_in(tree, access, unit_id)
    today = today_in_vietnam()
    if year is None:
        # A unit closed by a restructuring shows its last year by default.
        year = min(today, last_day(unit) or today).year

    async def page() -> str:
        context = await _dashboard_context(request, access, unit, year, today, tree)
        return rendered.render_marked(request, "dashboard.html", context)

    if rendered.keeping(request):
        reader = rendered.reader_key(access)
        key = ("dashboard.html", tenant_of(request.scope), reader, unit.id, year, today)
        return await rendered.kept_until_written(request, key, page)
    context = await _dashboard_context(request, access, unit, year, today, tree)
    return Template(template_name="dashboard.html", context=context)


async def _dashboard_context(
    request: Request[Any, Any, Any],
    access: Access,
    unit: Any,
    year: int,
    today: dt.date,
    tree: Tree,
) -> dict[str, Any]:
    package_id = await package_id_for(access)
    package = load_package(package_id)
    # The figures as of today, or the end of a past year, or a closed unit's last day: the
    # periods shown are that day's and the one before.
    as_of = as_of_day(year, today, unit)
    current, previous = current_and_previous(package_id, as_of)
    periods = [p for p in (current, previous) if p is not None]
    view = await build_dashboard(
        unit.id, unit.path, year, today, periods, package.blocs, package, tree
    )
    context = page_context(
        request,
        access,
        unit=unit,
        year=year,
        view=view,
        total=view.total,
        pipeline_stages=PIPELINE_STAGES,
        flows=FLOWS,
        steps=STEPS,
        figure_labels={key: d.label for key, d in DEFINITIONS.items()},
        legend=legend(
            *PIPELINE_STAGES,
            "in_source",
            "with_helper",
            "in_course",
            *FLOWS,
            "target",
            "on_list",
            "expected_lists",
            "submitted_lists",
            "late_lists",
            "road_late",
            "road_due_soon",
        ),
        statuses=view.figures.statuses,
        period_kind_labels=PERIOD_KIND_LABELS,
        step_labels=STEP_LABELS,
        state_labels=LIST_STATE_LABELS,
        today=view.figures.as_of,
    )
    context["body"] = dashboard_body.body(request, context, package_id)
    return context


@post(
    "/units/{unit_id:int}/reevaluate",
    summary="Re-evaluate a whole subtree in the background",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def reevaluate(
    request: Request[Any, Any, Any], access: NamedDependency[Access], unit_id: FromPath[int]
) -> Redirect:
    unit = await get_visible_unit(access, unit_id)
    if not access.can(unit.path, WRITE):
        raise Forbidden("Bạn không có quyền đánh giá lại đơn vị này.")
    job = await request_reevaluation(
        request.app.stores.get(JOBS_STORE), access, unit.path, unit.id, unit.name
    )
    return Redirect(path=f"/t/{tenant_of(request.scope).slug}/jobs/{job.id}", status_code=303)


@get("/jobs/{job_id:str}", summary="A background job's progress", include_in_schema=False)
async def job_page(
    request: Request[Any, Any, Any], access: NamedDependency[Access], job_id: FromPath[str]
) -> Template:
    job = await get_job(request.app.stores.get(JOBS_STORE), job_id)
    if job is None:
        raise NotFound("job")
    unit = (
        await OrgUnit.select(OrgUnit.path)
        .where(in_tenant(OrgUnit), OrgUnit.id == job.unit_id)
        .first()
    )
    if unit is None or not access.can_see(unit["path"]):
        raise NotFound("job")
    fragment = request.headers.get("hx-request") == "true"
    return Template(
        template_name="job_progress.html" if fragment else "job.html",
        context=page_context(request, access, job=job, no_worker_for=await _no_worker_for(job)),
    )


async def _no_worker_for(job: Job) -> int | None:
    """How long an unfinished job has waited with no worker alive to run it (Postgres)."""
    if job.state not in ("queued", "running"):
        return None
    waited = waited_seconds(job.started_at)
    if waited < NO_WORKER_HINT_SECONDS or await live_workers() != 0:
        return None
    return waited
