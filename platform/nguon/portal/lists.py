"""List pages: a unit's lists, one list (people, refused people with reasons, edits,
resolution, submit, return/accept, history, export), and the inbox of lists from below.

Every change goes through ``nguon.pipeline.lists`` inside ``pipeline_transaction()``; a
refused change shows the page again with the service's message beside the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK

from nguon.accounts.permissions import WRITE, Access
from nguon.api.tenant import tenant_of
from nguon.clock import today_in_vietnam
from nguon.errors import Conflict, Forbidden, InvalidInput, NotFound
from nguon.jobs import list_export
from nguon.jobs.list_export import (
    exported_by_job,
    exported_download,
    request_list_export,
)
from nguon.jobs.progress import JOBS_STORE
from nguon.org.schemas import UnitOut
from nguon.org.validity import closed_by, in_force_during, last_day
from nguon.org.visibility import get_visible_unit
from nguon.pipeline import lists
from nguon.pipeline.documents_build import (
    MAX_DOCUMENT_NUMBER,
    MAX_SIGNER_NAME,
    document_of,
    download_disposition,
    export_options,
    list_renderers,
    may_export,
)
from nguon.pipeline.events import pipeline_transaction
from nguon.pipeline.list_read import APPROVE, ListRead, on_postgres, snapshot
from nguon.pipeline.ownership import NOT_OWN_UNIT, NOT_OWNER, NOT_RECEIVER, acts_for
from nguon.pipeline.schemas import STEPS, EntryAdd, EntryRemove, ListChange, ListCreate
from nguon.portal import rendered
from nguon.portal.context import PERIOD_KIND_LABELS, STEP_LABELS, page_context, period_label
from nguon.portal.forms import (
    field_errors,
    form_data,
    message_of,
    parse_resolution,
    version_of,
)
from nguon.portal.list_people import people_html
from nguon.portal.next_steps import late_text
from nguon.portal.progress import subtree_units
from nguon.rules.package import RulesPackage
from nguon.rules.registry import load_package
from nguon.tenancy.package import package_id_for, tenant_package
from nguon.text import ascii_digits

BELOW_SHOWN = 100
DONE_MESSAGES = {
    "created": "Đã lập danh sách theo quy định; hãy xem lại những người chưa đủ điều kiện.",
    "changed": "Đã cập nhật danh sách.",
    "refreshed": "Đã áp dụng lại quy định theo hồ sơ mới nhất.",
    "adopted": "Đã ghi nghị quyết thông qua danh sách. Bước tiếp theo: gửi lên cấp trên.",
    "submitted": "Đã gửi danh sách lên cấp trên.",
    "returned": "Đã trả lại danh sách kèm ý kiến.",
    "accepted": "Đã tiếp nhận danh sách.",
    "export_job": (
        "Danh sách này dài: tệp Excel được tạo trong nền. Bấm «Tạo tệp Excel» bên dưới; trang"
        " tiến độ cho tải về khi tệp xong."
    ),
}


class PeriodOption(msgspec.Struct):
    code: str
    label: str


def _slug(request: Request[Any, Any, Any]) -> str:
    return tenant_of(request.scope).slug


def period_options(
    package_id: str, today: dt.date, unit: UnitOut | None = None
) -> tuple[list[PeriodOption], str]:
    """The calendar's periods of last year, this year and next, and the current one; for a
    unit, only the periods it existed in (a closed unit's, around its last day)."""
    package = load_package(package_id)
    if package.calendar is None:
        return [], ""
    around = today
    if unit is not None and (ended := last_day(unit)) is not None and ended < today:
        around = ended
    seen: dict[str, PeriodOption] = {}
    chosen = ""
    for year in (around.year - 1, around.year, around.year + 1):
        for period in package.calendar.periods(year):
            if unit is not None and not in_force_during(unit, period.opens, period.deadline):
                continue
            if period.opens <= around:
                chosen = period.code
            kind = PERIOD_KIND_LABELS.get(period.kind, period.kind)
            seen.setdefault(
                period.code,
                PeriodOption(
                    code=period.code,
                    label=f"{period_label(period).capitalize()} — {kind}, "
                    f"{period.opens:%d/%m/%Y}–{period.deadline:%d/%m/%Y}",
                ),
            )
    current = package.calendar.period_for(around)
    if current is not None and current.code in seen:
        chosen = current.code
    return list(seen.values()), chosen


# --- a unit's lists --------------------------------------------------------------------


async def _unit_lists_page(
    request: Request[Any, Any, Any],
    access: Access,
    unit: UnitOut,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    own = (await lists.search_lists(access, unit.id)).items
    below_ids = {u["id"] for u in await subtree_units(unit.path)} - {unit.id}
    below = [i for i in (await lists.search_lists(access)).items if i.unit_id in below_ids]
    # The latest periods first; the page shows the most recent ones.
    below.sort(key=lambda i: (i.period_opens, i.unit_name), reverse=True)
    periods, current = period_options(await package_id_for(access), today_in_vietnam(), unit)
    return Template(
        template_name="unit_lists.html",
        context=page_context(
            request,
            access,
            unit=unit,
            own=own,
            below=below[:BELOW_SHOWN],
            below_total=len(below),
            periods=periods,
            steps={step: STEP_LABELS[step] for step in STEPS},
            form=form or {"step": "survey", "period": current},
            errors=errors or {},
            can_write=acts_for(access, unit.path, WRITE),
            closed=closed_by(unit, today_in_vietnam()),
            late_text=late_text,
            today=today_in_vietnam(),
        ),
        status_code=status,
    )


@get("/units/{unit_id:int}/lists", summary="A unit's lists", include_in_schema=False)
async def unit_lists(
    request: Request[Any, Any, Any], access: NamedDependency[Access], unit_id: FromPath[int]
) -> Template:
    unit = await get_visible_unit(access, unit_id)
    return await _unit_lists_page(request, access, unit)


@post(
    "/units/{unit_id:int}/lists",
    summary="Make a unit's list for a step and period",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def create_unit_list(
    request: Request[Any, Any, Any], access: NamedDependency[Access], unit_id: FromPath[int]
) -> Response[Any]:
    unit = await get_visible_unit(access, unit_id)
    if not acts_for(access, unit.path, WRITE):
        raise Forbidden(NOT_OWN_UNIT)
    raw = await form_data(request)
    errors: dict[str, str] = {}
    step = raw.get("step", "")
    if step not in STEPS:
        errors["step"] = "Hãy chọn loại danh sách."
    if not raw.get("period"):
        errors["period"] = "Hãy chọn kỳ rà soát."
    if not errors:
        try:
            async with pipeline_transaction():
                created = await lists.create_list(
                    access,
                    msgspec.convert(
                        {"unit_id": unit.id, "step": step, "period": raw["period"]}, ListCreate
                    ),
                )
        except (InvalidInput, Conflict, Forbidden) as error:
            # The form has a step and a period: a problem of the unit is shown by the period.
            errors = {
                "period" if field not in {"step", "period"} else field: message
                for field, message in field_errors(error, "period").items()
            }
        else:
            return Redirect(
                path=f"/t/{_slug(request)}/lists/{created.summary.id}?done=created",
                status_code=303,
            )
    return await _unit_lists_page(request, access, unit, form=raw, errors=errors, status=400)


# --- one list --------------------------------------------------------------------------


def _list_context(
    request: Request[Any, Any, Any],
    access: Access,
    read: ListRead,
    facts: lists.ListFacts,
    *,
    errors: dict[str, str],
    form: dict[str, str],
    done: str,
    today: dt.date,
) -> dict[str, Any]:
    package = load_package(read.row["tenant.rules_package"])
    people = people_html(
        request,
        read,
        package,
        tenant_of(request.scope).slug,
        (form.get("add.candidate_id", ""), form.get("remove.candidate_id", "")),
    )
    return page_context(
        request,
        access,
        detail=facts,
        summary=facts.summary,
        people=people,
        shows_sources=any(c.source_list_id is not None for c in facts.counts_by_unit),
        actions=set(facts.allowed_actions),
        can_export=may_export(read, package),
        export_by_job=exported_by_job(read),
        export_job_above=list_export.EXPORT_JOB_ABOVE,
        errors=errors,
        form={"resolution.adopted_on": f"{today:%d/%m/%Y}", **form},
        done=DONE_MESSAGES.get(done, ""),
        late=late_text(facts.summary, today),
        committee=voted_by_committee(package, facts.summary.unit_kind),
    )


async def list_page(
    request: Request[Any, Any, Any],
    access: Access,
    list_id: int,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    done: str = "",
    status: int = 200,
) -> Response[Any]:
    """The list page. Shown plainly (no form state to keep) on Postgres, it is kept
    rendered: under the write position (``rendered.kept_until_written``), then under a
    digest of every row it shows (``_kept_by_digest``). With errors beside a form, or on
    SQLite, it is rendered."""
    today = today_in_vietnam()
    if not errors and not form and status == 200 and rendered.keeping(request):
        key = ("list.html", tenant_of(request.scope), rendered.reader_key(access), done, today)

        async def page() -> str:
            return await _kept_by_digest(request, access, list_id, key, done, today)

        return await rendered.kept_until_written(request, (*key, list_id), page)
    context, _ = await _read_page(
        request, access, list_id, today, errors=errors or {}, form=form or {}, done=done
    )
    return Template(template_name="list.html", context=context, status_code=status)


async def _read_page(
    request: Request[Any, Any, Any],
    access: Access,
    list_id: int,
    today: dt.date,
    *,
    errors: dict[str, str],
    form: dict[str, str],
    done: str,
    digest: bool = False,
) -> tuple[dict[str, Any], str]:
    """The page's context, read in one state of the database, and (``digest``, Postgres)
    the digest of every row it shows, from the same state."""
    if on_postgres():
        read, seen = await lists.whole_list(access, list_id, today, digest=digest)
        facts = await lists.facts_of(access, read, today)
    else:
        async with snapshot():
            read, seen = await lists.read_of(await lists.visible_list(access, list_id)), ""
            facts = await lists.facts_of(access, read, today)
    context = _list_context(
        request, access, read, facts, errors=errors, form=form, done=done, today=today
    )
    return context, seen


async def _kept_by_digest(
    request: Request[Any, Any, Any],
    access: Access,
    list_id: int,
    key: tuple[Any, ...],
    done: str,
    today: dt.date,
) -> str:
    """The page (its CSRF field marked) kept under ``key`` and a digest of every row it
    shows: rendered again only when one of them changed."""
    cache = rendered.pages(request)
    _, seen = await lists.visible_list_digest(access, list_id, today)
    found = cache.get(rendered.content_key(*key, seen))
    if found is None:
        context, seen = await _read_page(
            request, access, list_id, today, errors={}, form={}, done=done, digest=True
        )
        found = rendered.render_marked(request, "list.html", context)
        cache.put(rendered.content_key(*key, seen), found)
    return found


@get("/lists/{list_id:int}", summary="A list", include_in_schema=False)
async def list_detail(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    list_id: FromPath[int],
    done: FromQuery[str] = "",
) -> Response[Any]:
    return await list_page(request, access, list_id, done=done)


async def _after(
    request: Request[Any, Any, Any],
    access: Access,
    list_id: int,
    raw: dict[str, str],
    done: str,
    change: Any,
    default_field: str,
) -> Response[Any]:
    """Run ``change`` in one pipeline transaction; the list page again on a refusal."""
    try:
        async with pipeline_transaction():
            await change()
    except (InvalidInput, Conflict) as error:
        status = 409 if isinstance(error, Conflict) else 400
        errors = field_errors(error, default_field)
        if error.field == "version":
            errors = {"notice": message_of(error)}
        return await list_page(request, access, list_id, errors=errors, form=raw, status=status)
    target = f"/t/{_slug(request)}/lists/{list_id}?done={done}"
    if raw.get("next") == "inbox":
        target = f"/t/{_slug(request)}/inbox?done={done}"
    return Redirect(path=target, status_code=303)


def voted_by_committee(package: RulesPackage, kind: str) -> bool:
    """Whether a unit of ``kind`` adopts its lists by a vote of its executive committee's
    members (a Party committee at any level) rather than of all its full members (a cell)."""
    spec = package.unit_kind_specs.get(kind)
    return spec is None or not spec.is_cell


CONFIRMED = "yes"
"""The value of the checkbox that confirms an acceptance or a return."""


async def _owned(access: Access, list_id: int) -> dict[str, Any]:
    """The list, if the caller is a user of the unit that owns it (403 otherwise)."""
    row = await lists.visible_list(access, list_id)
    if not acts_for(access, row["unit_path"], WRITE):
        raise Forbidden(NOT_OWNER)
    return row


async def _received(access: Access, list_id: int) -> dict[str, Any]:
    """The list, if the caller approves for the unit it was sent to (403 otherwise)."""
    row = await lists.visible_list(access, list_id)
    if not acts_for(access, row["receiver_unit.path"], APPROVE):
        raise Forbidden(NOT_RECEIVER)
    return row


def _candidate_id(raw: dict[str, str], name: str, errors: dict[str, str]) -> int:
    text = raw.get(name, "")
    if not ascii_digits(text):
        errors[name] = "Hãy chọn một người."
        return 0
    return int(text)


async def _refuse(
    request: Request[Any, Any, Any],
    access: Access,
    list_id: int,
    raw: dict[str, str],
    errors: dict[str, str],
) -> Response[Any]:
    return await list_page(request, access, list_id, errors=errors, form=raw, status=400)


@post(
    "/lists/{list_id:int}/add",
    summary="Add someone to a list",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def add_to_list(
    request: Request[Any, Any, Any], access: NamedDependency[Access], list_id: FromPath[int]
) -> Response[Any]:
    await _owned(access, list_id)
    raw = await form_data(request)
    errors: dict[str, str] = {}
    candidate_id = _candidate_id(raw, "add.candidate_id", errors)
    if errors:
        return await _refuse(request, access, list_id, raw, errors)
    change = ListChange(
        version=version_of(raw),
        add=[
            EntryAdd(
                candidate_id=candidate_id,
                override_justification=raw.get("add.justification", "").strip() or None,
            )
        ],
    )
    error_fields = {
        "add[0].candidate_id": "add.candidate_id",
        "add[0].override_justification": "add.justification",
    }
    return await _change(request, access, list_id, raw, change, error_fields)


@post(
    "/lists/{list_id:int}/remove",
    summary="Take someone off a list, with a reason",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def remove_from_list(
    request: Request[Any, Any, Any], access: NamedDependency[Access], list_id: FromPath[int]
) -> Response[Any]:
    await _owned(access, list_id)
    raw = await form_data(request)
    errors: dict[str, str] = {}
    candidate_id = _candidate_id(raw, "remove.candidate_id", errors)
    reason = raw.get("remove.reason", "").strip()
    if not reason:
        errors["remove.reason"] = "Hãy ghi lý do đưa ra khỏi danh sách."
    if errors:
        return await _refuse(request, access, list_id, raw, errors)
    change = ListChange(
        version=version_of(raw), remove=[EntryRemove(candidate_id=candidate_id, reason=reason)]
    )
    error_fields = {
        "remove[0].candidate_id": "remove.candidate_id",
        "remove[0].reason": "remove.reason",
    }
    return await _change(request, access, list_id, raw, change, error_fields)


async def _change(
    request: Request[Any, Any, Any],
    access: Access,
    list_id: int,
    raw: dict[str, str],
    change: ListChange,
    error_fields: dict[str, str],
) -> Response[Any]:
    try:
        async with pipeline_transaction():
            await lists.change_list(access, list_id, change)
    except (InvalidInput, Conflict) as error:
        if error.field == "version":
            errors = {"notice": message_of(error)}
        else:
            field = error_fields.get(error.field or "", next(iter(error_fields.values())))
            errors = {field: message_of(error)}
        status = 409 if isinstance(error, Conflict) else 400
        return await list_page(request, access, list_id, errors=errors, form=raw, status=status)
    return Redirect(path=f"/t/{_slug(request)}/lists/{list_id}?done=changed", status_code=303)


@post(
    "/lists/{list_id:int}/refresh",
    summary="Apply the rules again",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def refresh(
    request: Request[Any, Any, Any], access: NamedDependency[Access], list_id: FromPath[int]
) -> Response[Any]:
    await _owned(access, list_id)
    raw = await form_data(request)

    async def change() -> None:
        await lists.refresh_list(access, list_id, version_of(raw))

    return await _after(request, access, list_id, raw, "refreshed", change, "notice")


@post(
    "/lists/{list_id:int}/adopt",
    summary="Record the resolution adopting a list",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def adopt(
    request: Request[Any, Any, Any], access: NamedDependency[Access], list_id: FromPath[int]
) -> Response[Any]:
    row = await _owned(access, list_id)
    raw = await form_data(request)
    errors: dict[str, str] = {}
    package = load_package(row["tenant.rules_package"])
    committee = voted_by_committee(package, row["unit.kind"])
    resolution = parse_resolution(raw, errors, committee=committee)
    if resolution is None:
        return await _refuse(request, access, list_id, raw, errors)

    async def change() -> None:
        await lists.adopt_list(access, list_id, resolution, version_of(raw))

    return await _after(request, access, list_id, raw, "adopted", change, "resolution.number")


@post(
    "/lists/{list_id:int}/submit",
    summary="Send a list to the level above",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def submit(
    request: Request[Any, Any, Any], access: NamedDependency[Access], list_id: FromPath[int]
) -> Response[Any]:
    await _owned(access, list_id)
    raw = await form_data(request)

    async def change() -> None:
        await lists.submit_list(access, list_id, version_of(raw))

    return await _after(request, access, list_id, raw, "submitted", change, "notice")


@post(
    "/lists/{list_id:int}/return",
    summary="Return a list with a comment",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def return_to_unit(
    request: Request[Any, Any, Any], access: NamedDependency[Access], list_id: FromPath[int]
) -> Response[Any]:
    await _received(access, list_id)
    raw = await form_data(request)
    errors: dict[str, str] = {}
    comment = raw.get("comment", "").strip()
    if not comment:
        errors["comment"] = "Hãy ghi ý kiến khi trả lại danh sách."
    if raw.get("confirm") != CONFIRMED:
        errors["return.confirm"] = "Hãy đánh dấu xác nhận trả lại danh sách."
    if errors:
        return await _refuse(request, access, list_id, raw, errors)

    async def change() -> None:
        await lists.return_list(access, list_id, comment, version_of(raw))

    return await _after(request, access, list_id, raw, "returned", change, "comment")


@post(
    "/lists/{list_id:int}/accept",
    summary="Accept a list from below",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def accept(
    request: Request[Any, Any, Any], access: NamedDependency[Access], list_id: FromPath[int]
) -> Response[Any]:
    await _received(access, list_id)
    raw = await form_data(request)
    if raw.get("confirm") != CONFIRMED:
        error = "Hãy đánh dấu xác nhận đã xem danh sách trước khi tiếp nhận."
        return await _refuse(request, access, list_id, raw, {"accept.confirm": error})

    async def change() -> None:
        await lists.accept_list(access, list_id, version_of(raw))

    return await _after(request, access, list_id, raw, "accepted", change, "notice")


@get("/lists/{list_id:int}/export", summary="A list as a spreadsheet", include_in_schema=False)
async def export(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    list_id: FromPath[int],
    format: FromQuery[str] = "xlsx",
    number: Annotated[str, QueryParameter(max_length=MAX_DOCUMENT_NUMBER)] = "",
    signer: Annotated[str, QueryParameter(max_length=MAX_SIGNER_NAME)] = "",
) -> Response[Any]:
    renderer = list_renderers().get(format)
    if renderer is None:
        raise NotFound("export format")
    options = export_options(number, signer)
    read = await lists.read_list(access, list_id)
    if exported_by_job(read):
        # Too long to make in a request: the list page offers the job instead.
        return Redirect(
            path=f"/t/{_slug(request)}/lists/{list_id}?done=export_job#export", status_code=303
        )
    document = await document_of(read, await tenant_package(), options)
    return Response(
        content=renderer.render(document),
        media_type=renderer.media_type,
        headers={"Content-Disposition": download_disposition(document, renderer)},
    )


@post(
    "/lists/{list_id:int}/export",
    summary="Make a large list's spreadsheet in the background",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def export_in_background(
    request: Request[Any, Any, Any], access: NamedDependency[Access], list_id: FromPath[int]
) -> Response[Any]:
    read = await lists.read_list(access, list_id)
    raw = await form_data(request)
    format = raw.get("format") or "xlsx"
    package = load_package(read.row["tenant.rules_package"])
    if format not in list_renderers() or not may_export(read, package):
        raise NotFound("export format")
    errors: dict[str, str] = {}
    number, signer = raw.get("number", ""), raw.get("signer", "")
    if len(number) > MAX_DOCUMENT_NUMBER:
        errors["export.number"] = f"Số văn bản dài quá {MAX_DOCUMENT_NUMBER} ký tự."
    if len(signer) > MAX_SIGNER_NAME:
        errors["export.signer"] = f"Tên người ký dài quá {MAX_SIGNER_NAME} ký tự."
    try:
        export_options(number, signer)
    except InvalidInput as error:
        errors[f"export.{error.field or 'number'}"] = message_of(error)
    if errors:
        return await _refuse(request, access, list_id, raw, errors)
    job = await request_list_export(
        request.app.stores.get(JOBS_STORE), access, read, format, number, signer
    )
    return Redirect(path=f"/t/{_slug(request)}/jobs/{job.id}", status_code=303)


@get(
    "/exports/{export_id:int}",
    summary="The spreadsheet a background export made",
    include_in_schema=False,
)
async def exported(access: NamedDependency[Access], export_id: FromPath[int]) -> Response[bytes]:
    return await exported_download(access, export_id)


# --- the inbox -------------------------------------------------------------------------


@get("/inbox", summary="Lists from below waiting for me", include_in_schema=False)
async def inbox_page(
    request: Request[Any, Any, Any], access: NamedDependency[Access], done: FromQuery[str] = ""
) -> Template:
    waiting = await lists.inbox(access)
    return Template(
        template_name="inbox.html",
        context=page_context(
            request,
            access,
            items=waiting.items,
            done=DONE_MESSAGES.get(done, ""),
            late_text=late_text,
            today=today_in_vietnam(),
        ),
    )


ROUTES = [
    unit_lists,
    create_unit_list,
    list_detail,
    add_to_list,
    remove_from_list,
    refresh,
    adopt,
    submit,
    return_to_unit,
    accept,
    export,
    export_in_background,
    exported,
    inbox_page,
]
