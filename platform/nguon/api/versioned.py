"""Which API resources carry a version, where their answers hold it, and how to read it now.

One table for the whole API, keyed by the route's path template below ``/api/v1``: the
ETag middleware (``nguon.api.etags``) reads it to answer ``ETag``, honour ``If-Match`` and
``If-None-Match``, and name the current version in a 412.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import msgspec
from piccolo.table import Table

from nguon.people.tables import Candidate, Member
from nguon.pipeline.tables import AdmissionPlan, CandidateList, Course, CourseEnrolment
from nguon.tenancy.scoped import in_tenant

VersionLoader = Callable[[Mapping[str, Any]], Awaitable[int | None]]


class Resource(msgspec.Struct, frozen=True, kw_only=True):
    """A versioned resource as one route template serves it."""

    name: str
    load: VersionLoader
    """Its version now (``None``: no such row in the tenant), from the path parameters."""
    answer_path: tuple[str, ...] = ("version",)
    """Where the version sits in the JSON answers of its GET and writes."""
    body_field: str = "version"
    """The request body's field the If-Match version stands for."""
    precondition_required: bool = True
    """A write without ``If-Match`` and without the body's version is answered 428."""


def _by_id(table: type[Table], param: str) -> VersionLoader:
    async def load(params: Mapping[str, Any]) -> int | None:
        row = await (
            table.select(table._meta.get_column_by_name("version"))
            .where(in_tenant(table), table._meta.primary_key == int(params[param]))
            .first()
        )
        return None if row is None else int(row["version"])

    return load


async def _plan_version(params: Mapping[str, Any]) -> int | None:
    row = await (
        AdmissionPlan.select(AdmissionPlan.version)
        .where(
            in_tenant(AdmissionPlan),
            AdmissionPlan.unit == int(params["unit_id"]),
            AdmissionPlan.year == int(params["year"]),
        )
        .first()
    )
    return 0 if row is None else int(row["version"])


CANDIDATE = Resource(name="candidate", load=_by_id(Candidate, "candidate_id"))
MEMBER = Resource(name="member", load=_by_id(Member, "member_id"))
LIST = Resource(name="list", load=_by_id(CandidateList, "list_id"), answer_path=("list", "version"))
COURSE = Resource(name="course", load=_by_id(Course, "course_id"))
COURSE_DETAIL = Resource(
    name="course", load=_by_id(Course, "course_id"), answer_path=("course", "version")
)
ENROLMENT = Resource(name="enrolment", load=_by_id(CourseEnrolment, "enrolment_id"))
PLAN = Resource(name="plan", load=_plan_version, precondition_required=False)
"""Version 0 (or ``If-None-Match: *``) creates a plan, so a PUT may carry no version."""

_CANDIDATE = "/candidates/{candidate_id}"
_MEMBER = "/members/{member_id}"
_LIST = "/lists/{list_id}"
_COURSE = "/courses/{course_id}"
_ENROLMENT = "/courses/{course_id}/enrolments/{enrolment_id}"
_PLAN = "/plans/{unit_id}/{year}"

READS: dict[str, Resource] = {
    _CANDIDATE: CANDIDATE,
    _MEMBER: MEMBER,
    _LIST: LIST,
    _COURSE: COURSE_DETAIL,
    _PLAN: PLAN,
}
"""GET routes answering one versioned resource: ``ETag`` and ``If-None-Match`` (304)."""

WRITES: dict[tuple[str, str], Resource] = {
    ("PATCH", _CANDIDATE): CANDIDATE,
    ("POST", f"{_CANDIDATE}/propose-admission"): CANDIDATE,
    ("POST", f"{_CANDIDATE}/stage"): CANDIDATE,
    ("POST", f"{_MEMBER}/transfer"): MEMBER,
    ("POST", f"{_MEMBER}/end"): MEMBER,
    ("PATCH", _LIST): LIST,
    **{("POST", f"{_LIST}/{action}"): LIST for action in ("refresh", "adopt", "submit")},
    **{("POST", f"{_LIST}/{action}"): LIST for action in ("return", "accept")},
    ("PATCH", _COURSE): COURSE,
    ("PATCH", _ENROLMENT): ENROLMENT,
    ("POST", f"{_ENROLMENT}/certificate"): ENROLMENT,
    ("PUT", _PLAN): PLAN,
}
"""Writes of one versioned resource: ``If-Match`` honoured (412), a precondition required
(428), and the new ``ETag`` on success. Keys are Litestar path templates below the API."""


class Created(msgspec.Struct, frozen=True, kw_only=True):
    """A POST that creates a versioned resource: where its version and id sit in the 201."""

    version_path: tuple[str, ...] = ("version",)
    id_path: tuple[str, ...] = ("id",)


CREATES: dict[str, Created] = {
    "/candidates": Created(),
    "/members": Created(),
    "/lists": Created(version_path=("list", "version"), id_path=("list", "id")),
    "/courses": Created(),
    "/courses/{course_id}/enrolments": Created(),
}
"""Collections whose POST answers 201 with an ``ETag`` and the new resource's ``Location``."""

API_MARKER = "/api/v1"
_API_VERSION = re.compile(r"/api/v\d+(?=/|$)")


def api_template(path_template: str) -> str:
    """``/t/{tenant}/api/v1/lists/{list_id}`` (a route's ``path_format``) → ``/lists/{list_id}``;
    the same for every API version; ``""`` outside the API."""
    match = _API_VERSION.search(path_template)
    if match is None:
        return ""
    return path_template[match.end() :].rstrip("/") or "/"


def read_resource(method: str, path_template: str) -> Resource | None:
    return READS.get(api_template(path_template)) if method in ("GET", "HEAD") else None


def write_resource(method: str, path_template: str) -> Resource | None:
    return WRITES.get((method, api_template(path_template)))


def created_resource(method: str, path_template: str) -> Created | None:
    return CREATES.get(api_template(path_template)) if method == "POST" else None


def version_in(answer: Any, path: tuple[str, ...]) -> int | None:
    """The version found at ``path`` in a decoded JSON answer, if it is there."""
    for key in path:
        if not isinstance(answer, dict):
            return None
        answer = answer.get(key)
    return answer if isinstance(answer, int) and not isinstance(answer, bool) else None
