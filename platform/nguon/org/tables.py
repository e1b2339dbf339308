"""The dated Party hierarchy of a tenant and the roles users hold on it."""

from __future__ import annotations

from piccolo.columns import JSON, Date, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from nguon.accounts.tables import User
from nguon.tenancy.tables import Tenant


class OrgUnit(Table, tablename="org_unit"):
    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    code = Varchar(length=120)
    name = Varchar(length=300)
    kind = Varchar(length=64)
    bloc = Varchar(length=64, null=True, default=None)
    parent = ForeignKey("self", on_delete=OnDelete.restrict, null=True, default=None)
    path = Varchar(length=400, index=True)
    depth = Integer(default=0)
    valid_from = Date()
    valid_to = Date(null=True, default=None)
    figures_version = Integer(default=0)
    """Moved by the database (triggers) in the transaction that writes any record of the
    unit's people: a figure roll-up of another version is counted again."""


class Membership(Table, tablename="membership"):
    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, null=False, index=True)
    unit = ForeignKey(OrgUnit, on_delete=OnDelete.cascade, null=False)
    role = Varchar(length=32)
    valid_from = Date()
    valid_to = Date(null=True, default=None)


class Restructuring(Table, tablename="restructuring"):
    """One restructuring applied to a tenant's tree: what file, effective when, what it did."""

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    effective_on = Date()
    reference = Varchar(length=300, default="")
    source = Varchar(length=300, default="")
    digest = Varchar(length=64)
    applied_at = Timestamptz(default=TimestamptzNow())
    summary = JSON(default="{}")


class UnitSuccession(Table, tablename="unit_succession"):
    """A unit closed by a restructuring and the unit that carries on its work from that day.

    Moved and renamed units are new rows (their history keeps the old path and name); merged
    units have one successor each; a closed unit with no successor has no row here.
    """

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    predecessor = ForeignKey(OrgUnit, on_delete=OnDelete.restrict, null=False, index=True)
    successor = ForeignKey(OrgUnit, on_delete=OnDelete.restrict, null=False, index=True)
    effective_on = Date()
    change = Varchar(length=16)
    restructuring = ForeignKey(Restructuring, on_delete=OnDelete.restrict, null=True, default=None)
