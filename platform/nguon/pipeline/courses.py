"""Party awareness courses: a district-level committee opens one, enrols the people on
its accepted course-nominee lists, records attendance and completion, and issues the
certificates whose validity the tenant's rules package sets.

The course is run by the committee's political training centre when it has one,
otherwise by its organisation board (``training_centre`` is then empty).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from nguon.accounts.permissions import READ, WRITE, Access, Role, visible_row
from nguon.audit.service import changed_fields, record_event
from nguon.clock import today_in_vietnam
from nguon.errors import Conflict, Forbidden, InvalidInput, NotFound
from nguon.org.tables import OrgUnit
from nguon.org.visibility import unit_in_reach
from nguon.people.tables import Candidate
from nguon.pipeline.course_schemas import (
    CertificateIssue,
    CourseCreate,
    CourseDetail,
    CourseList,
    CourseOut,
    CourseUpdate,
    EnrolmentCreate,
    EnrolmentOut,
    EnrolmentUpdate,
    ExpiredCertificate,
    ExpiredCertificateList,
    ReasonOut,
)
from nguon.pipeline.evaluation import evaluate_rows
from nguon.pipeline.stage_guards import require_accepted_list, require_attendance
from nguon.pipeline.stage_machine import StageRefused
from nguon.pipeline.stages import (
    actor_of,
    change_stage,
    enrolment_day,
    require_transition,
    stale_message,
    visible_candidate,
)
from nguon.pipeline.tables import Course, CourseEnrolment
from nguon.rules.facts import add_months
from nguon.rules.registry import load_package
from nguon.tenancy.context import require_tenant
from nguon.tenancy.package import tenant_package, tenant_package_id
from nguon.tenancy.scoped import in_tenant
from nguon.text import nfc

APPROVE: Role = "approver"
COURSE_NOMINEES_STEP = "course_nominees"
VALIDITY_PARAMETER = "certificate_validity_months"
EXPIRED_REASON = "certificate_expired"
# Stages in which a certificate still matters (admitted and removed people are done).
CERTIFICATE_STAGES = ("certified", "admission_source", "admission_in_progress")


def _today() -> dt.date:
    return today_in_vietnam()


def course_out(row: dict[str, Any], enrolled: int) -> CourseOut:
    return CourseOut(
        id=row["id"],
        organiser_unit_id=row["organiser_unit"],
        training_centre_id=row["training_centre"],
        run_by="political_training_centre" if row["training_centre"] else "organisation_board",
        title=row["title"],
        opens_on=row["opens_on"],
        closes_on=row["closes_on"],
        sessions_total=row["sessions_total"],
        state=row["state"],
        enrolled=enrolled,
        version=row["version"],
    )


def enrolment_out(row: dict[str, Any], candidate: dict[str, Any]) -> EnrolmentOut:
    return EnrolmentOut(
        id=row["id"],
        course_id=row["course"],
        candidate_id=row["candidate"],
        candidate_name=candidate["full_name"],
        candidate_stage=candidate["stage"],
        source_list_id=row["source_list"],
        attended_sessions=row["attended_sessions"],
        completed=row["completed"],
        certificate_number=row["certificate_number"],
        certificate_date=row["certificate_date"],
        certificate_valid_until=row["certificate_valid_until"],
        version=row["version"],
    )


def certificate_valid_until(package_id: str, issued_on: dt.date) -> dt.date:
    """The first day a certificate issued on ``issued_on`` is no longer valid.

    A certificate older than the parameter's first value is judged by that first value
    (the earliest rule the package knows), never refused.
    """
    package = load_package(package_id)
    first = min(value.valid_from for value in package.parameters[VALIDITY_PARAMETER].values)
    months = int(package.parameter(VALIDITY_PARAMETER, max(issued_on, first)))
    return add_months(issued_on, months)


async def _organiser_unit(access: Access, unit_id: int, on: dt.date) -> dict[str, Any]:
    unit = await unit_in_reach(access, unit_id)
    if not access.can(unit["path"], APPROVE):
        raise Forbidden(
            "Chỉ người có quyền phê duyệt ở cấp ủy tổ chức lớp mới mở được lớp / "
            "Opening a course needs the approver role on the organising committee"
        )
    package = await tenant_package()
    if package.course_organiser_on(unit["kind"], on) is None:
        raise InvalidInput(
            "Chỉ Ban Thường vụ cấp ủy cấp huyện (hoặc tương đương) mở lớp bồi dưỡng nhận thức "
            f"về Đảng; đơn vị loại {unit['kind']} không mở lớp / "
            f"A unit of kind {unit['kind']} does not organise courses: organiser_unit_id",
            field="organiser_unit_id",
        )
    return unit


async def _training_centre(unit: dict[str, Any], on: dt.date) -> int | None:
    """The unit that runs the organiser's course: its child of the package's runner kind
    (a political training centre) where it has one; None means the organisation board."""
    organiser = (await tenant_package()).course_organiser_on(unit["kind"], on)
    if organiser is None or organiser.runner_kind is None:
        return None
    row = await (
        OrgUnit.select(OrgUnit.id)
        .where(
            in_tenant(OrgUnit),
            OrgUnit.parent == unit["id"],
            OrgUnit.kind == organiser.runner_kind,
            OrgUnit.valid_from <= on,
            OrgUnit.valid_to.is_null() | (OrgUnit.valid_to > on),
        )
        .order_by(OrgUnit.id)
        .first()
        .run()
    )
    return row["id"] if row else None


def _check_course_dates(opens_on: dt.date, closes_on: dt.date) -> None:
    if closes_on < opens_on:
        raise InvalidInput(
            "Ngày bế giảng trước ngày khai giảng / closes_on is before opens_on",
            field="closes_on",
        )


async def _course_row(access: Access, course_id: int, role: Role = READ) -> dict[str, Any]:
    row = await visible_row(access, Course, Course.organiser_path, course_id, "course")
    if not access.can(row["organiser_path"], role):
        raise Forbidden("Bạn không có quyền với lớp này / Your role does not allow this")
    return row


async def _enrolled_counts(course_ids: list[int]) -> dict[int, int]:
    if not course_ids:
        return {}
    rows = await (
        CourseEnrolment.select(CourseEnrolment.course)
        .where(in_tenant(CourseEnrolment), CourseEnrolment.course.is_in(course_ids))
        .run()
    )
    counts: dict[int, int] = dict.fromkeys(course_ids, 0)
    for row in rows:
        counts[row["course"]] += 1
    return counts


def _course_audit(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("organiser_unit", "training_centre", "title", "opens_on", "closes_on")
    return {k: row[k] for k in (*keys, "sessions_total", "state")}


async def open_course(access: Access, data: CourseCreate) -> CourseOut:
    unit = await _organiser_unit(access, data.organiser_unit_id, data.opens_on)
    _check_course_dates(data.opens_on, data.closes_on)
    title = nfc(data.title).strip()
    if not title:
        raise InvalidInput("Tên lớp không được để trống / title is empty", field="title")
    course = Course(
        tenant_id=require_tenant(),
        organiser_unit=unit["id"],
        organiser_path=unit["path"],
        training_centre=await _training_centre(unit, data.opens_on),
        title=title,
        opens_on=data.opens_on,
        closes_on=data.closes_on,
        sessions_total=data.sessions_total,
    )
    await course.save().run()
    row = await _course_row(access, course.id)
    await record_event(actor_of(access), "create", "course", row["id"], None, _course_audit(row))
    return course_out(row, 0)


async def list_courses(access: Access, unit_id: int | None = None) -> CourseList:
    clause = access.visibility(Course.organiser_path)
    if clause is None:
        return CourseList(items=[])
    query = Course.select().where(in_tenant(Course), clause)
    if unit_id is not None:
        unit = (
            await OrgUnit.select(OrgUnit.path)
            .where(in_tenant(OrgUnit), OrgUnit.id == unit_id)
            .first()
            .run()
        )
        if unit is None or not access.can_see(unit["path"]):
            raise NotFound("unit")
        query = query.where(Course.organiser_path.like(f"{unit['path']}%"))
    rows = await query.order_by(Course.opens_on, ascending=False).order_by(Course.id).run()
    counts = await _enrolled_counts([r["id"] for r in rows])
    return CourseList(items=[course_out(r, counts[r["id"]]) for r in rows])


async def _enrolments(course_id: int) -> list[EnrolmentOut]:
    rows = await (
        CourseEnrolment.select()
        .where(in_tenant(CourseEnrolment), CourseEnrolment.course == course_id)
        .order_by(CourseEnrolment.id)
        .run()
    )
    candidates = await _candidates_by_id([r["candidate"] for r in rows])
    return [enrolment_out(r, candidates[r["candidate"]]) for r in rows]


async def _candidates_by_id(ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    rows = await (
        Candidate.select(Candidate.id, Candidate.full_name, Candidate.stage)
        .where(in_tenant(Candidate), Candidate.id.is_in(ids))
        .run()
    )
    return {r["id"]: r for r in rows}


async def get_course(access: Access, course_id: int) -> CourseDetail:
    row = await _course_row(access, course_id)
    enrolments = await _enrolments(course_id)
    return CourseDetail(course=course_out(row, len(enrolments)), enrolments=enrolments)


async def update_course(access: Access, course_id: int, data: CourseUpdate) -> CourseOut:
    current = await _course_row(access, course_id, APPROVE)
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    if changes.pop("version") != current["version"]:
        raise Conflict(stale_message("course"), field="version")
    if "title" in changes:
        changes["title"] = nfc(changes["title"]).strip()
        if not changes["title"]:
            raise InvalidInput("Tên lớp không được để trống / title is empty", field="title")
    _check_course_dates(
        changes.get("opens_on", current["opens_on"]), changes.get("closes_on", current["closes_on"])
    )
    updated = await (
        Course.update({**changes, "version": current["version"] + 1})
        .where(in_tenant(Course), Course.id == course_id, Course.version == current["version"])
        .returning(Course.id)
        .run()
    )
    if not updated:
        raise Conflict(stale_message("course"), field="version")
    row = await _course_row(access, course_id)
    before, after = changed_fields(_course_audit(current), _course_audit(row))
    await record_event(actor_of(access), "update", "course", course_id, before, after)
    return course_out(row, (await _enrolled_counts([course_id]))[course_id])


async def enrol_candidate(access: Access, course_id: int, data: EnrolmentCreate) -> EnrolmentOut:
    course = await _course_row(access, course_id, WRITE)
    if course["state"] != "open":
        raise InvalidInput("Lớp đã kết thúc / The course is closed: course_id", field="course_id")
    candidate = await visible_candidate(access, data.candidate_id)
    if not candidate["unit_path"].startswith(course["organiser_path"]):
        raise InvalidInput(
            "Quần chúng không thuộc cấp ủy tổ chức lớp / "
            "The candidate is outside the organising committee: candidate_id",
            field="candidate_id",
        )
    transition = await require_transition(candidate, "course_nominee_list", "candidate_id")
    list_id = await require_accepted_list(
        candidate,
        COURSE_NOMINEES_STEP,
        transition.clause_id,
        "candidate_id",
        course["organiser_path"],
    )
    existing = await (
        CourseEnrolment.select(CourseEnrolment.id)
        .where(
            in_tenant(CourseEnrolment),
            CourseEnrolment.course == course_id,
            CourseEnrolment.candidate == candidate["id"],
        )
        .first()
        .run()
    )
    if existing is not None:
        raise Conflict(
            "Quần chúng đã có trong lớp này / The candidate is already enrolled: candidate_id",
            field="candidate_id",
        )
    actor = actor_of(access)
    if candidate["stage"] != "course_nominee":
        candidate = await change_stage(
            actor,
            candidate,
            "course_nominee_list",
            await enrolment_day(candidate["id"], course["opens_on"]),
            reason=f"Ghi danh lớp «{course['title']}»",
            justification=f"Có tên trong danh sách giới thiệu học lớp đã chấp nhận (số {list_id})",
            field="candidate_id",
        )
    enrolment = CourseEnrolment(
        tenant_id=require_tenant(),
        course=course_id,
        candidate=candidate["id"],
        source_list=list_id,
    )
    await enrolment.save().run()
    await record_event(
        actor,
        "enrol",
        "course_enrolment",
        enrolment.id,
        None,
        {"course": course_id, "candidate": candidate["id"], "source_list": list_id},
    )
    return await _enrolment(course_id, enrolment.id)


async def _enrolment_row(course_id: int, enrolment_id: int) -> dict[str, Any]:
    row = await (
        CourseEnrolment.select()
        .where(
            in_tenant(CourseEnrolment),
            CourseEnrolment.id == enrolment_id,
            CourseEnrolment.course == course_id,
        )
        .first()
        .run()
    )
    if row is None:
        raise NotFound("enrolment")
    return row


async def _enrolment(course_id: int, enrolment_id: int) -> EnrolmentOut:
    row = await _enrolment_row(course_id, enrolment_id)
    candidates = await _candidates_by_id([row["candidate"]])
    return enrolment_out(row, candidates[row["candidate"]])


async def _save_enrolment(current: dict[str, Any], values: dict[str, Any]) -> None:
    updated = await (
        CourseEnrolment.update({**values, "version": current["version"] + 1})
        .where(
            in_tenant(CourseEnrolment),
            CourseEnrolment.id == current["id"],
            CourseEnrolment.version == current["version"],
        )
        .returning(CourseEnrolment.id)
        .run()
    )
    if not updated:
        raise Conflict(stale_message("enrolment"), field="version")


async def update_enrolment(
    access: Access, course_id: int, enrolment_id: int, data: EnrolmentUpdate
) -> EnrolmentOut:
    course = await _course_row(access, course_id, WRITE)
    current = await _enrolment_row(course_id, enrolment_id)
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    if changes.pop("version") != current["version"]:
        raise Conflict(stale_message("enrolment"), field="version")
    attended = changes.get("attended_sessions", current["attended_sessions"])
    if course["sessions_total"] and attended > course["sessions_total"]:
        raise InvalidInput(
            f"Số buổi dự học vượt quá số buổi của lớp ({course['sessions_total']}) / "
            "More sessions attended than the course has: attended_sessions",
            field="attended_sessions",
        )
    if changes.get("completed") is False and current["certificate_number"]:
        raise InvalidInput(
            "Đã cấp giấy chứng nhận, không thể bỏ hoàn thành / "
            "A certificate was issued; completion cannot be withdrawn: completed",
            field="completed",
        )
    if "completed" in changes or "attended_sessions" in changes:
        await _check_course_result(course, current, attended, changes)
    await _save_enrolment(current, changes)
    before, after = changed_fields({k: current[k] for k in changes}, changes)
    await record_event(actor_of(access), "update", "course_enrolment", enrolment_id, before, after)
    return await _enrolment(course_id, enrolment_id)


def _result_day(course: dict[str, Any]) -> dt.date:
    """The day a course result is judged on: the course's last day, or today before it."""
    return min(course["closes_on"], _today())


async def _enrolled_candidate(enrolment: dict[str, Any]) -> dict[str, Any]:
    candidate = await (
        Candidate.select()
        .where(in_tenant(Candidate), Candidate.id == enrolment["candidate"])
        .first()
        .run()
    )
    if candidate is None:
        raise NotFound("candidate")
    return candidate


async def _check_course_result(
    course: dict[str, Any], current: dict[str, Any], attended: int, changes: dict[str, Any]
) -> None:
    """A course result is the machine's ``course_result`` event: only for a course nominee,
    and completion needs the attendance the rules package sets."""
    unchanged = all(current[k] == v for k, v in changes.items())
    if unchanged:
        return
    candidate = await _enrolled_candidate(current)
    field = "completed" if "completed" in changes else "attended_sessions"
    transition = await require_transition(candidate, "course_result", field, _result_day(course))
    if changes.get("completed", current["completed"]):
        require_attendance(
            await tenant_package(), course, attended, _result_day(course), transition.clause_id
        )


async def _ensure_certificate_number_free(number: str) -> None:
    used = await (
        CourseEnrolment.select(CourseEnrolment.id)
        .where(in_tenant(CourseEnrolment), CourseEnrolment.certificate_number == number)
        .first()
        .run()
    )
    held = await (
        Candidate.select(Candidate.id)
        .where(in_tenant(Candidate), Candidate.certificate_number == number)
        .first()
        .run()
    )
    if used is not None or held is not None:
        raise Conflict(
            f"Số giấy chứng nhận {number} đã được cấp / Certificate number already issued: number",
            field="number",
        )


async def issue_certificate(
    access: Access, course_id: int, enrolment_id: int, data: CertificateIssue
) -> EnrolmentOut:
    """Record the certificate on the enrolment and the candidate; the candidate becomes
    ``certified`` if the rules allow it."""
    course = await _course_row(access, course_id, APPROVE)
    current = await _enrolment_row(course_id, enrolment_id)
    if data.version != current["version"]:
        raise Conflict(stale_message("enrolment"), field="version")
    if current["certificate_number"]:
        raise Conflict(
            "Đã cấp giấy chứng nhận cho người này / A certificate was already issued: number",
            field="number",
        )
    if not current["completed"]:
        raise StageRefused(
            "Chưa ghi nhận hoàn thành khóa học, chưa thể cấp giấy chứng nhận",
            message_en="Completion of the course is not recorded: no certificate yet "
            "[hd01.course.attendance]",
            field="completed",
            clause_id="hd01.course.attendance",
        )
    require_attendance(
        await tenant_package(),
        course,
        current["attended_sessions"],
        _result_day(course),
        "hd01.course.attendance",
    )
    if data.date > _today():
        raise InvalidInput("Ngày cấp ở tương lai / Date is in the future: date", field="date")
    if data.date < course["opens_on"]:
        raise InvalidInput(
            "Ngày cấp trước ngày khai giảng / The date is before the course opened: date",
            field="date",
        )
    number = nfc(data.number).strip()
    if not number:
        raise InvalidInput("Số giấy chứng nhận trống / number is empty", field="number")
    await _ensure_certificate_number_free(number)
    valid_until = certificate_valid_until(await tenant_package_id(), data.date)
    candidate = await _enrolled_candidate(current)
    actor = actor_of(access)
    await change_stage(
        actor,
        candidate,
        "certificate",
        data.date,
        reason=f"Giấy chứng nhận số {number}, lớp «{course['title']}»",
        values={"certificate_number": number, "certificate_date": data.date},
        field="date",
    )
    values = {
        "certificate_number": number,
        "certificate_date": data.date,
        "certificate_valid_until": valid_until,
    }
    await _save_enrolment(current, values)
    await record_event(actor, "issue_certificate", "course_enrolment", enrolment_id, None, values)
    return await _enrolment(course_id, enrolment_id)


async def expired_certificates(
    access: Access, on: dt.date | None = None, unit_id: int | None = None
) -> ExpiredCertificateList:
    """Candidates in the caller's view whose certificate the rules find expired on ``on``."""
    on = on or _today()
    clause = access.visibility(Candidate.unit_path)
    if clause is None:
        return ExpiredCertificateList(on=on, items=[])
    query = Candidate.select().where(
        in_tenant(Candidate),
        clause,
        Candidate.certificate_date.is_not_null(),
        Candidate.certificate_date <= on,
        Candidate.stage.is_in(list(CERTIFICATE_STAGES)),
    )
    if unit_id is not None:
        unit = (
            await OrgUnit.select(OrgUnit.path)
            .where(in_tenant(OrgUnit), OrgUnit.id == unit_id)
            .first()
            .run()
        )
        if unit is None or not access.can_see(unit["path"]):
            raise NotFound("unit")
        query = query.where(Candidate.unit_path.like(f"{unit['path']}%"))
    rows = await query.order_by(Candidate.certificate_date).order_by(Candidate.id).run()
    evaluations = await evaluate_rows(rows, on, ["admission_source_list", "admission_readiness"])
    package_id = await tenant_package_id()
    items: list[ExpiredCertificate] = []
    for row in rows:
        evaluation = evaluations[row["id"]]
        reasons: dict[str, ReasonOut] = {}
        for decision in evaluation.decisions.values():
            for reason in decision.reasons:
                if reason.code == EXPIRED_REASON:
                    reasons[reason.rule_id or reason.code] = ReasonOut(
                        code=reason.code, clause_id=reason.clause_id, message_vi=reason.message_vi
                    )
        if not reasons:
            continue
        items.append(
            ExpiredCertificate(
                candidate_id=row["id"],
                full_name=row["full_name"],
                unit_id=row["unit"],
                stage=row["stage"],
                certificate_number=row["certificate_number"],
                certificate_date=row["certificate_date"],
                expired_on=certificate_valid_until(package_id, row["certificate_date"]),
                reasons=list(reasons.values()),
            )
        )
    return ExpiredCertificateList(on=on, items=items)
