"""Candidate pages: add, edit, and one candidate with their history and decisions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK

from nguon.accounts.permissions import WRITE, Access
from nguon.api.tenant import tenant_of
from nguon.clock import today_in_vietnam
from nguon.db.transaction import atomic
from nguon.errors import Conflict, Forbidden, InvalidInput, NotFound
from nguon.org.schemas import UnitOut
from nguon.org.validity import in_force_on
from nguon.org.visibility import get_visible_unit
from nguon.people.labels import EDUCATION_LABELS, POLITICAL_LABELS, SEX_LABELS
from nguon.people.service import create_candidate, get_candidate, update_candidate
from nguon.people.tables import Candidate
from nguon.pipeline.evaluation import evaluate_rows
from nguon.pipeline.tables import StageChange
from nguon.portal.actors import SYSTEM, full_names
from nguon.portal.candidate_form import (
    STALE_MESSAGE,
    form_of,
    parse_candidate_form,
    redisplay,
    service_message,
    to_create,
    to_update,
)
from nguon.portal.context import page_context
from nguon.portal.evaluations import SHOWN_DECISIONS
from nguon.portal.helper_views import helper_context
from nguon.portal.road_views import road_context
from nguon.rules.errors import RulesError
from nguon.rules.package import RulesPackage
from nguon.rules.registry import load_package
from nguon.tenancy.package import tenant_package, tenant_package_id
from nguon.tenancy.scoped import in_tenant

OUTCOME_LABELS = {
    "eligible": "Đủ điều kiện",
    "not_eligible": "Chưa đủ điều kiện",
    "needs_review": "Cần xem xét thêm",
}


class ReasonView(msgspec.Struct):
    message: str
    clause_ref: str
    clause_text: str
    clause_document: str
    """The document's number and title, e.g. "06-HD/BTCTU — Hướng dẫn …"."""
    document_number: str = ""
    inference: str = ""
    """Why the reason is a reading of its clause rather than its words (confidence L)."""


class DecisionView(msgspec.Struct):
    code: str
    label: str
    outcome: str
    outcome_label: str
    reasons: list[ReasonView]


def reason_view(
    package: RulesPackage, clause_id: str | None, message: str, rule_id: str | None = None
) -> ReasonView:
    """A reason with the guidance clause it rests on (reference, text and document) and,
    when the rule or the clause is an inference, what is inferred."""
    ref = text = document = number = ""
    if clause_id:
        try:
            clause = package.clause(clause_id)
        except RulesError:
            clause = None
        if clause is not None:
            ref, text = clause.ref, clause.text
            doc = package.documents.get(clause.document)
            document = f"{doc.number} — {doc.title}" if doc else clause.document
            number = doc.number if doc else clause.document
    return ReasonView(
        message=message,
        clause_ref=ref,
        clause_text=text,
        clause_document=document,
        document_number=number,
        inference=package.inference_note(rule_id, clause_id),
    )


def _choices() -> dict[str, Any]:
    return {
        "sex_labels": SEX_LABELS,
        "education_labels": EDUCATION_LABELS,
        "political_labels": POLITICAL_LABELS,
    }


async def _unit_for_new(access: Access, unit_id: int) -> UnitOut:
    unit = await get_visible_unit(access, unit_id)
    if not access.can(unit.path, WRITE):
        raise Forbidden("Bạn không có quyền thêm quần chúng ở đơn vị này.")
    if not in_force_on(unit, today_in_vietnam()):
        raise InvalidInput("Đơn vị này đã kết thúc hoạt động; hãy thêm ở đơn vị đang hoạt động.")
    if unit.kind not in (await tenant_package()).people_holding_kinds:
        raise InvalidInput("Đơn vị này không trực tiếp quản lý quần chúng; hãy chọn chi bộ.")
    return unit


def _form_page(
    request: Request[Any, Any, Any],
    access: Access,
    *,
    unit: UnitOut,
    form: dict[str, Any],
    errors: dict[str, str],
    candidate_id: int | None = None,
    version: int | None = None,
    notice: str = "",
    masked_id: str | None = None,
    status: int = 200,
) -> Template:
    return Template(
        template_name="candidate_form.html",
        context=page_context(
            request,
            access,
            unit=unit,
            form=form,
            errors=errors,
            candidate_id=candidate_id,
            version=version,
            notice=notice,
            masked_id=masked_id,
            **_choices(),
        ),
        status_code=status,
    )


async def _form_data(request: Request[Any, Any, Any]) -> dict[str, str]:
    form = await request.form()
    return {key: str(value) for key, value in form.items() if isinstance(value, str)}


@get("/candidates/new", summary="Add a candidate", include_in_schema=False)
async def new_candidate_page(
    request: Request[Any, Any, Any], access: NamedDependency[Access], unit_id: FromQuery[int]
) -> Template:
    unit = await _unit_for_new(access, unit_id)
    return _form_page(request, access, unit=unit, form=redisplay({}), errors={})


@post(
    "/candidates/new", summary="Add a candidate", include_in_schema=False, status_code=HTTP_200_OK
)
async def new_candidate_submit(
    request: Request[Any, Any, Any], access: NamedDependency[Access], unit_id: FromQuery[int]
) -> Template | Redirect:
    unit = await _unit_for_new(access, unit_id)
    raw = await _form_data(request)
    values, errors = parse_candidate_form(raw)
    if not errors:
        try:
            async with atomic():
                created = await create_candidate(access, to_create(unit.id, values))
        except (InvalidInput, Conflict) as error:
            errors[error.field or "full_name"] = service_message(error)
        else:
            slug = tenant_of(request.scope).slug
            return Redirect(path=f"/t/{slug}/candidates/{created.id}?saved=1", status_code=303)
    return _form_page(request, access, unit=unit, form=redisplay(raw), errors=errors, status=400)


@get("/candidates/{candidate_id:int}/edit", summary="Edit a candidate", include_in_schema=False)
async def edit_candidate_page(
    request: Request[Any, Any, Any], access: NamedDependency[Access], candidate_id: FromPath[int]
) -> Template:
    candidate = await get_candidate(access, candidate_id)
    unit = await get_visible_unit(access, candidate.unit_id)
    if not access.can(unit.path, WRITE):
        raise Forbidden("Bạn không có quyền sửa hồ sơ này.")
    return _form_page(
        request,
        access,
        unit=unit,
        form=form_of(candidate),
        errors={},
        candidate_id=candidate.id,
        version=candidate.version,
        masked_id=candidate.national_id_masked,
    )


@post(
    "/candidates/{candidate_id:int}/edit",
    summary="Edit a candidate",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def edit_candidate_submit(
    request: Request[Any, Any, Any], access: NamedDependency[Access], candidate_id: FromPath[int]
) -> Template | Redirect:
    candidate = await get_candidate(access, candidate_id)
    unit = await get_visible_unit(access, candidate.unit_id)
    raw = await _form_data(request)
    values, errors = parse_candidate_form(raw)
    try:
        version = int(raw.get("version", ""))
    except ValueError:
        version = -1
    notice = ""
    if not errors:
        try:
            async with atomic():
                await update_candidate(access, candidate_id, to_update(version, values))
        except Conflict as error:
            if error.field == "version":
                notice = STALE_MESSAGE
            else:
                errors[error.field or "full_name"] = service_message(error)
        except InvalidInput as error:
            errors[error.field or "full_name"] = service_message(error)
        else:
            slug = tenant_of(request.scope).slug
            return Redirect(path=f"/t/{slug}/candidates/{candidate_id}?saved=1", status_code=303)
    return _form_page(
        request,
        access,
        unit=unit,
        form=redisplay(raw),
        errors=errors,
        candidate_id=candidate_id,
        # A stale form is shown again on the current version: saving it again is a choice.
        version=candidate.version if notice else version,
        notice=notice,
        masked_id=candidate.national_id_masked,
        status=409 if notice else 400,
    )


async def decision_views(candidate_row: dict[str, Any], on: dt.date) -> list[DecisionView]:
    package_id = await tenant_package_id()
    package = load_package(package_id)
    evaluation = (await evaluate_rows([candidate_row], on)).get(candidate_row["id"])
    if evaluation is None:
        return []
    views: list[DecisionView] = []
    for code in SHOWN_DECISIONS:
        decision = evaluation.decisions.get(code)
        if decision is None:
            continue
        reasons = [
            reason_view(package, r.clause_id, r.message_vi, r.rule_id) for r in decision.reasons
        ]
        spec = package.decisions.get(code)
        views.append(
            DecisionView(
                code=code,
                label=spec.label if spec else code,
                outcome=decision.outcome,
                outcome_label=OUTCOME_LABELS.get(decision.outcome, decision.outcome),
                reasons=reasons,
            )
        )
    return views


async def render_candidate(
    request: Request[Any, Any, Any],
    access: Access,
    candidate_id: int,
    *,
    saved: bool = False,
    done: str = "",
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    """The candidate page; the helper and admission forms show ``errors`` beside fields."""
    candidate = await get_candidate(access, candidate_id)
    unit = await get_visible_unit(access, candidate.unit_id)
    row = await Candidate.select().where(in_tenant(Candidate), Candidate.id == candidate_id).first()
    if row is None:
        raise NotFound("candidate")
    history = await (
        StageChange.select()
        .where(in_tenant(StageChange), StageChange.candidate == candidate_id)
        .order_by(StageChange.changed_on)
        .order_by(StageChange.id)
        .run()
    )
    today = today_in_vietnam()
    can_edit = access.can(unit.path, WRITE)
    return Template(
        template_name="candidate.html",
        context=page_context(
            request,
            access,
            candidate=candidate,
            unit=unit,
            history=history,
            actor_names=await full_names({h["actor_id"] for h in history}),
            system_actor=SYSTEM,
            decisions=await decision_views(row, today),
            evaluated_on=today,
            can_edit=can_edit,
            saved=saved,
            done=done,
            outcome_labels=OUTCOME_LABELS,
            errors=errors or {},
            form={"resolution.adopted_on": today.isoformat(), **(form or {})},
            **await helper_context(access, candidate, can_edit),
            **await road_context(access, candidate, unit.path),
            **_choices(),
        ),
        status_code=status,
    )


@get("/candidates/{candidate_id:int}", summary="A candidate", include_in_schema=False)
async def candidate_page(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    candidate_id: FromPath[int],
    saved: FromQuery[int] = 0,
    done: FromQuery[str] = "",
) -> Template:
    return await render_candidate(request, access, candidate_id, saved=bool(saved), done=done)
