"""Courses, enrolments, certificates and expired certificates over the JSON API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from nguon.accounts.permissions import Access
from nguon.pipeline import courses
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
    ExpiredCertificateList,
)
from nguon.pipeline.events import pipeline_transaction

UnitFilter = Annotated[int | None, QueryParameter(description="Only this unit and its subtree")]
OnDate = Annotated[dt.date | None, QueryParameter(description="The date to judge on (today)")]


class CourseController(Controller):
    path = "/courses"
    tags: ClassVar[list[str]] = ["courses"]

    @post("/", summary="Open a Party awareness course (approver of a district-level committee)")
    async def open_course(
        self, access: NamedDependency[Access], data: JSONBody[CourseCreate]
    ) -> CourseOut:
        async with pipeline_transaction():
            return await courses.open_course(access, data)

    @get("/", summary="Courses organised in the caller's units")
    async def list_courses(
        self, access: NamedDependency[Access], unit_id: UnitFilter = None
    ) -> CourseList:
        return await courses.list_courses(access, unit_id)

    @get("/{course_id:int}", summary="One course and its enrolments")
    async def get_course(
        self, access: NamedDependency[Access], course_id: FromPath[int]
    ) -> CourseDetail:
        return await courses.get_course(access, course_id)

    @patch("/{course_id:int}", summary="Change a course (send the version you read)")
    async def update_course(
        self,
        access: NamedDependency[Access],
        course_id: FromPath[int],
        data: JSONBody[CourseUpdate],
    ) -> CourseOut:
        async with pipeline_transaction():
            return await courses.update_course(access, course_id, data)

    @post("/{course_id:int}/enrolments", summary="Enrol a candidate from an accepted list")
    async def enrol(
        self,
        access: NamedDependency[Access],
        course_id: FromPath[int],
        data: JSONBody[EnrolmentCreate],
    ) -> EnrolmentOut:
        async with pipeline_transaction():
            return await courses.enrol_candidate(access, course_id, data)

    @patch(
        "/{course_id:int}/enrolments/{enrolment_id:int}",
        summary="Record attendance and completion (send the version you read)",
    )
    async def update_enrolment(
        self,
        access: NamedDependency[Access],
        course_id: FromPath[int],
        enrolment_id: FromPath[int],
        data: JSONBody[EnrolmentUpdate],
    ) -> EnrolmentOut:
        async with pipeline_transaction():
            return await courses.update_enrolment(access, course_id, enrolment_id, data)

    @post(
        "/{course_id:int}/enrolments/{enrolment_id:int}/certificate",
        summary="Issue the course certificate; the candidate becomes certified",
    )
    async def issue_certificate(
        self,
        access: NamedDependency[Access],
        course_id: FromPath[int],
        enrolment_id: FromPath[int],
        data: JSONBody[CertificateIssue],
    ) -> EnrolmentOut:
        async with pipeline_transaction():
            return await courses.issue_certificate(access, course_id, enrolment_id, data)


class CertificateController(Controller):
    path = "/certificates"
    tags: ClassVar[list[str]] = ["courses"]

    @get("/expired", summary="Candidates whose certificate the rules find expired")
    async def expired(
        self, access: NamedDependency[Access], on: OnDate = None, unit_id: UnitFilter = None
    ) -> ExpiredCertificateList:
        return await courses.expired_certificates(access, on, unit_id)
