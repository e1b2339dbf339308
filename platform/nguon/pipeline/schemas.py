"""What the pipeline's JSON API reads and writes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec

Step = Literal["survey", "course_nominees", "admission_sources"]
ListState = Literal["draft", "adopted", "submitted", "returned", "accepted"]
Outcome = Literal["eligible", "not_eligible", "needs_review"]
EntrySource = Literal["rules", "manual", "aggregated"]

STEPS: tuple[Step, ...] = ("survey", "course_nominees", "admission_sources")


class ListCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    unit_id: int
    step: Step
    period_code: str = msgspec.field(name="period")


class EntryAdd(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    candidate_id: int
    override_justification: str | None = None
    """Required when the rules did not find the candidate eligible."""


class EntryRemove(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    candidate_id: int
    reason: str


class ListChange(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Add and remove people; ``version`` (or the If-Match header) is the version read."""

    version: int | None = None
    add: list[EntryAdd] = []
    remove: list[EntryRemove] = []


class ResolutionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    number: str
    adopted_on: dt.date
    members_total: int
    members_present: int
    members_agreeing: int
    notes: str = ""


class AdoptBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    resolution: ResolutionIn
    version: int | None = None


class SubmitBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: int | None = None


class ReturnBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    comment: str
    version: int | None = None


class ExportRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A list's file made in the background (``GET …/export`` answers small lists at once)."""

    format: Annotated[str, msgspec.Meta(max_length=16)] = "xlsx"
    number: Annotated[str, msgspec.Meta(max_length=20)] = ""
    """The number from the committee's register of documents."""
    signer: Annotated[str, msgspec.Meta(max_length=120)] = ""
    """The signer's name, where it is not the adopter's."""


class AcceptBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: int | None = None
    comment: str = ""


class ReasonOut(msgspec.Struct, kw_only=True):
    code: str
    clause_id: str | None
    message_vi: str


class EntryOut(msgspec.Struct, kw_only=True):
    candidate_id: int
    full_name: str
    unit_id: int
    unit_name: str
    source: EntrySource
    source_list_id: int | None
    outcome: Outcome
    reasons: list[ReasonOut]
    included: bool
    override_justification: str | None
    removal_reason: str | None


class TransitionOut(msgspec.Struct, kw_only=True):
    from_state: str
    to_state: str
    actor: str
    actor_id: int | None
    comment: str
    at: dt.datetime
    actor_name: str = ""
    """The acting user's full name (empty for a system or command-line actor)."""


class ResolutionOut(msgspec.Struct, kw_only=True):
    id: int
    kind: str
    number: str
    adopted_on: dt.date
    members_total: int
    members_present: int
    members_agreeing: int
    notes: str


class SourceCount(msgspec.Struct, kw_only=True):
    """How many included people came from one unit (its accepted list, or the list's own)."""

    unit_id: int
    unit_name: str
    source_list_id: int | None
    count: int


class MayAct(msgspec.Struct, kw_only=True):
    user_id: int
    full_name: str
    role: str
    unit_name: str


class ListOut(msgspec.Struct, kw_only=True):
    id: int
    unit_id: int
    unit_name: str
    unit_kind: str
    step: Step
    period: str
    period_opens: dt.date
    period_deadline: dt.date
    state: ListState
    receiver_unit_id: int | None
    receiver_unit_name: str | None
    package: str
    package_version: str
    return_comment: str
    version: int
    submitted_at: dt.datetime | None
    included_count: int


class ListDetail(msgspec.Struct, kw_only=True):
    summary: ListOut = msgspec.field(name="list")
    entries: list[EntryOut]
    """The people on the list (included)."""
    refused: list[EntryOut]
    """Candidates of the unit the rules did not find eligible, with the reasons."""
    removed: list[EntryOut]
    """People a user took off the list, with the reason given."""
    counts_by_unit: list[SourceCount]
    transitions: list[TransitionOut]
    resolutions: list[ResolutionOut]
    allowed_actions: list[str]
    """What the caller may do now: edit, adopt, submit, return, accept."""
    may_act: list[MayAct]
    """Who may take the list's next step (the unit's editors, or the receiver's approvers)."""


class ListPage(msgspec.Struct, kw_only=True):
    items: list[ListOut]
    next: str | None = None
    """The cursor of the next page while more follow (send it back as ``cursor``)."""


class PeriodOut(msgspec.Struct, kw_only=True):
    code: str
    opens: dt.date
    deadline: dt.date
    kind: Literal["survey", "supplement"]
    """The annual review surveys afresh (as does the first review after a restructuring);
    a supplement review adds to it."""
    for_year: int
    """The year whose Party awareness course the period's lists prepare."""
    first_review: bool
    current: bool = False
    """Open today (``opens`` <= today <= ``deadline``): the period new lists belong to."""

    @classmethod
    def of(cls, period: Any, today: dt.date) -> PeriodOut:
        """A review period (``nguon.rules.review_calendar.Period``) as of ``today``."""
        return cls(
            code=period.code,
            opens=period.opens,
            deadline=period.deadline,
            kind=period.kind,
            for_year=period.for_year,
            first_review=period.first_review,
            current=period.opens <= today <= period.deadline,
        )


class PeriodPage(msgspec.Struct, kw_only=True):
    items: list[PeriodOut]
    next: str | None = None
    """The cursor of the next page while more follow (send it back as ``cursor``)."""
