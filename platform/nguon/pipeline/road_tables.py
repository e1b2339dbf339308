"""The admission road after the Step 3 list: each step recorded once with its date and
document, and the people and organisations introducing the candidate."""

from __future__ import annotations

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from nguon.people.tables import Candidate, Member
from nguon.tenancy.tables import Tenant


class AdmissionStep(Table, tablename="admission_step"):
    """One step of a candidate's admission road: the cell's resolution, the grassroots
    committee's resolution, the extension of the decision deadline, the admission
    decision, the recognition as an official member. One of each per candidate."""

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    candidate = ForeignKey(Candidate, on_delete=OnDelete.restrict, null=False, index=True)
    step = Varchar(length=40)
    taken_on = Date()
    document_number = Varchar(length=80, default="")
    working_days = Integer(default=0)  # the extension's length
    note = Text(default="")
    clause_id = Varchar(length=80, default="")
    actor_id = Integer(null=True, default=None)
    actor = Varchar(length=200, default="")
    created_at = Timestamptz()


class AdmissionIntroducer(Table, tablename="admission_introducer"):
    """Who introduced a candidate: an official member (with the months they have worked,
    studied or lived with the candidate), or the Youth Union / trade-union executive by
    resolution in place of one member."""

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    candidate = ForeignKey(Candidate, on_delete=OnDelete.restrict, null=False, index=True)
    kind = Varchar(length=20)  # member | youth_union | trade_union
    member = ForeignKey(Member, on_delete=OnDelete.restrict, null=True, default=None)
    member_status = Varchar(length=20, default="")  # the member's status when introducing
    months_together = Integer(default=0)
    document_number = Varchar(length=80, default="")  # the organisation's resolution
    workplace_has_youth_union = Boolean(default=True)  # said with a trade-union resolution
    recorded_on = Date()
