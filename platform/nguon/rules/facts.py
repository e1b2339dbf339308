"""Typed facts the platform hands to the rules, and their flat engine form.

The engine has no dates and compares strings bytewise, so everything dated is turned
into whole months here, enums stay codes, booleans become 0/1 and text is NFC.
"""

from __future__ import annotations

import calendar
import unicodedata
from datetime import date
from typing import Literal, get_args

import msgspec

Education = Literal[
    "none",
    "primary",
    "lower_secondary",
    "upper_secondary",
    "intermediate",
    "college",
    "university",
    "postgraduate",
]
PoliticalStandard = Literal["unchecked", "passed", "failed"]
Stage = Literal[
    "surveyed",
    "course_nominee",
    "certified",
    "admission_source",
    "admission_in_progress",
    "admitted",
    "removed",
]
Sex = Literal["male", "female"]

EDUCATION_LEVELS: tuple[str, ...] = get_args(Education)
POLITICAL_STANDARDS: tuple[str, ...] = get_args(PoliticalStandard)
STAGES: tuple[str, ...] = get_args(Stage)
SEXES: tuple[str, ...] = get_args(Sex)
REVIEW_PERIOD_KINDS: tuple[str, ...] = ("survey", "first_review", "supplement", "none")
ORGANISATION_INTRODUCTIONS: tuple[str, ...] = ("none", "youth_union", "trade_union")


class RoadDates(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """What has been recorded on one person's road (YAML ``road:`` in a case)."""

    cell_resolution: date | None = None
    grassroots_resolution: date | None = None
    extension_working_days: int = 0
    extensions: int = 0
    admission_decision: date | None = None
    recognition_decision: date | None = None


class IntroducerFacts(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """One Party member introducing the candidate."""

    status: Literal["official", "probationary"] = "official"
    months_together: int  # worked, studied or lived in the same area with the candidate


class CandidateFacts(msgspec.Struct, kw_only=True, frozen=True):
    """What the platform knows about one candidate, as of the evaluation."""

    person_ref: str
    date_of_birth: date
    sex: str = "male"
    ethnicity: str = "Kinh"
    education: str = "upper_secondary"
    hardship_area: bool = False
    political_standard: str = "unchecked"
    is_party_member: bool = False
    youth_union_member: bool = False
    trade_union_member: bool = False
    provincial_consent_over_60: bool = False
    certificate_date: date | None = None
    stage: str = "surveyed"
    helper_assigned: bool = False
    introducers: int = 0
    introducer_details: tuple[IntroducerFacts, ...] = ()  # given: ``introducers`` is its size
    organisation_introduction: str = "none"  # or youth_union / trade_union (its resolution)
    workplace_has_youth_union: bool = True
    road: RoadDates | None = None


class UnitFacts(msgspec.Struct, kw_only=True, frozen=True):
    """The unit (Party organisation) that considers the candidate."""

    kind: str
    bloc: str | None = None


class FactSpec(msgspec.Struct, frozen=True):
    """One fact the engine sees: its type and, for codes, the allowed values."""

    name: str
    type: Literal["int", "bool", "code"]
    codes: tuple[str, ...] = ()
    description: str = ""


# Codes of unit_kind and unit_bloc depend on the package; the loader fills them in.
ENGINE_FACTS: dict[str, FactSpec] = {
    spec.name: spec
    for spec in (
        FactSpec("age_months", "int", description="full months of age on the evaluation date"),
        FactSpec("education", "code", EDUCATION_LEVELS),
        FactSpec("education_rank", "int", description="index of education in EDUCATION_LEVELS"),
        FactSpec("hardship_area", "bool"),
        FactSpec("political_standard", "code", POLITICAL_STANDARDS),
        FactSpec("is_party_member", "bool"),
        FactSpec("youth_union_member", "bool"),
        FactSpec("trade_union_member", "bool"),
        FactSpec("provincial_consent_over_60", "bool"),
        FactSpec("has_certificate", "bool"),
        FactSpec(
            "certificate_age_months",
            "int",
            description="full months since the certificate date, -1 without one",
        ),
        FactSpec("stage", "code", STAGES),
        FactSpec("helper_assigned", "bool"),
        FactSpec("introducers", "int"),
        FactSpec("probationary_introducers", "int"),
        FactSpec(
            "introducer_least_months_together",
            "int",
            description="fewest months an introducer has worked or lived with them, -1 unknown",
        ),
        FactSpec("organisation_introduction", "code", ORGANISATION_INTRODUCTIONS),
        FactSpec("workplace_has_youth_union", "bool"),
        FactSpec(
            "introductions",
            "int",
            description="official introducers plus one for a Youth Union or trade-union resolution",
        ),
        FactSpec(
            "age_months_at_consideration",
            "int",
            description="full months of age at the end of the year the survey list serves",
        ),
        FactSpec("cell_resolution_recorded", "bool"),
        FactSpec("grassroots_resolution_recorded", "bool"),
        FactSpec("extensions", "int"),
        FactSpec("extension_working_days", "int"),
        FactSpec("decision_working_days_late", "int"),
        FactSpec("admission_decision_recorded", "bool"),
        FactSpec("probation_months_elapsed", "int", description="-1 before the decision"),
        FactSpec("recognition_working_days_late", "int"),
        FactSpec("sex", "code", SEXES),
        FactSpec("unit_kind", "code"),
        FactSpec("unit_bloc", "code"),
        FactSpec("review_period", "code", REVIEW_PERIOD_KINDS),
    )
}


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def full_months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end``; a month ends on the same day of the month,
    or on the month's last day when it is shorter (born 31 Jan: one month on 28/29 Feb)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    day_reached = min(start.day, calendar.monthrange(end.year, end.month)[1])
    if end.day < day_reached:
        months -= 1
    return months


def add_months(start: date, months: int) -> date:
    """The day on which ``full_months_between(start, day)`` first equals ``months``."""
    total = start.year * 12 + (start.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def candidate_problems(candidate: CandidateFacts, on: date) -> list[str]:
    """What makes a candidate's facts unusable (an empty list when they are sound)."""
    problems: list[str] = []
    if not isinstance(candidate.date_of_birth, date) or candidate.date_of_birth > on:
        problems.append("date_of_birth")
    if candidate.education not in EDUCATION_LEVELS:
        problems.append("education")
    if candidate.political_standard not in POLITICAL_STANDARDS:
        problems.append("political_standard")
    if candidate.stage not in STAGES:
        problems.append("stage")
    if candidate.sex not in SEXES:
        problems.append("sex")
    if candidate.certificate_date is not None and candidate.certificate_date > on:
        problems.append("certificate_date")
    if not isinstance(candidate.introducers, int) or candidate.introducers < 0:
        problems.append("introducers")
    if candidate.organisation_introduction not in ORGANISATION_INTRODUCTIONS:
        problems.append("organisation_introduction")
    if any(i.months_together < 0 for i in candidate.introducer_details):
        problems.append("introducer_details")
    road = candidate.road
    if road is not None and (
        road.extensions < 0
        or road.extension_working_days < 0
        or any(d is not None and d > on for d in _road_days(road))
    ):
        problems.append("road")
    return problems


def _road_days(road: RoadDates) -> tuple[date | None, ...]:
    return (
        road.cell_resolution,
        road.grassroots_resolution,
        road.admission_decision,
        road.recognition_decision,
    )


def consideration_day(on: date, review_period: str) -> date:
    """The package's reading of "at the time the cell considers admission" for a survey
    list: the last day of the year the list serves (the next year for the annual survey,
    06-HD/BTCTU Bước 1; the current year for a quarterly supplement)."""
    return date(on.year + (review_period == "survey"), 12, 31)


def engine_facts(
    candidate: CandidateFacts, unit: UnitFacts, on: date, review_period: str
) -> dict[str, int | str]:
    """The flat, date-free fact the engine matches (call ``candidate_problems`` first)."""
    certificate_months = (
        full_months_between(candidate.certificate_date, on)
        if candidate.certificate_date is not None
        else -1
    )
    details = candidate.introducer_details
    introducers = len(details) if details else candidate.introducers
    probationary = sum(i.status == "probationary" for i in details)
    return {
        "age_months": full_months_between(candidate.date_of_birth, on),
        "education": candidate.education,
        "education_rank": EDUCATION_LEVELS.index(candidate.education),
        "hardship_area": int(candidate.hardship_area),
        "political_standard": candidate.political_standard,
        "is_party_member": int(candidate.is_party_member),
        "youth_union_member": int(candidate.youth_union_member),
        "trade_union_member": int(candidate.trade_union_member),
        "provincial_consent_over_60": int(candidate.provincial_consent_over_60),
        "has_certificate": int(candidate.certificate_date is not None),
        "certificate_age_months": certificate_months,
        "stage": candidate.stage,
        "helper_assigned": int(candidate.helper_assigned),
        "introducers": introducers,
        "probationary_introducers": probationary,
        "introducer_least_months_together": min((i.months_together for i in details), default=-1),
        "organisation_introduction": candidate.organisation_introduction,
        "workplace_has_youth_union": int(candidate.workplace_has_youth_union),
        "introductions": introducers
        - probationary
        + (candidate.organisation_introduction != "none"),
        "age_months_at_consideration": full_months_between(
            candidate.date_of_birth, consideration_day(on, review_period)
        ),
        "sex": candidate.sex,
        "unit_kind": nfc(unit.kind),
        "unit_bloc": nfc(unit.bloc or ""),
        "review_period": review_period,
    }
