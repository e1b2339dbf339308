"""The tenant's tree as the figures read it — its units and their successions — kept per
process under the database's structure stamp, and the units' figures versions read apart.

Every page of figures needs the whole tree (where a person was on a past day depends on
units far from the subtree shown), yet the tree changes a few times a year while the
figures versions on the same rows move with every write. So the tree is kept: the
database moves ``unit_structure.version`` (a trigger, in the writing transaction) on any
statement that adds, removes or changes a unit other than its figures version, or a
succession. The stamp is read *before* the tree, so a change committed meanwhile leaves a
newer tree under the older stamp, never an older tree under the newer one. On SQLite
(one process: the demo, tests) nothing is kept.

The units kept are shared by every view: they are read, never changed.
"""

from __future__ import annotations

import weakref
from collections.abc import Collection
from typing import TYPE_CHECKING, Any, NamedTuple

from nguon.db import plain
from nguon.db.binding import current_engine
from nguon.db.engine import is_postgres
from nguon.kept import BoundedCache, SingleFlight, content_key
from nguon.org.tables import OrgUnit, UnitSuccession
from nguon.tenancy.context import require_tenant
from nguon.tenancy.scoped import in_tenant

if TYPE_CHECKING:
    from nguon.accounts.permissions import Access

TREES_KEPT = 8
"""Trees kept per process: one per tenant a process serves, with room for a restructuring."""
_TREES: BoundedCache[Tree] = BoundedCache(TREES_KEPT)
_FLIGHTS = SingleFlight()
_DATABASES: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
_UNIT_COLUMNS = (
    OrgUnit.id,
    OrgUnit.tenant_id,
    OrgUnit.code,
    OrgUnit.name,
    OrgUnit.kind,
    OrgUnit.bloc,
    OrgUnit.parent,
    OrgUnit.path,
    OrgUnit.depth,
    OrgUnit.valid_from,
    OrgUnit.valid_to,
)


async def database_identity() -> str | None:
    """Which database the stamps and versions are of: a database made again under the
    same name (or another one) starts them again. None on SQLite, where nothing is kept."""
    engine = current_engine()
    if not is_postgres(engine):
        return None
    found = _DATABASES.get(engine)
    if found is None:
        row = await OrgUnit.raw(
            "SELECT current_database() || ':' || oid::text AS name FROM pg_database"
            " WHERE datname = current_database()"
        )
        found = _DATABASES[engine] = f"{engine.config.get('host')}:{row[0]['name']}"
    return found


async def load_units() -> dict[int, dict[str, Any]]:
    """Every unit of the tenant, by id (without figures versions: see
    :func:`figures_versions`)."""
    rows = await OrgUnit.select(*_UNIT_COLUMNS).where(in_tenant(OrgUnit))
    return {row["id"]: row for row in rows}


async def load_successions() -> list[dict[str, Any]]:
    return await UnitSuccession.select(UnitSuccession.predecessor, UnitSuccession.successor).where(
        in_tenant(UnitSuccession)
    )


class Tree(NamedTuple):
    """The tenant's tree and the key it is kept under (None when not kept: SQLite)."""

    key: bytes | None
    units: dict[int, dict[str, Any]]
    successions: list[dict[str, Any]]


async def kept_tree() -> Tree:
    """The tenant's units by id and its successions, as kept for the structure stamp."""
    database = await database_identity()
    if database is None:
        return Tree(None, await load_units(), await load_successions())
    stamp = await plain.fetch("SELECT version FROM unit_structure WHERE id = 1")
    return await tree_at(database, stamp[0]["version"] if stamp else None)


async def tree_of(access: Access) -> Tree:
    """The tree the request's ``access`` was derived from (its stamp read with the user's
    memberships, one query earlier), without reading the stamp again; the current one
    where the access has none (SQLite, an access made outside a request). For pages that
    only read: a request that restructures reads :func:`kept_tree` after its write."""
    database = await database_identity()
    if database is None or access.structure is None or access.tenant_id != require_tenant():
        return await kept_tree()
    return await tree_at(database, access.structure)


async def tree_at(database: str, stamp: int | None) -> Tree:
    """The tree kept for the structure ``stamp`` of ``database`` (read by the caller
    before this: the tree read here is that stamp's or newer), read if not kept."""
    key = content_key(database, require_tenant(), stamp)
    async with _FLIGHTS.after_others(key):
        tree = _TREES.get(key)
        if tree is None:
            tree = Tree(key, await load_units(), await load_successions())
            _TREES.put(key, tree)
    return tree


async def load_tree() -> tuple[dict[int, dict[str, Any]], list[dict[str, Any]]]:
    """The tenant's units by id and its successions, as kept for the structure stamp."""
    tree = await kept_tree()
    return tree.units, tree.successions


async def figures_versions(unit_ids: list[int]) -> dict[int, int]:
    """The figures version of each of ``unit_ids`` now (moved by every write of their
    people's records)."""
    if not unit_ids:
        return {}
    if is_postgres(current_engine()):
        rows = await plain.fetch(
            "SELECT id, figures_version FROM org_unit WHERE tenant_id = {} AND id = ANY({})",
            require_tenant(),
            unit_ids,
        )
    else:
        rows = await OrgUnit.select(OrgUnit.id, OrgUnit.figures_version).where(
            in_tenant(OrgUnit), OrgUnit.id.is_in(unit_ids)
        )
    return {row["id"]: row["figures_version"] for row in rows}


NAMED_AT_MOST = 256
"""Subtrees of at most this many units are read by their ids, larger ones by their path."""


_STAMP = "SELECT count(*) AS n, coalesce(sum(figures_version), 0) AS total FROM org_unit"


def stamp_statement(
    path: str, outside: list[int], units: Collection[int], more: str = ""
) -> tuple[str, tuple[Any, ...]]:
    """A statement, and its arguments, reading how many units there are in the subtree at
    ``path`` and of ``outside`` — that is of ``units``, the same set — and the sum of their
    figures versions (columns ``n`` and ``total``; Postgres): a version only ever goes up,
    so the sum over a set of units moves with every write of their people's records or
    lists. The subtree is named by its path (digits and dots: no ``LIKE`` wildcard).
    ``more``: a query of more unit ids to count (one column), written in SQL."""
    # A small subtree is named by its ids: a prepared statement's generic plan cannot use
    # the path index for a LIKE parameter and scans every unit; a large one is most of
    # the units anyway, where a long list of ids costs more than the scan. More ids join
    # the named ones in one array read first: under Row-Level Security an index condition
    # must be leakproof, which neither an OR with them nor an array concatenation is.
    if len(units) <= NAMED_AT_MOST:
        named = (
            "id = ANY(ARRAY(SELECT w.id FROM"
            f" (SELECT unnest({{}}::integer[]) AS id UNION {more}) AS w))"
            if more
            else "id = ANY({})"
        )
        return f"{_STAMP} WHERE tenant_id = {{}} AND {named}", (require_tenant(), sorted(units))
    also = f" OR id IN ({more})" if more else ""
    return (
        f"{_STAMP} WHERE tenant_id = {{}} AND (path LIKE {{}} OR id = ANY({{}}){also})",
        (require_tenant(), f"{path}%", outside),
    )
