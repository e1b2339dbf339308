"""Request and response bodies for candidates and members.

Every request type forbids unknown fields, so a misspelt field is an error naming it
rather than a silently ignored value.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from nguon.rules.facts import Education, PoliticalStandard, Sex

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Place = Annotated[str, msgspec.Meta(max_length=300)]
ShortText = Annotated[str, msgspec.Meta(max_length=64)]
Notes = Annotated[str, msgspec.Meta(max_length=4000)]
NationalId = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^\s*(\d{9}|\d{12})\s*$",
        description="Citizen ID (12 digits) or old ID card number (9 digits).",
        extra={
            "form": {
                "vi": "9 hoặc 12 chữ số (số CCCD 12 số hoặc số CMND 9 số)",
                "en": "9 or 12 digits (a 12-digit citizen ID or a 9-digit old ID card number)",
            }
        },
    ),
]
MemberStatus = Literal["probationary", "full"]
EndReason = Literal["moved_out", "deceased", "struck_off", "expelled", "resigned", "other"]
CardNumber = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[0-9A-Za-z][0-9A-Za-z./-]{0,31}$",
        description="The Party card number (số thẻ đảng viên).",
        extra={
            "form": {
                "vi": "tối đa 32 chữ cái, chữ số hoặc . / -, bắt đầu bằng chữ cái hoặc chữ số",
                "en": "up to 32 letters, digits or . / -, starting with a letter or a digit",
            }
        },
    ),
]
MemberState = Literal["current", "ended", "all"]
Reason = Annotated[str, msgspec.Meta(max_length=1000)]
WriteProtected = Annotated[
    Any | UnsetType,
    msgspec.Meta(
        description=(
            "Read-only: a stage and a certificate change only through the pipeline's events "
            "(list decisions, courses, certificates, helper resolutions, admission "
            "decisions). Any value is refused with 400 naming the field."
        )
    ),
]
"""A field a candidate's form may not write; present only to be refused by name."""
PROTECTED_FIELDS = ("stage", "certificate_number", "certificate_date")


class CandidateCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    unit_id: int
    full_name: Name
    date_of_birth: dt.date
    sex: Sex
    education: Education
    ethnicity: ShortText = "Kinh"
    religion: ShortText = "Không"
    home_town: Place = ""
    residence: Place = ""
    occupation: Annotated[str, msgspec.Meta(max_length=200)] = ""
    youth_union_member: bool = False
    trade_union_member: bool = False
    hardship_area: bool = False
    political_standard: PoliticalStandard = "unchecked"
    provincial_consent_over_60: bool = False
    certificate_number: WriteProtected = UNSET
    certificate_date: WriteProtected = UNSET
    stage: WriteProtected = UNSET
    national_id: NationalId | None = None
    notes: Notes = ""


class CandidateUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A partial update: only the fields present change. ``version`` is the one read."""

    version: int
    unit_id: int | UnsetType = UNSET
    full_name: Name | UnsetType = UNSET
    date_of_birth: dt.date | UnsetType = UNSET
    sex: Sex | UnsetType = UNSET
    education: Education | UnsetType = UNSET
    ethnicity: ShortText | UnsetType = UNSET
    religion: ShortText | UnsetType = UNSET
    home_town: Place | UnsetType = UNSET
    residence: Place | UnsetType = UNSET
    occupation: Annotated[str, msgspec.Meta(max_length=200)] | UnsetType = UNSET
    youth_union_member: bool | UnsetType = UNSET
    trade_union_member: bool | UnsetType = UNSET
    hardship_area: bool | UnsetType = UNSET
    political_standard: PoliticalStandard | UnsetType = UNSET
    provincial_consent_over_60: bool | UnsetType = UNSET
    certificate_number: WriteProtected = UNSET
    certificate_date: WriteProtected = UNSET
    stage: WriteProtected = UNSET
    national_id: NationalId | UnsetType | None = UNSET
    notes: Notes | UnsetType = UNSET


class CandidateOut(msgspec.Struct, kw_only=True):
    id: int
    unit_id: int
    full_name: str
    date_of_birth: dt.date
    sex: str
    ethnicity: str
    religion: str
    home_town: str
    residence: str
    education: str
    occupation: str
    youth_union_member: bool
    trade_union_member: bool
    hardship_area: bool
    political_standard: str
    is_party_member: bool
    provincial_consent_over_60: bool
    certificate_number: str | None
    certificate_date: dt.date | None
    stage: str
    national_id_masked: str | None
    notes: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class CandidatePage(msgspec.Struct, kw_only=True):
    items: list[CandidateOut]
    total: int
    page: int
    page_size: int
    next: str | None = None
    """The cursor of the next page while more follow (send it back as ``cursor``)."""


class MemberCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    unit_id: int
    full_name: Name
    date_of_birth: dt.date
    sex: Sex
    admitted_on: dt.date
    status: MemberStatus = "full"
    official_on: dt.date | None = None
    card_number: CardNumber | None = None


class MemberOut(msgspec.Struct, kw_only=True):
    id: int
    unit_id: int
    full_name: str
    date_of_birth: dt.date
    sex: str
    status: str
    admitted_on: dt.date
    official_on: dt.date | None
    card_number: str | None
    ended_on: dt.date | None
    end_reason: str | None
    version: int
    created_at: dt.datetime


class MemberTransfer(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Move a member to another cell from ``on``; ``version`` is the one read."""

    version: int
    to_unit_id: int
    on: dt.date
    reason: Reason = ""


class MemberEnd(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """End a member's membership here on ``on``; ``note`` is required for ``other``."""

    version: int
    on: dt.date
    reason: EndReason
    note: Reason = ""


class MemberChangeOut(msgspec.Struct, kw_only=True):
    id: int
    kind: str
    changed_on: dt.date
    from_unit_id: int | None
    from_unit_name: str | None
    to_unit_id: int | None
    to_unit_name: str | None
    reason: str
    actor_name: str
    at: dt.datetime


class MemberHistory(msgspec.Struct, kw_only=True):
    items: list[MemberChangeOut]
    next: str | None = None
    """The cursor of the next page while more follow (send it back as ``cursor``)."""


class MemberPage(msgspec.Struct, kw_only=True):
    items: list[MemberOut]
    total: int
    page: int
    page_size: int
    next: str | None = None
    """The cursor of the next page while more follow (send it back as ``cursor``)."""
