"""The admission plan page: a unit's targets for a year (by quarter) and its progress,
with the same for each sub-unit and a chart of admissions against targets."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK

from nguon.accounts.permissions import Access
from nguon.api.tenant import tenant_of
from nguon.db.transaction import atomic
from nguon.errors import Conflict, InvalidInput, NotFound
from nguon.org.visibility import get_visible_unit
from nguon.pipeline.plan_schemas import PlanIn, PlanOut, TargetsIn
from nguon.pipeline.plans import QUARTERS, get_plan, plan_progress, put_plan
from nguon.portal.charts import Bar, bar_chart
from nguon.portal.context import page_context
from nguon.portal.forms import form_data, message_of, version_of, whole_number
from nguon.reports.definitions import DEFINITIONS, legend

APPROVE = "approver"
TARGET_FIELDS = ("target_year", "target_q1", "target_q2", "target_q3", "target_q4")
TARGET_LABELS = {
    "target_year": "Chỉ tiêu cả năm",
    "target_q1": "Quý 1",
    "target_q2": "Quý 2",
    "target_q3": "Quý 3",
    "target_q4": "Quý 4",
}


def _form_of(plan: PlanOut | None) -> dict[str, str]:
    if plan is None:
        return {"version": "0"}
    t = plan.targets
    values = (t.year, t.q1, t.q2, t.q3, t.q4)
    return {
        "version": str(plan.version),
        **{field: str(v) for field, v in zip(TARGET_FIELDS, values, strict=True)},
    }


async def _page(
    request: Request[Any, Any, Any],
    access: Access,
    unit_id: int,
    year: int,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    saved: bool = False,
    status: int = 200,
) -> Template:
    unit = await get_visible_unit(access, unit_id)
    try:
        plan: PlanOut | None = await get_plan(access, unit_id, year)
    except NotFound:
        plan = None
    progress = await plan_progress(access, unit_id, year)
    own = progress.unit
    targets = own.targets
    chart = bar_chart(
        f"Kết nạp đảng viên năm {year} theo quý, so với chỉ tiêu",
        [
            Bar(
                f"Quý {q[1]}",
                getattr(own.admitted, q),
                getattr(targets, q) if targets is not None else None,
            )
            for q in QUARTERS
        ],
        "chart-plan",
    )
    return Template(
        template_name="plan.html",
        context=page_context(
            request,
            access,
            unit=unit,
            year=year,
            plan=plan,
            progress=progress,
            quarters=QUARTERS,
            chart=chart,
            form=form or _form_of(plan),
            errors=errors or {},
            labels=TARGET_LABELS,
            can_edit=access.can(unit.path, APPROVE),
            saved=saved,
            figure_labels={key: d.label for key, d in DEFINITIONS.items()},
            legend=legend("admitted", "proposed", "admission_in_progress", "removed", "target"),
        ),
        status_code=status,
    )


@get("/units/{unit_id:int}/plan/{year:int}", summary="A unit's plan", include_in_schema=False)
async def plan_page(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    unit_id: FromPath[int],
    year: FromPath[int],
    saved: FromQuery[int] = 0,
) -> Template:
    return await _page(request, access, unit_id, year, saved=bool(saved))


@post(
    "/units/{unit_id:int}/plan/{year:int}",
    summary="Set a unit's targets",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def plan_submit(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    unit_id: FromPath[int],
    year: FromPath[int],
) -> Template | Redirect:
    await get_visible_unit(access, unit_id)
    raw = await form_data(request)
    errors: dict[str, str] = {}
    values = {
        field: whole_number(raw, field, errors, TARGET_LABELS[field].lower())
        for field in TARGET_FIELDS
    }
    quarters = sum(values[f] for f in TARGET_FIELDS[1:])
    if not errors and quarters != values["target_year"]:
        errors["target_year"] = (
            f"Tổng chỉ tiêu 4 quý là {quarters}, khác chỉ tiêu cả năm {values['target_year']}. "
            "Hãy sửa để hai số bằng nhau."
        )
    if not errors:
        try:
            async with atomic():
                targets = TargetsIn(**{f.removeprefix("target_"): values[f] for f in TARGET_FIELDS})
                data = PlanIn(version=version_of(raw) or 0, targets=targets)
                await put_plan(access, unit_id, year, data)
        except (InvalidInput, Conflict) as error:
            field = (error.field or "").replace("targets.", "target_")
            errors[field if field in TARGET_FIELDS else "notice"] = message_of(error)
        else:
            slug = tenant_of(request.scope).slug
            return Redirect(path=f"/t/{slug}/units/{unit_id}/plan/{year}?saved=1", status_code=303)
    return await _page(request, access, unit_id, year, form=raw, errors=errors, status=400)


ROUTES = [plan_page, plan_submit]
