"""The files of a rules package, as msgspec Structs (decoded from TOML)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import msgspec

Confidence = Literal["H", "M", "L"]
Outcome = Literal["eligible", "not_eligible", "needs_review"]
ParameterScalar = int | str | bool


class GuidanceDocument(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    code: str
    number: str
    title: str
    date: date | None = None  # in force from this day (when known)
    valid_to: date | None = None  # replaced on this day (exclusive)
    source: str = ""
    confidence: Confidence = "H"


class VersionSpec(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    id: str
    valid_from: date
    valid_to: date | None = None  # exclusive; None while in force
    documents: list[str] = []
    note: str = ""
    status: Literal["adopted", "draft"] = "adopted"
    """A draft is loaded and checked like any version but governs a tenant's people only
    once that tenant has published it, from the effective date it chose."""

    @property
    def draft(self) -> bool:
        return self.status == "draft"


class ParameterValue(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    value: ParameterScalar
    valid_from: date
    valid_to: date | None = None
    reference: str
    confidence: Confidence
    note: str = ""


class ParameterSpec(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    name: str
    description: str = ""
    override: bool = False
    values: list[ParameterValue] = msgspec.field(default_factory=list, name="value")


class DecisionSpec(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    code: str
    label: str
    groups: list[str] = []


class Manifest(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    id: str
    title: str
    extends: str | None = None
    documents: list[GuidanceDocument] = msgspec.field(default_factory=list, name="document")
    versions: list[VersionSpec] = msgspec.field(default_factory=list, name="version")
    parameters: list[ParameterSpec] = msgspec.field(default_factory=list, name="parameter")
    decisions: list[DecisionSpec] = msgspec.field(default_factory=list, name="decision")


class ClauseSpec(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    id: str
    document: str
    ref: str
    text: str
    verbatim: bool = True
    confidence: Confidence = "H"
    succeeded_by: str | None = None
    """The clause that carries this provision once this one's document is replaced: a
    citation by id (the stage machine's) resolves to the clause in force on its day."""


class ClausesFile(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    clauses: list[ClauseSpec] = msgspec.field(default_factory=list, name="clause")


class UnitKindSpec(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    code: str
    label: str
    versions: list[str] = []  # empty: every version
    since: str | None = None  # this version and every later one (instead of versions)
    until: str | None = None  # with since: the last version included
    short_label: str = ""  # for charts and tables; the label when empty
    holds_people: bool = False  # its units keep candidates and members and make lists
    is_cell: bool = False  # a Party cell: its printed lists take the place of the unit above
    signs_as: str = ""  # the first signature line of a printed list ("T/M CHI BỘ")
    signer_title: str = ""  # the signer's title on a printed list ("BÍ THƯ")


class PlacementSpec(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Which kinds a unit of ``kind`` may sit under, in one set of versions.

    ``top`` allows the unit at the top of the tree (no parent).
    """

    kind: str
    parents: list[str] = []
    top: bool = False
    versions: list[str] = []
    since: str | None = None  # this version and every later one (instead of versions)
    until: str | None = None  # with since: the last version included
    clause: str | None = None


class CourseOrganiserSpec(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """A kind of unit that organises the Party awareness course, in one set of versions.

    Its child unit of ``runner_kind`` (a political training centre) runs the course where
    it has one; otherwise the organisation board does.
    """

    kind: str
    runner_kind: str | None = None
    versions: list[str] = []
    since: str | None = None  # this version and every later one (instead of versions)
    until: str | None = None  # with since: the last version included
    clause: str | None = None


class BlocSpec(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    code: str
    label: str


class ChainSpec(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """How a list made by ``kind`` (for the given blocs) travels up, in one set of versions.

    ``path`` starts at the listing unit kind; the middle kinds aggregate; the last two are
    the organisation board and the provincial standing committee that receives it.
    """

    id: str
    kind: str
    path: list[str]
    blocs: list[str] = []  # empty: any bloc, including none
    parent_kinds: list[str] = []  # empty: under any parent
    versions: list[str] = []
    since: str | None = None  # this version and every later one (instead of versions)
    until: str | None = None  # with since: the last version included
    confidence: Confidence = "H"
    clause: str | None = None


class StructureFile(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    unit_kinds: list[UnitKindSpec] = msgspec.field(default_factory=list, name="unit_kind")
    blocs: list[BlocSpec] = msgspec.field(default_factory=list, name="bloc")
    chains: list[ChainSpec] = msgspec.field(default_factory=list, name="chain")
    placements: list[PlacementSpec] = msgspec.field(default_factory=list, name="placement")
    course_organisers: list[CourseOrganiserSpec] = msgspec.field(
        default_factory=list, name="course_organiser"
    )


class CalendarException(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    year: int
    first_review_quarter: int
    clause: str | None = None


class CalendarSpec(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    first_year: int
    annual_survey_quarter: int = 4
    supplement_quarters: list[int] = msgspec.field(default_factory=lambda: [1, 2, 3])
    clause: str | None = None
    exceptions: list[CalendarException] = msgspec.field(default_factory=list, name="exception")


class CalendarFile(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    calendar: CalendarSpec


class FormColumn(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    code: str
    header: str


class FormSpec(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    step: str
    levels: list[str]
    title: str
    columns: list[str]
    versions: list[str] = []
    since: str | None = None  # this version and every later one (instead of versions)
    until: str | None = None  # with since: the last version included
    sheet: str = ""  # the worksheet's name ("Danh sách bước 1"); empty: the step's label
    document_type: str = "DS"  # the type in the document symbol ("05-DS/CB")


class IssuerSpec(msgspec.Struct, kw_only=True, frozen=True):
    """An issuing body's abbreviation in document symbols ("05-DS/CB"), by unit kind;
    ``name_prefix`` narrows it to the units whose name starts so ("Thị ủy")."""

    kinds: list[str]
    code: str
    name_prefix: str = ""


class FormsFile(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    columns: list[FormColumn] = msgspec.field(default_factory=list, name="column")
    forms: list[FormSpec] = msgspec.field(default_factory=list, name="form")
    issuers: list[IssuerSpec] = msgspec.field(default_factory=list, name="issuer")


class RuleSpec(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    id: str
    clause: str | list[str]  # several: on each day, those whose document is in force
    decisions: list[str]
    outcome: Outcome
    message: str
    when: dict[str, Any]
    reason: str | None = None  # defaults to the rule id
    versions: list[str] = []
    since: str | None = None  # this version and every later one (instead of versions)
    until: str | None = None  # with since: the last version included
    override: bool = False
    description: str = ""
    confidence: Confidence = "H"  # L: the rule is an inference from its clause
    inference: str = ""  # what is inferred and why (required with confidence L)


class RulesFile(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    rules: list[RuleSpec] = msgspec.field(default_factory=list, name="rule")
    disable: list[str] = []
