"""Figure roll-ups: one unit's people's figures for a year as of a day, kept between views."""

from __future__ import annotations

from piccolo.columns import Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from nguon.tenancy.tables import Tenant


class FigureRollup(Table, tablename="figure_rollup"):
    """What the people whose unit is ``unit`` add to the figures of ``year`` as of
    ``as_of``, by the unit each is counted at (msgspec JSON of ``{unit id: UnitFigures}``).

    Good while ``version`` equals the unit's ``figures_version`` (moved by every write of
    its people's records) and ``tree`` the digest of the restructurings the tenant has."""

    tenant_id = ForeignKey(Tenant, on_delete=OnDelete.restrict, null=False, index=True)
    unit = Integer()
    year = Integer()
    as_of = Date()
    version = Integer()
    tree = Varchar(length=40)
    figures = Text()
    computed_at = Timestamptz(default=TimestamptzNow())
