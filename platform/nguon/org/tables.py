"""The dated Party hierarchy of a tenant and the roles users hold on it."""

from __future__ import annotations

from piccolo.columns import Date, ForeignKey, Integer, Varchar
from piccolo.columns.base import OnDelete
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


class Membership(Table, tablename="membership"):
    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, null=False, index=True)
    unit = ForeignKey(OrgUnit, on_delete=OnDelete.cascade, null=False)
    role = Varchar(length=32)
    valid_from = Date()
    valid_to = Date(null=True, default=None)
