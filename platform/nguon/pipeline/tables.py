"""The three steps' lists, their entries, the resolutions that adopt them, their history,
and the decisions of the rules stored for each candidate."""

from __future__ import annotations

from piccolo.columns import JSON, Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from nguon.org.tables import OrgUnit
from nguon.people.tables import Candidate, Member
from nguon.tenancy.tables import Tenant


class CandidateList(Table, tablename="candidate_list"):
    """One unit's list for one step and one review period."""

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    unit = ForeignKey(OrgUnit, on_delete=OnDelete.restrict, null=False)
    unit_path = Varchar(length=400, index=True)
    step = Varchar(length=32)
    period_code = Varchar(length=32)
    period_opens = Date()
    period_deadline = Date()
    state = Varchar(length=16, default="draft")
    receiver_unit = ForeignKey(OrgUnit, on_delete=OnDelete.restrict, null=True, default=None)
    package = Varchar(length=64)
    package_version = Varchar(length=64)
    return_comment = Text(default="")
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    submitted_at = Timestamptz(null=True, default=None)


class ListEntry(Table, tablename="list_entry"):
    """A candidate on a list: put there by the rules, by a user, or from a list below."""

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    candidate_list = ForeignKey(CandidateList, on_delete=OnDelete.cascade, null=False, index=True)
    candidate = ForeignKey(Candidate, on_delete=OnDelete.restrict, null=False, index=True)
    source = Varchar(length=16)
    source_list = ForeignKey(CandidateList, on_delete=OnDelete.restrict, null=True, default=None)
    unit = ForeignKey(OrgUnit, on_delete=OnDelete.restrict, null=True, default=None)
    """The person's unit when they were put on the list: a restructuring that moves them
    later leaves the list's history as it was."""
    outcome = Varchar(length=16)
    reasons = JSON(default="[]")
    override_justification = Text(null=True, default=None)
    included = Boolean(default=True)
    removal_reason = Text(null=True, default=None)
    inputs_hash = Varchar(length=64, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Resolution(Table, tablename="resolution"):
    """A resolution (nghị quyết) of a cell or committee: adopts a list, reviews it
    quarterly, assigns helpers, or proposes admissions."""

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    unit = ForeignKey(OrgUnit, on_delete=OnDelete.restrict, null=False)
    candidate_list = ForeignKey(CandidateList, on_delete=OnDelete.restrict, null=True, default=None)
    kind = Varchar(length=32)
    number = Varchar(length=64)
    adopted_on = Date()
    members_total = Integer()
    members_present = Integer()
    members_agreeing = Integer()
    notes = Text(default="")
    created_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class ListTransition(Table, tablename="list_transition"):
    """Every change of a list's state, with who made it and why."""

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    candidate_list = ForeignKey(CandidateList, on_delete=OnDelete.cascade, null=False, index=True)
    from_state = Varchar(length=16)
    to_state = Varchar(length=16)
    actor_id = Integer(null=True, default=None)
    actor = Varchar(length=200)
    comment = Text(default="")
    at = Timestamptz(default=TimestamptzNow())


class CandidateDecision(Table, tablename="candidate_decision"):
    """The latest outcome of each decision of the rules for a candidate, with when to look again."""

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    candidate = ForeignKey(Candidate, on_delete=OnDelete.cascade, null=False, index=True)
    decision = Varchar(length=64)
    outcome = Varchar(length=16)
    reasons = JSON(default="[]")
    package = Varchar(length=64)
    package_version = Varchar(length=64)
    inputs_hash = Varchar(length=64)
    evaluated_on = Date()
    next_check = Date(null=True, default=None)


class Course(Table, tablename="course"):
    """A Party awareness course opened by a district-level committee."""

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    organiser_unit = ForeignKey(OrgUnit, on_delete=OnDelete.restrict, null=False)
    organiser_path = Varchar(length=400, index=True)
    training_centre = ForeignKey(OrgUnit, on_delete=OnDelete.restrict, null=True, default=None)
    title = Varchar(length=300)
    opens_on = Date()
    closes_on = Date()
    sessions_total = Integer(default=0)
    state = Varchar(length=16, default="open")
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())


class CourseEnrolment(Table, tablename="course_enrolment"):
    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    course = ForeignKey(Course, on_delete=OnDelete.cascade, null=False, index=True)
    candidate = ForeignKey(Candidate, on_delete=OnDelete.restrict, null=False, index=True)
    source_list = ForeignKey(CandidateList, on_delete=OnDelete.restrict, null=True, default=None)
    attended_sessions = Integer(default=0)
    completed = Boolean(default=False)
    certificate_number = Varchar(length=64, null=True, default=None)
    certificate_date = Date(null=True, default=None)
    certificate_valid_until = Date(null=True, default=None)
    version = Integer(default=1)


class HelperAssignment(Table, tablename="helper_assignment"):
    """An official member assigned by resolution to help a candidate."""

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    candidate = ForeignKey(Candidate, on_delete=OnDelete.restrict, null=False, index=True)
    member = ForeignKey(Member, on_delete=OnDelete.restrict, null=False)
    resolution = ForeignKey(Resolution, on_delete=OnDelete.restrict, null=True, default=None)
    assigned_on = Date()
    ended_on = Date(null=True, default=None)
    end_reason = Text(default="")


class AdmissionPlan(Table, tablename="admission_plan"):
    """A unit's annual admission plan: targets for the year and each quarter."""

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    unit = ForeignKey(OrgUnit, on_delete=OnDelete.restrict, null=False)
    unit_path = Varchar(length=400, index=True)
    year = Integer()
    target_year = Integer()
    target_q1 = Integer(default=0)
    target_q2 = Integer(default=0)
    target_q3 = Integer(default=0)
    target_q4 = Integer(default=0)
    version = Integer(default=1)


class StageChange(Table, tablename="stage_change"):
    """A candidate's stage history: what the portal's candidate page shows."""

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    candidate = ForeignKey(Candidate, on_delete=OnDelete.cascade, null=False, index=True)
    from_stage = Varchar(length=32)
    to_stage = Varchar(length=32)
    changed_on = Date()
    reason = Text(default="")
    event = Varchar(length=32, default="")
    """The stage machine's event; empty on changes recorded before it existed."""
    clause_id = Varchar(length=100, default="")
    """The rules package's clause that allows the transition."""
    actor_id = Integer(null=True, default=None)
    actor = Varchar(length=200)
    at = Timestamptz(default=TimestamptzNow())


class ListExclusion(Table, tablename="list_exclusion"):
    """A person a higher level took off a list (with its reason): not prefilled on the
    lists that follow, any step or period, until an explicit re-add with a reason lifts it.
    """

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    candidate = ForeignKey(Candidate, on_delete=OnDelete.restrict, null=False, index=True)
    removed_by_list = ForeignKey(CandidateList, on_delete=OnDelete.restrict, null=False)
    removed_by_unit = ForeignKey(OrgUnit, on_delete=OnDelete.restrict, null=False)
    reason = Text()
    removed_actor_id = Integer(null=True, default=None)
    removed_actor = Varchar(length=200)
    removed_at = Timestamptz(default=TimestamptzNow())
    lifted_by_list = ForeignKey(CandidateList, on_delete=OnDelete.restrict, null=True, default=None)
    lifted_reason = Text(null=True, default=None)
    lifted_actor_id = Integer(null=True, default=None)
    lifted_actor = Varchar(length=200, null=True, default=None)
    lifted_at = Timestamptz(null=True, default=None)
