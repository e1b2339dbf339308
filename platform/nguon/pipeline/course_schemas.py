"""Request and response bodies for courses, enrolments and certificates.

Request types forbid unknown fields: a misspelt field is an error naming it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
Sessions = Annotated[int, msgspec.Meta(ge=0, le=1000)]
CertificateNumber = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
CourseState = Literal["open", "closed"]
RunBy = Literal["political_training_centre", "organisation_board"]


class CourseCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    organiser_unit_id: int
    title: Title
    opens_on: dt.date
    closes_on: dt.date
    sessions_total: Sessions = 0


class CourseUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A partial update: only the fields present change. ``version`` is the one read."""

    version: int
    title: Title | UnsetType = UNSET
    opens_on: dt.date | UnsetType = UNSET
    closes_on: dt.date | UnsetType = UNSET
    sessions_total: Sessions | UnsetType = UNSET
    state: CourseState | UnsetType = UNSET


class CourseOut(msgspec.Struct, kw_only=True):
    id: int
    organiser_unit_id: int
    training_centre_id: int | None
    run_by: RunBy
    title: str
    opens_on: dt.date
    closes_on: dt.date
    sessions_total: int
    state: str
    enrolled: int
    version: int


class CourseList(msgspec.Struct, kw_only=True):
    items: list[CourseOut]
    next: str | None = None
    """The cursor of the next page while more follow (send it back as ``cursor``)."""


class EnrolmentCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    candidate_id: int


class EnrolmentUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Attendance and completion. ``version`` is the enrolment's version read."""

    version: int
    attended_sessions: Sessions | UnsetType = UNSET
    completed: bool | UnsetType = UNSET


class CertificateIssue(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    version: int
    number: CertificateNumber
    date: dt.date


class EnrolmentOut(msgspec.Struct, kw_only=True):
    id: int
    course_id: int
    candidate_id: int
    candidate_name: str
    candidate_stage: str
    source_list_id: int | None
    attended_sessions: int
    completed: bool
    certificate_number: str | None
    certificate_date: dt.date | None
    certificate_valid_until: dt.date | None
    version: int


class CourseDetail(msgspec.Struct, kw_only=True):
    course: CourseOut
    enrolments: list[EnrolmentOut]


class ReasonOut(msgspec.Struct, kw_only=True):
    code: str
    clause_id: str | None
    message_vi: str


class ExpiredCertificate(msgspec.Struct, kw_only=True):
    candidate_id: int
    full_name: str
    unit_id: int
    stage: str
    certificate_number: str | None
    certificate_date: dt.date
    expired_on: dt.date
    reasons: list[ReasonOut]


class ExpiredCertificateList(msgspec.Struct, kw_only=True):
    on: dt.date
    items: list[ExpiredCertificate]
    next: str | None = None
    """The cursor of the next page while more follow (send it back as ``cursor``)."""
