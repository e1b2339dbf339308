"""Request and response bodies of the admission road. Request types forbid unknown
fields."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

Number = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Text = Annotated[str, msgspec.Meta(max_length=4000)]
Months = Annotated[int, msgspec.Meta(ge=0, le=1200)]
WorkingDays = Annotated[int, msgspec.Meta(ge=1, le=365)]
RecordedStep = Literal["grassroots_resolution", "extension", "recognition"]
OrganisationIntroduction = Literal["none", "youth_union", "trade_union"]


class IntroducerIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A Party member introducing the candidate and how long they have worked, studied
    or lived in the same area with them."""

    member_id: int
    months_together: Months


class RoadStepIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A step after the cell's resolution: the grassroots committee's resolution, the
    extension of the decision deadline (``working_days``), the recognition as an
    official member."""

    version: int
    step: RecordedStep
    taken_on: dt.date
    document_number: Number
    working_days: WorkingDays | None = None
    note: Text = ""


class RoadStepOut(msgspec.Struct, kw_only=True):
    step: str
    label: str
    taken_on: dt.date
    document_number: str
    working_days: int
    clause_id: str
    actor: str


class IntroducerOut(msgspec.Struct, kw_only=True):
    kind: str
    member_id: int | None
    member_name: str
    member_status: str
    months_together: int
    document_number: str


class DeadlineOut(msgspec.Struct, kw_only=True):
    step: str
    label: str
    due: dt.date | None
    """None when the count reaches a year without a holidays file (``note`` says which)."""
    status: str
    status_label: str
    clause_id: str
    working_days_left: int
    note: str


class RoadOut(msgspec.Struct, kw_only=True):
    candidate_id: int
    stage: str
    version: int
    steps: list[RoadStepOut]
    introducers: list[IntroducerOut]
    deadlines: list[DeadlineOut]
