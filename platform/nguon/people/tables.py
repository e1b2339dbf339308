"""Candidates (the masses on the lists) and Party members (who may help them)."""

from __future__ import annotations

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from nguon.org.tables import OrgUnit
from nguon.tenancy.tables import Tenant


class Candidate(Table, tablename="candidate"):
    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    unit = ForeignKey(OrgUnit, on_delete=OnDelete.restrict, null=False)
    unit_path = Varchar(length=400, index=True)
    full_name = Varchar(length=200)
    name_search = Varchar(length=200, index=True)
    date_of_birth = Date()
    sex = Varchar(length=8)
    ethnicity = Varchar(length=64, default="Kinh")
    religion = Varchar(length=64, default="Không")
    home_town = Varchar(length=300, default="")
    residence = Varchar(length=300, default="")
    education = Varchar(length=32)
    occupation = Varchar(length=200, default="")
    youth_union_member = Boolean(default=False)
    trade_union_member = Boolean(default=False)
    hardship_area = Boolean(default=False)
    political_standard = Varchar(length=16, default="unchecked")
    is_party_member = Boolean(default=False)
    provincial_consent_over_60 = Boolean(default=False)
    certificate_number = Varchar(length=64, null=True, default=None)
    certificate_date = Date(null=True, default=None)
    stage = Varchar(length=32, default="surveyed")
    national_id_encrypted = Text(null=True, default=None)
    national_id_hash = Varchar(length=64, null=True, default=None, index=True)
    national_id_key = Varchar(length=16, null=True, default=None)
    """The key (``nguon.crypto.key_id``) the number was encrypted and hashed under."""
    notes = Text(default="")
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Member(Table, tablename="party_member"):
    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    unit = ForeignKey(OrgUnit, on_delete=OnDelete.restrict, null=False)
    unit_path = Varchar(length=400, index=True)
    full_name = Varchar(length=200)
    name_search = Varchar(length=200, index=True)
    date_of_birth = Date()
    sex = Varchar(length=8)
    status = Varchar(length=16, default="full")
    admitted_on = Date()
    official_on = Date(null=True, default=None)
    card_number = Varchar(length=32, null=True, default=None)
    """The Party card number (số thẻ đảng viên), unique in the tenant when known."""
    ended_on = Date(null=True, default=None)
    """The day membership here ended (moved out of the province, died, struck off …)."""
    end_reason = Varchar(length=32, null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())


class MemberChange(Table, tablename="member_change"):
    """A Party member's history: added, imported, transferred between cells, ended."""

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    member = ForeignKey(Member, on_delete=OnDelete.cascade, null=False, index=True)
    kind = Varchar(length=16)
    changed_on = Date()
    from_unit = ForeignKey(OrgUnit, on_delete=OnDelete.restrict, null=True, default=None)
    to_unit = ForeignKey(OrgUnit, on_delete=OnDelete.restrict, null=True, default=None)
    reason = Text(default="")
    actor_id = Integer(null=True, default=None)
    actor_name = Varchar(length=200)
    """The full name of who recorded the change, as it was then."""
    at = Timestamptz(default=TimestamptzNow())
