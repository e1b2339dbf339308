"""Which tables hold a tenant's rows, and which keys are unique within one tenant.

Both are derived, never listed by hand: the tenant tables are the Piccolo app's tables with
a ``tenant_id`` column (a new table is covered the day it is added to ``piccolo_app``),
and the unique keys are read from the database's own unique indexes, so a new
``CREATE UNIQUE INDEX … (tenant_id, …)`` in a migration is checked by the merge at once.
"""

from __future__ import annotations

from typing import Any

import msgspec
from piccolo.table import Table

from nguon.db.binding import current_engine
from nguon.db.engine import is_postgres
from nguon.tenancy.tables import Tenant

TENANT_COLUMN = "tenant_id"

_POSTGRES_UNIQUE_INDEXES = """
SELECT i.relname AS index_name, t.relname AS table_name,
       array_agg(a.attname::text ORDER BY k.ord) AS columns
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
WHERE x.indisunique AND NOT x.indisprimary AND x.indexprs IS NULL AND x.indpred IS NULL
  AND n.nspname = current_schema()
GROUP BY i.relname, t.relname
ORDER BY t.relname, i.relname
"""

_SQLITE_UNIQUE_INDEXES = """
SELECT m.name AS table_name, il.name AS index_name, ii.name AS column_name
FROM sqlite_master AS m
JOIN pragma_index_list(m.name) AS il
JOIN pragma_index_info(il.name) AS ii
WHERE m.type = 'table' AND il."unique" = 1 AND il.origin != 'pk' AND il.partial = 0
ORDER BY m.name, il.name, ii.seqno
"""


class UniqueKey(msgspec.Struct, frozen=True):
    """A unique index of a tenant table: ``columns`` in index order."""

    index: str
    table: str
    columns: tuple[str, ...]

    @property
    def per_tenant(self) -> bool:
        return TENANT_COLUMN in self.columns

    @property
    def within_tenant(self) -> tuple[str, ...]:
        """The columns besides ``tenant_id``: what must differ between two tenants' rows."""
        return tuple(column for column in self.columns if column != TENANT_COLUMN)


def column_names(table: type[Table]) -> list[str]:
    return [column._meta.db_column_name for column in table._meta.columns]


def tenant_tables() -> list[type[Table]]:
    """Every table of the app that carries ``tenant_id``, in the app's order."""
    from nguon.piccolo_app import TABLES

    return [table for table in TABLES if TENANT_COLUMN in column_names(table)]


async def unique_keys() -> list[UniqueKey]:
    """Every unique index (not the primary key, not partial or on expressions) of the
    tenant tables, as the database in use has them."""
    names = {table._meta.tablename for table in tenant_tables()}
    if is_postgres(current_engine()):
        rows: list[dict[str, Any]] = await Tenant.raw(_POSTGRES_UNIQUE_INDEXES).run()
        keys = [
            UniqueKey(
                index=row["index_name"], table=row["table_name"], columns=tuple(row["columns"])
            )
            for row in rows
        ]
    else:
        grouped: dict[tuple[str, str], list[str | None]] = {}
        for row in await Tenant.raw(_SQLITE_UNIQUE_INDEXES).run():
            grouped.setdefault((row["table_name"], row["index_name"]), []).append(
                row["column_name"]
            )
        keys = [
            UniqueKey(index=index, table=table, columns=tuple(c for c in columns if c))
            for (table, index), columns in grouped.items()
            # An index on an expression names no column for that part: it is skipped.
            if all(columns)
        ]
    return [key for key in keys if key.table in names]
