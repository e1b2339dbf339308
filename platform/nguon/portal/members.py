"""Party member pages: a unit's members (search), add one, import a sheet, and one
member with their history, transfer to another cell and end of membership.

Who may do what is as on the other unit pages: whoever may edit a cell manages its
members (a cell secretary their cell, a committee its subtree); viewers only read.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK

from nguon.accounts.permissions import WRITE, Access
from nguon.api.tenant import tenant_of
from nguon.clock import today_in_vietnam
from nguon.db.transaction import atomic
from nguon.errors import Conflict, Forbidden, InvalidInput
from nguon.org.schemas import UnitOut
from nguon.org.tables import OrgUnit
from nguon.org.validity import in_force_on
from nguon.org.visibility import get_visible_unit
from nguon.people.labels import (
    END_REASON_LABELS,
    MEMBER_CHANGE_LABELS,
    MEMBER_STATUS_LABELS,
    SEX_LABELS,
)
from nguon.people.member_changes import (
    end_membership,
    helping_count,
    member_history,
    transfer_member,
)
from nguon.people.member_import import member_template
from nguon.people.member_input import parse_day, read_member_fields
from nguon.people.schemas import MemberCreate, MemberEnd, MemberTransfer
from nguon.people.service import create_member, get_member, search_members
from nguon.people.sheet_files import (
    MAX_BYTES,
    MAX_MB,
    MAX_ROWS,
    TOO_BIG,
    CellChoice,
    ImportProblem,
    cells_under,
)
from nguon.pipeline.document_parts import attachment_disposition
from nguon.portal.context import page_context
from nguon.portal.forms import form_data, message_of, version_of
from nguon.portal.jobs import JOBS_STORE, request_import
from nguon.tenancy.scoped import in_tenant
from nguon.text import ascii_digits

PAGE_SIZE = 20
STATE_LABELS = {"current": "Đang sinh hoạt", "ended": "Đã kết thúc sinh hoạt", "all": "Tất cả"}
DONE_MESSAGES = {
    "added": "Đã thêm đảng viên.",
    "transferred": "Đã chuyển sinh hoạt đảng viên.",
    "ended": "Đã ghi nhận kết thúc sinh hoạt.",
}
DATE_HINT = "Ghi theo ngày/tháng/năm, ví dụ 02/09/2024."
State = Literal["current", "ended", "all"]


def _slug(request: Request[Any, Any, Any]) -> str:
    return tenant_of(request.scope).slug


def day_field(raw: dict[str, str], name: str, errors: dict[str, str], label: str) -> dt.date | None:
    """A date typed as dd/mm/yyyy (or yyyy-mm-dd), not after today."""
    text = raw.get(name, "").strip()
    if not text:
        errors[name] = f"Hãy nhập {label}."
        return None
    try:
        day = parse_day(text)
    except ValueError:
        errors[name] = f"{label.capitalize()} không hợp lệ: “{text}” (ghi theo ngày/tháng/năm)."
        return None
    if day > (today := today_in_vietnam()):
        errors[name] = (
            f"{label.capitalize()} “{day:%d/%m/%Y}” không được ở sau hôm nay ({today:%d/%m/%Y})."
        )
        return None
    return day


def _today_text() -> str:
    return today_in_vietnam().strftime("%d/%m/%Y")


@get("/units/{unit_id:int}/members", summary="A unit's Party members", include_in_schema=False)
async def members_page(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    unit_id: FromPath[int],
    q: Annotated[str, QueryParameter(max_length=200)] = "",
    which: Annotated[State, QueryParameter(name="state")] = "current",
    page: Annotated[int, QueryParameter(ge=1)] = 1,
) -> Template:
    unit = await get_visible_unit(access, unit_id)
    members = await search_members(access, q or None, unit.id, page, PAGE_SIZE, which)
    unit_names = await _unit_names({m.unit_id for m in members.items})
    context = page_context(
        request,
        access,
        unit=unit,
        members=members,
        unit_names=unit_names,
        q=q,
        state=which,
        state_labels=STATE_LABELS,
        status_labels=MEMBER_STATUS_LABELS,
        end_reason_labels=END_REASON_LABELS,
        page=page,
        pages=max(1, -(-members.total // PAGE_SIZE)),
    )
    if request.headers.get("hx-request") == "true":
        return Template(template_name="members_table.html", context=context)
    cells = await cells_under(access, unit)
    return Template(template_name="members.html", context={**context, "can_manage": bool(cells)})


async def _unit_names(unit_ids: set[int]) -> dict[int, str]:
    if not unit_ids:
        return {}
    rows = await (
        OrgUnit.select(OrgUnit.id, OrgUnit.name)
        .where(in_tenant(OrgUnit), OrgUnit.id.is_in(sorted(unit_ids)))
        .run()
    )
    return {r["id"]: r["name"] for r in rows}


async def _manageable(access: Access, unit_id: int) -> tuple[UnitOut, list[CellChoice]]:
    """The unit and the cells of its subtree the caller may add members to, or 403."""
    unit = await get_visible_unit(access, unit_id)
    cells = await cells_under(access, unit)
    if not cells:
        raise Forbidden("Bạn không có quyền quản lý đảng viên ở đơn vị này.")
    return unit, cells


def _member_form(
    request: Request[Any, Any, Any],
    access: Access,
    unit: UnitOut,
    cells: list[CellChoice],
    form: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Template:
    return Template(
        template_name="member_form.html",
        context=page_context(
            request,
            access,
            unit=unit,
            cells=cells,
            form=form,
            errors=errors,
            sex_labels=SEX_LABELS,
            date_hint=DATE_HINT,
        ),
        status_code=status,
    )


@get("/units/{unit_id:int}/members/new", summary="Add a Party member", include_in_schema=False)
async def new_member_page(
    request: Request[Any, Any, Any], access: NamedDependency[Access], unit_id: FromPath[int]
) -> Template:
    unit, cells = await _manageable(access, unit_id)
    default = str(unit.id) if any(c.id == unit.id for c in cells) else ""
    return _member_form(request, access, unit, cells, {"unit_id": default}, {})


@post(
    "/units/{unit_id:int}/members/new",
    summary="Add a Party member",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def new_member_submit(
    request: Request[Any, Any, Any], access: NamedDependency[Access], unit_id: FromPath[int]
) -> Template | Redirect:
    unit, cells = await _manageable(access, unit_id)
    raw = await form_data(request)
    values, errors = read_member_fields(raw)
    cell = next((c for c in cells if str(c.id) == raw.get("unit_id", "")), None)
    if cell is None:
        errors["unit_id"] = "Hãy chọn chi bộ."
    if not errors and cell is not None:
        try:
            async with atomic():
                created = await create_member(access, MemberCreate(unit_id=cell.id, **values))
        except (InvalidInput, Conflict, Forbidden) as error:
            errors[error.field or "full_name"] = message_of(error)
        else:
            return Redirect(
                path=f"/t/{_slug(request)}/members/{created.id}?done=added", status_code=303
            )
    return _member_form(request, access, unit, cells, raw, errors, status=400)


def _import_page(
    request: Request[Any, Any, Any],
    access: Access,
    unit: UnitOut,
    cells: list[CellChoice],
    *,
    problems: list[ImportProblem] | None = None,
    created: int | None = None,
    status: int = 200,
) -> Template:
    return Template(
        template_name="member_import.html",
        context=page_context(
            request,
            access,
            unit=unit,
            cells=cells,
            problems=problems or [],
            created=created,
            max_rows=f"{MAX_ROWS:,}".replace(",", "."),
            max_mb=MAX_MB,
        ),
        status_code=status,
    )


@get(
    "/units/{unit_id:int}/members/import",
    summary="Import Party members from XLSX",
    include_in_schema=False,
)
async def import_page(
    request: Request[Any, Any, Any], access: NamedDependency[Access], unit_id: FromPath[int]
) -> Template:
    unit, cells = await _manageable(access, unit_id)
    return _import_page(request, access, unit, cells)


@post(
    "/units/{unit_id:int}/members/import",
    summary="Import Party members from XLSX or CSV",
    include_in_schema=False,
    status_code=HTTP_200_OK,
    request_max_body_size=MAX_BYTES + 1024 * 1024,
)
async def import_submit(
    request: Request[Any, Any, Any], access: NamedDependency[Access], unit_id: FromPath[int]
) -> Template | Redirect:
    unit, cells = await _manageable(access, unit_id)
    upload = await uploaded_sheet(request)
    if isinstance(upload, ImportProblem):
        return _import_page(request, access, unit, cells, problems=[upload], status=400)
    filename, content = upload
    job = await request_import(request.app.stores.get(JOBS_STORE), access, unit, filename, content)
    return Redirect(path=f"/t/{_slug(request)}/jobs/{job.id}", status_code=303)


async def uploaded_sheet(request: Request[Any, Any, Any]) -> tuple[str, bytes] | ImportProblem:
    """The posted file's name and bytes, or the problem that refuses it."""
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        message = "Hãy chọn tệp Excel (.xlsx) hoặc CSV để nhập."
        return ImportProblem(row=0, column="", message=message)
    content = await upload.read()
    if len(content) > MAX_BYTES:
        return ImportProblem(row=0, column="", message=TOO_BIG)
    return upload.filename, content


def xlsx_download(content: bytes, name: str) -> Response:
    """An XLSX file to save, named ``name``."""
    return Response(
        content=content,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": attachment_disposition(name)},
    )


@get(
    "/units/{unit_id:int}/members/template.xlsx",
    summary="The member import template",
    include_in_schema=False,
)
async def import_template(access: NamedDependency[Access], unit_id: FromPath[int]) -> Response:
    _, cells = await _manageable(access, unit_id)
    return xlsx_download(member_template(cells), "mẫu-nhập-đảng-viên.xlsx")


async def render_member(
    request: Request[Any, Any, Any],
    access: Access,
    member_id: int,
    *,
    done: str = "",
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    member = await get_member(access, member_id)
    unit = await get_visible_unit(access, member.unit_id)
    today = today_in_vietnam()
    can_edit = member.ended_on is None and access.can(unit.path, WRITE)
    targets = [c for c in await cells_under(access, None) if c.id != unit.id] if can_edit else []
    return Template(
        template_name="member.html",
        context=page_context(
            request,
            access,
            member=member,
            unit=unit,
            unit_open=in_force_on(unit, today),
            history=(await member_history(access, member_id)).items,
            helping=await helping_count(member_id, today),
            can_edit=can_edit,
            targets=targets,
            errors=errors or {},
            form={"on": _today_text(), "end_on": _today_text(), **(form or {})},
            done=done,
            done_messages=DONE_MESSAGES,
            sex_labels=SEX_LABELS,
            status_labels=MEMBER_STATUS_LABELS,
            end_reason_labels=END_REASON_LABELS,
            change_labels=MEMBER_CHANGE_LABELS,
            date_hint=DATE_HINT,
        ),
        status_code=status,
    )


@get("/members/{member_id:int}", summary="A Party member", include_in_schema=False)
async def member_page(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    member_id: FromPath[int],
    done: Annotated[str, QueryParameter(max_length=32)] = "",
) -> Template:
    return await render_member(request, access, member_id, done=done)


def _done(request: Request[Any, Any, Any], member_id: int, done: str) -> Redirect:
    return Redirect(path=f"/t/{_slug(request)}/members/{member_id}?done={done}", status_code=303)


@post(
    "/members/{member_id:int}/transfer",
    summary="Transfer a Party member to another cell",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def transfer_submit(
    request: Request[Any, Any, Any], access: NamedDependency[Access], member_id: FromPath[int]
) -> Template | Redirect:
    await get_member(access, member_id)
    raw = await form_data(request)
    errors: dict[str, str] = {}
    target = raw.get("to_unit_id", "")
    if not ascii_digits(target):
        errors["to_unit_id"] = "Hãy chọn chi bộ nhận."
    on = day_field(raw, "on", errors, "ngày chuyển")
    reason = raw.get("reason", "").strip()
    if len(reason) > 1000:
        errors["reason"] = "Căn cứ, lý do tối đa 1000 ký tự."
    version = version_of(raw)
    if not errors and on is not None and version is not None:
        data = MemberTransfer(version=version, to_unit_id=int(target), on=on, reason=reason)
        try:
            async with atomic():
                await transfer_member(access, member_id, data)
        except (InvalidInput, Conflict) as error:
            field = error.field if error.field in ("on", "reason") else "to_unit_id"
            errors[field] = message_of(error)
        else:
            return _done(request, member_id, "transferred")
    return await render_member(
        request, access, member_id, errors=errors, form={**raw, "action": "transfer"}, status=400
    )


@post(
    "/members/{member_id:int}/end",
    summary="End a Party member's membership here",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def end_submit(
    request: Request[Any, Any, Any], access: NamedDependency[Access], member_id: FromPath[int]
) -> Template | Redirect:
    await get_member(access, member_id)
    raw = await form_data(request)
    errors: dict[str, str] = {}
    reason = raw.get("end_reason", "")
    if reason not in END_REASON_LABELS:
        errors["end_reason"] = "Hãy chọn lý do kết thúc sinh hoạt."
    on = day_field(raw, "end_on", errors, "ngày kết thúc")
    note = raw.get("note", "").strip()
    if len(note) > 1000:
        errors["note"] = "Ghi chú tối đa 1000 ký tự."
    elif reason == "other" and not note:
        errors["note"] = "Hãy ghi rõ lý do."
    version = version_of(raw)
    if not errors and on is not None and version is not None:
        data = MemberEnd(version=version, on=on, reason=reason, note=note)  # type: ignore[arg-type]
        try:
            async with atomic():
                await end_membership(access, member_id, data)
        except (InvalidInput, Conflict) as error:
            field = {"on": "end_on", "version": "end_reason"}.get(error.field or "", error.field)
            errors[field or "end_reason"] = message_of(error)
        else:
            return _done(request, member_id, "ended")
    return await render_member(
        request, access, member_id, errors=errors, form={**raw, "action": "end"}, status=400
    )


ROUTES = [
    members_page,
    new_member_page,
    new_member_submit,
    import_page,
    import_submit,
    import_template,
    member_page,
    transfer_submit,
    end_submit,
]
