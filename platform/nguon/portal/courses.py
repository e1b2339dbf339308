"""Course pages: a committee's courses, opening one, enrolling people from accepted
nominee lists, attendance and completion, certificates."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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
from nguon.errors import Conflict, InvalidInput, NotFound
from nguon.org.visibility import get_visible_unit
from nguon.pipeline.course_schemas import (
    CertificateIssue,
    CourseCreate,
    CourseDetail,
    EnrolmentCreate,
    EnrolmentUpdate,
)
from nguon.pipeline.courses import (
    COURSE_NOMINEES_STEP,
    enrol_candidate,
    get_course,
    issue_certificate,
    list_courses,
    open_course,
    update_enrolment,
)
from nguon.pipeline.events import pipeline_transaction
from nguon.pipeline.tables import ListEntry
from nguon.portal.context import page_context
from nguon.portal.forms import date_field, form_data, form_list, message_of, whole_number
from nguon.tenancy.package import tenant_package
from nguon.tenancy.scoped import in_tenant
from nguon.text import ascii_digits

APPROVE = "approver"
DONE_MESSAGES = {
    "opened": "Đã mở lớp.",
    "enrolled": "Đã ghi danh.",
    "updated": "Đã cập nhật kết quả học.",
    "certified": "Đã cấp giấy chứng nhận.",
}


class Nominee(msgspec.Struct):
    candidate_id: int
    full_name: str
    unit_name: str
    list_id: int


def _slug(request: Request[Any, Any, Any]) -> str:
    return tenant_of(request.scope).slug


# --- a committee's courses -------------------------------------------------------------


async def _courses_page(
    request: Request[Any, Any, Any],
    access: Access,
    unit_id: int,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    unit = await get_visible_unit(access, unit_id)
    courses = await list_courses(access, unit_id)
    return Template(
        template_name="courses.html",
        context=page_context(
            request,
            access,
            unit=unit,
            courses=courses.items,
            can_open=access.can(unit.path, APPROVE)
            and (await tenant_package()).course_organiser_on(unit.kind, today_in_vietnam())
            is not None,
            form=form or {},
            errors=errors or {},
        ),
        status_code=status,
    )


@get("/units/{unit_id:int}/courses", summary="A committee's courses", include_in_schema=False)
async def courses_page(
    request: Request[Any, Any, Any], access: NamedDependency[Access], unit_id: FromPath[int]
) -> Template:
    return await _courses_page(request, access, unit_id)


@post(
    "/units/{unit_id:int}/courses",
    summary="Open a course",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def open_course_submit(
    request: Request[Any, Any, Any], access: NamedDependency[Access], unit_id: FromPath[int]
) -> Template | Redirect:
    await get_visible_unit(access, unit_id)
    raw = await form_data(request)
    errors: dict[str, str] = {}
    title = raw.get("title", "").strip()
    if not title:
        errors["title"] = "Hãy nhập tên lớp."
    elif len(title) > 300:
        errors["title"] = "Tên lớp tối đa 300 ký tự."
    opens_on = date_field(raw, "opens_on", errors, "ngày khai giảng")
    closes_on = date_field(raw, "closes_on", errors, "ngày bế giảng")
    sessions = whole_number(raw, "sessions_total", errors, "số buổi học")
    if not errors and opens_on and closes_on:
        try:
            async with pipeline_transaction():
                course = await open_course(
                    access,
                    CourseCreate(
                        organiser_unit_id=unit_id,
                        title=title,
                        opens_on=opens_on,
                        closes_on=closes_on,
                        sessions_total=min(sessions, 1000),
                    ),
                )
        except (InvalidInput, Conflict) as error:
            errors[error.field if error.field in raw else "title"] = message_of(error)
        else:
            return Redirect(
                path=f"/t/{_slug(request)}/courses/{course.id}?done=opened", status_code=303
            )
    return await _courses_page(request, access, unit_id, form=raw, errors=errors, status=400)


# --- one course ------------------------------------------------------------------------


async def nominees(detail: CourseDetail, organiser_path: str) -> list[Nominee]:
    """People on accepted course-nominee lists under the organiser, not yet enrolled."""
    rows = await (
        ListEntry.select(
            ListEntry.candidate,
            ListEntry.candidate.full_name,
            ListEntry.candidate.unit.name,
            ListEntry.candidate_list,
        )
        .where(
            in_tenant(ListEntry),
            ListEntry.included == True,  # noqa: E712 (a SQL comparison)
            ListEntry.candidate_list.step == COURSE_NOMINEES_STEP,
            ListEntry.candidate_list.state == "accepted",
            ListEntry.candidate_list.unit_path.like(f"{organiser_path}%"),
        )
        .order_by(ListEntry.candidate.name_search)
        .run()
    )
    enrolled = {e.candidate_id for e in detail.enrolments}
    found: dict[int, Nominee] = {}
    for r in rows:
        if r["candidate"] in enrolled or r["candidate"] in found:
            continue
        found[r["candidate"]] = Nominee(
            candidate_id=r["candidate"],
            full_name=r["candidate.full_name"],
            unit_name=r["candidate.unit.name"],
            list_id=r["candidate_list"],
        )
    return list(found.values())


async def _course_page(
    request: Request[Any, Any, Any],
    access: Access,
    course_id: int,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    done: str = "",
    status: int = 200,
) -> Template:
    detail = await get_course(access, course_id)
    unit = await get_visible_unit(access, detail.course.organiser_unit_id)
    return Template(
        template_name="course.html",
        context=page_context(
            request,
            access,
            detail=detail,
            course=detail.course,
            unit=unit,
            nominees=await nominees(detail, unit.path),
            can_edit=access.can(unit.path, WRITE) and detail.course.state == "open",
            can_certify=access.can(unit.path, APPROVE),
            errors=errors or {},
            form=form or {},
            done=DONE_MESSAGES.get(done, ""),
        ),
        status_code=status,
    )


@get("/courses/{course_id:int}", summary="A course", include_in_schema=False)
async def course_page(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    course_id: FromPath[int],
    done: FromQuery[str] = "",
) -> Template:
    return await _course_page(request, access, course_id, done=done)


async def _run(
    request: Request[Any, Any, Any],
    access: Access,
    course_id: int,
    raw: dict[str, str],
    change: Callable[[], Awaitable[object]],
    done: str,
    field_prefix: str,
) -> Template | Redirect:
    try:
        async with pipeline_transaction():
            await change()
    except (InvalidInput, Conflict) as error:
        errors = {f"{field_prefix}{error.field or 'notice'}": message_of(error)}
        status = 409 if isinstance(error, Conflict) else 400
        return await _course_page(
            request, access, course_id, errors=errors, form=raw, status=status
        )
    return Redirect(path=f"/t/{_slug(request)}/courses/{course_id}?done={done}", status_code=303)


@post(
    "/courses/{course_id:int}/enrol",
    summary="Enrol people from accepted nominee lists",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def enrol(
    request: Request[Any, Any, Any], access: NamedDependency[Access], course_id: FromPath[int]
) -> Template | Redirect:
    await get_course(access, course_id)
    raw = await form_data(request)
    chosen = [int(v) for v in await form_list(request, "candidate_id") if ascii_digits(v)]
    if not chosen:
        return await _course_page(
            request,
            access,
            course_id,
            errors={"enrol.candidate_id": "Hãy chọn ít nhất một người để ghi danh."},
            status=400,
        )

    async def change() -> None:
        for candidate_id in chosen:
            await enrol_candidate(access, course_id, EnrolmentCreate(candidate_id=candidate_id))

    return await _run(request, access, course_id, raw, change, "enrolled", "enrol.")


@post(
    "/courses/{course_id:int}/enrolments/{enrolment_id:int}",
    summary="Record attendance and completion",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def attendance(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    course_id: FromPath[int],
    enrolment_id: FromPath[int],
) -> Template | Redirect:
    detail = await get_course(access, course_id)
    if all(e.id != enrolment_id for e in detail.enrolments):
        raise NotFound("enrolment")
    raw = await form_data(request)
    prefix = f"e{enrolment_id}."
    errors: dict[str, str] = {}
    attended = whole_number(raw, f"{prefix}attended_sessions", errors, "số buổi dự học")
    version = raw.get("version", "")
    if errors or not ascii_digits(version):
        errors.setdefault(f"{prefix}notice", "Biểu mẫu thiếu phiên bản; hãy tải lại trang.")
        return await _course_page(request, access, course_id, errors=errors, form=raw, status=400)
    data = EnrolmentUpdate(
        version=int(version),
        attended_sessions=min(attended, 1000),
        completed=raw.get(f"{prefix}completed") == "on",
    )

    async def change() -> None:
        await update_enrolment(access, course_id, enrolment_id, data)

    return await _run(request, access, course_id, raw, change, "updated", prefix)


@post(
    "/courses/{course_id:int}/enrolments/{enrolment_id:int}/certificate",
    summary="Issue a certificate",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def certificate(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    course_id: FromPath[int],
    enrolment_id: FromPath[int],
) -> Template | Redirect:
    detail = await get_course(access, course_id)
    if all(e.id != enrolment_id for e in detail.enrolments):
        raise NotFound("enrolment")
    raw = await form_data(request)
    prefix = f"c{enrolment_id}."
    errors: dict[str, str] = {}
    number = raw.get(f"{prefix}number", "").strip()
    if not number:
        errors[f"{prefix}number"] = "Hãy nhập số giấy chứng nhận."
    elif len(number) > 64:
        errors[f"{prefix}number"] = "Số giấy chứng nhận tối đa 64 ký tự."
    issued_on = date_field(raw, f"{prefix}date", errors, "ngày cấp")
    version = raw.get("version", "")
    if errors or issued_on is None or not ascii_digits(version):
        return await _course_page(request, access, course_id, errors=errors, form=raw, status=400)
    data = CertificateIssue(version=int(version), number=number, date=issued_on)

    async def change() -> None:
        await issue_certificate(access, course_id, enrolment_id, data)

    return await _run(request, access, course_id, raw, change, "certified", prefix)


ROUTES = [courses_page, open_course_submit, course_page, enrol, attendance, certificate]
