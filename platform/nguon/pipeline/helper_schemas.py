"""Request and response bodies for helper assignments, proposals for admission and
stage decisions. Request types forbid unknown fields."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from nguon.pipeline.road_schemas import IntroducerIn, OrganisationIntroduction
from nguon.pipeline.schemas import ResolutionIn

Number = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Count = Annotated[int, msgspec.Meta(ge=0, le=100000)]
Text = Annotated[str, msgspec.Meta(max_length=4000)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]


class HelperAssign(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    candidate_id: int
    member_id: int
    candidate_version: int
    resolution: ResolutionIn


class HelperEnd(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    ended_on: dt.date
    reason: Reason


class HelperOut(msgspec.Struct, kw_only=True):
    id: int
    candidate_id: int
    member_id: int
    member_name: str
    resolution_id: int | None
    resolution_number: str | None
    assigned_on: dt.date
    ended_on: dt.date | None
    end_reason: str


class HelperList(msgspec.Struct, kw_only=True):
    items: list[HelperOut]
    next: str | None = None
    """The cursor of the next page while more follow (send it back as ``cursor``)."""


class ProposeAdmission(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Start the admission procedure: the cell's resolution proposing admission.
    ``introducers``: the members introducing the candidate with the months they have
    worked, studied or lived with them (``introducer_member_ids``, the older form, gives
    official members without the months). ``organisation_introduction``: the Youth
    Union or trade-union executive's resolution standing for one introducer."""

    version: int
    introducer_member_ids: Annotated[list[int], msgspec.Meta(max_length=10)] = []
    introducers: Annotated[list[IntroducerIn], msgspec.Meta(max_length=10)] = []
    organisation_introduction: OrganisationIntroduction = "none"
    organisation_resolution_number: Annotated[str, msgspec.Meta(max_length=64)] = ""
    workplace_has_youth_union: bool = True
    resolution_number: Annotated[str, msgspec.Meta(max_length=64)] = ""
    on: dt.date | None = None
    note: Text = ""


class StageDecision(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Record the outcome of the admission procedure, or take someone off the lists."""

    version: int
    to_stage: Literal["admitted", "removed"]
    reason: Reason
    on: dt.date | None = None
    document_number: Annotated[str, msgspec.Meta(max_length=64)] = ""


class StageChangeOut(msgspec.Struct, kw_only=True):
    id: int
    from_stage: str
    to_stage: str
    changed_on: dt.date
    reason: str
    event: str
    """The stage machine's event (empty for changes recorded before it)."""
    clause_id: str
    """The rules package's clause that allows the transition."""
    actor: str
    at: dt.datetime


class StageHistory(msgspec.Struct, kw_only=True):
    items: list[StageChangeOut]
    next: str | None = None
    """The cursor of the next page while more follow (send it back as ``cursor``)."""
