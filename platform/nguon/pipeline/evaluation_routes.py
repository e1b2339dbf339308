"""A person's evaluation, re-evaluating a person or a unit, and the jobs doing it."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.status_codes import HTTP_202_ACCEPTED

from nguon.accounts.permissions import WRITE, Access
from nguon.errors import Forbidden, NotFound
from nguon.org.tables import OrgUnit
from nguon.org.visibility import get_visible_unit
from nguon.pipeline.evaluation_schemas import EvaluationOut, JobOut
from nguon.pipeline.evaluation_view import candidate_evaluation
from nguon.pipeline.stages import visible_candidate
from nguon.portal.jobs import JOBS_STORE, Job, get_job, request_reevaluation
from nguon.tenancy.scoped import in_tenant

NOT_EDITOR = "Bạn không có quyền đánh giá lại ở đơn vị này / Your role cannot re-evaluate here"


def api_url(request: Request[Any, Any, Any], tail: str) -> str:
    """``tail``'s address in the tenant and API version the caller used."""
    prefix = request.url.path.split("/api/", 1)[0]
    version = request.url.path.split("/api/", 1)[1].split("/", 1)[0]
    return f"{prefix}/api/{version}/{tail}"


def _job_url(request: Request[Any, Any, Any], job_id: str) -> str:
    return api_url(request, f"jobs/{job_id}")


def job_out(request: Request[Any, Any, Any], job: Job) -> JobOut:
    file_url = None
    if job.kind == "list_export" and job.state == "done":
        file_url = api_url(request, f"exports/{job.export_id}")
    return JobOut(
        id=job.id,
        kind=job.kind,
        file_url=file_url,
        state=job.state,
        unit_id=job.unit_id,
        unit_name=job.unit_name,
        candidate_id=job.candidate_id,
        total=job.total,
        done=job.done,
        percent=job.percent,
        started_by=job.started_by,
        started_at=job.started_at,
        finished_at=job.finished_at,
        url=_job_url(request, job.id),
        filename=job.filename,
        created=job.created,
        problems=list(job.problems),
        note=job.note,
    )


def accepted(request: Request[Any, Any, Any], job: Job) -> Response[JobOut]:
    body = job_out(request, job)
    return Response(body, status_code=HTTP_202_ACCEPTED, headers={"Location": body.url})


@get(
    "/candidates/{candidate_id:int}/evaluation",
    summary="The rules' current decision on a person for each step, with reasons and clauses",
    tags=["evaluations"],
)
async def get_evaluation(
    access: NamedDependency[Access], candidate_id: FromPath[int]
) -> EvaluationOut:
    return await candidate_evaluation(access, candidate_id)


@post(
    "/candidates/{candidate_id:int}/reevaluate",
    summary="Re-evaluate one person and store the decisions (a job: poll its url)",
    tags=["evaluations"],
    status_code=HTTP_202_ACCEPTED,
)
async def reevaluate_candidate(
    request: Request[Any, Any, Any], access: NamedDependency[Access], candidate_id: FromPath[int]
) -> Response[JobOut]:
    row = await visible_candidate(access, candidate_id)
    if not access.can(row["unit_path"], WRITE):
        raise Forbidden(NOT_EDITOR)
    unit = await get_visible_unit(access, row["unit"])
    job = await request_reevaluation(
        request.app.stores.get(JOBS_STORE),
        access,
        row["unit_path"],
        unit.id,
        unit.name,
        candidate_id=candidate_id,
    )
    return accepted(request, job)


@post(
    "/units/{unit_id:int}/reevaluate",
    summary="Re-evaluate everyone in a unit's subtree and store the decisions (a job)",
    tags=["evaluations"],
    status_code=HTTP_202_ACCEPTED,
)
async def reevaluate_unit(
    request: Request[Any, Any, Any], access: NamedDependency[Access], unit_id: FromPath[int]
) -> Response[JobOut]:
    unit = await get_visible_unit(access, unit_id)
    if not access.can(unit.path, WRITE):
        raise Forbidden(NOT_EDITOR)
    job = await request_reevaluation(
        request.app.stores.get(JOBS_STORE), access, unit.path, unit.id, unit.name
    )
    return accepted(request, job)


@get(
    "/jobs/{job_id:str}",
    summary="A background job's progress (re-evaluation, import, export)",
    tags=["evaluations"],
)
async def get_job_progress(
    request: Request[Any, Any, Any], access: NamedDependency[Access], job_id: FromPath[str]
) -> JobOut:
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
    return job_out(request, job)


EVALUATION_HANDLERS = [get_evaluation, reevaluate_candidate, reevaluate_unit, get_job_progress]
