"""What a user may see and do: roles held on units, each covering the unit's subtree.

A grant's ``path`` is the unit's materialised path; ``tenant_admin`` covers the whole
tenant (path ``""``, the prefix of every path).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Literal

import msgspec
from piccolo.columns import Column
from piccolo.columns.combination import Or, Where
from piccolo.table import Table

from nguon.accounts.tables import User
from nguon.clock import epoch_ms, today_in_vietnam
from nguon.db import plain
from nguon.errors import NotFound
from nguon.kept import BoundedCache, content_key
from nguon.tenancy.context import require_tenant
from nguon.tenancy.scoped import in_tenant

Role = Literal["viewer", "editor", "approver", "unit_admin", "tenant_admin"]
ROLES: tuple[Role, ...] = ("viewer", "editor", "approver", "unit_admin", "tenant_admin")
RANK: dict[str, int] = {role: rank for rank, role in enumerate(ROLES)}

READ: Role = "viewer"
WRITE: Role = "editor"

WHOLE_TENANT = ""


class Grant(msgspec.Struct, frozen=True):
    unit_id: int | None
    path: str
    role: Role


class Access(msgspec.Struct, frozen=True):
    """A signed-in user of one tenant and the grants valid today."""

    user_id: int
    tenant_id: int
    username: str
    full_name: str
    grants: tuple[Grant, ...]
    valid_since_ms: int = 0
    """Sessions and tokens issued before this (ms since the epoch) are void."""
    must_change_password: bool = False
    """An administrator reset the password: nothing but changing it is allowed."""
    structure: int | None = None
    """Postgres: the tree's structure stamp the grants were derived under, read with them
    at the start of the request (:func:`nguon.reports.structure.tree_of`)."""
    rules_package: str | None = None
    """Postgres: the tenant's rules package, read with the grants."""

    def role_on(self, path: str) -> Role | None:
        """The strongest role covering the unit with this path, or None."""
        roles = [g.role for g in self.grants if path.startswith(g.path)]
        return max(roles, key=RANK.__getitem__) if roles else None

    def can(self, path: str, role: Role) -> bool:
        held = self.role_on(path)
        return held is not None and RANK[held] >= RANK[role]

    def can_see(self, path: str) -> bool:
        return self.role_on(path) is not None

    def visible_prefixes(self) -> list[str]:
        """The smallest set of path prefixes that covers every unit the user may see."""
        prefixes: list[str] = []
        for path in sorted({g.path for g in self.grants}, key=len):
            if not any(path.startswith(p) for p in prefixes):
                prefixes.append(path)
        return prefixes

    def visibility(self, path_column: Column) -> Where | Or | None:
        """A WHERE clause restricting ``path_column`` to visible subtrees; None if nothing."""
        clauses = [path_column.like(f"{prefix}%") for prefix in self.visible_prefixes()]
        if not clauses:
            return None
        clause: Where | Or = clauses[0]
        for other in clauses[1:]:
            clause = clause | other
        return clause


async def load_access(user_id: int, tenant_id: int, username: str, full_name: str) -> Access:
    """Read the user's memberships valid today (the tenant must be set)."""
    rows = await User.raw(
        _GRANTED_CTE + "SELECT role, unit, path FROM granted UNION ALL "
        "SELECT 'viewer', p.id, p.path FROM taken_over AS t "
        "JOIN org_unit AS p ON p.id = t.unit AND p.tenant_id = {}",
        *_access_args(tenant_id, user_id, today_in_vietnam()),
        tenant_id,
    ).run()
    return Access(
        user_id=user_id,
        tenant_id=tenant_id,
        username=username,
        full_name=full_name,
        grants=_grants((row["role"], row["unit"], row["path"]) for row in rows),
    )


def _grants(rows: Iterable[tuple[str | None, int | None, str | None]]) -> tuple[Grant, ...]:
    grants: list[Grant] = []
    for role, unit_id, path in rows:
        if role not in RANK or path is None:
            continue
        if role == "tenant_admin":
            grants.append(Grant(unit_id=None, path=WHOLE_TENANT, role=role))
        else:
            grants.append(Grant(unit_id=unit_id, path=path, role=role))
    # One order whichever way they were read (the database's rows come in any order).
    return tuple(sorted(grants, key=lambda g: (g.path, RANK[g.role], g.unit_id or 0)))


# The user's memberships valid today, and the units the granted subtrees took over in
# restructurings (read, for their history), in one round trip (a request's first query).
_GRANTED_CTE = """
WITH RECURSIVE granted AS (
    SELECT m.role, m.unit, ou.path FROM membership AS m
    JOIN org_unit AS ou ON ou.id = m.unit AND ou.tenant_id = m.tenant_id
    WHERE m.tenant_id = {} AND m."user" = {} AND m.valid_from <= {}
        AND (m.valid_to IS NULL OR m.valid_to >= {})
), taken_over(unit) AS (
    SELECT s.predecessor FROM unit_succession AS s
    JOIN org_unit AS su ON su.id = s.successor AND su.tenant_id = s.tenant_id
    JOIN granted AS g ON su.path LIKE g.path || '%'
    WHERE s.tenant_id = {}
    UNION
    SELECT s.predecessor FROM unit_succession AS s
    JOIN taken_over AS t ON s.successor = t.unit
    WHERE s.tenant_id = {}
)
"""
_USER_ACCESS_SQL = (
    _GRANTED_CTE
    + """
SELECT u.id, u.username, u.full_name, u.is_active, u.credentials_changed_at,
    u.must_change_password, g.role, g.unit, g.path
FROM app_user AS u LEFT JOIN granted AS g ON 1 = 1
WHERE u.tenant_id = {} AND u.id = {}
UNION ALL
SELECT u.id, u.username, u.full_name, u.is_active, u.credentials_changed_at,
    u.must_change_password, 'viewer', p.id, p.path
FROM app_user AS u JOIN taken_over AS t ON 1 = 1
JOIN org_unit AS p ON p.id = t.unit AND p.tenant_id = {}
WHERE u.tenant_id = {} AND u.id = {}
"""
)


def _access_args(tenant_id: int, user_id: int, today: dt.date) -> list[Any]:
    return [tenant_id, user_id, today, today, tenant_id, tenant_id]


async def user_access(user_id: int) -> Access | None:
    """The access of an active user of the current tenant, or None (one query)."""
    from nguon.reports.structure import database_identity

    tenant_id = require_tenant()
    today = today_in_vietnam()
    database = await database_identity()
    if database is not None:
        return await _access_in_kept_tree(database, tenant_id, user_id, today)
    rows = await User.raw(
        _USER_ACCESS_SQL,
        *_access_args(tenant_id, user_id, today),
        tenant_id,
        user_id,
        tenant_id,
        tenant_id,
        user_id,
    ).run()
    if not rows or not rows[0]["is_active"]:
        return None
    return _access(
        tenant_id, rows, _grants((row["role"], row["unit"], row["path"]) for row in rows)
    )


def _access(
    tenant_id: int,
    rows: list[dict[str, Any]],
    grants: tuple[Grant, ...],
    structure: int | None = None,
    rules_package: str | None = None,
) -> Access:
    first = rows[0]
    return Access(
        user_id=first["id"],
        tenant_id=tenant_id,
        username=first["username"],
        full_name=first["full_name"],
        grants=grants,
        valid_since_ms=epoch_ms(first["credentials_changed_at"]),
        must_change_password=bool(first["must_change_password"]),
        structure=structure,
        rules_package=rules_package,
    )


# The user and their memberships valid today, with the tree's structure stamp (the units'
# paths and the successions come from the tree each process keeps under that stamp) and
# the tenant's rules package, which most pages need.
_USER_MEMBERSHIPS_SQL = """
SELECT u.id, u.username, u.full_name, u.is_active, u.credentials_changed_at,
    u.must_change_password, m.role, m.unit,
    (SELECT version FROM unit_structure WHERE id = 1) AS structure,
    (SELECT t.rules_package FROM tenant AS t WHERE t.id = u.tenant_id) AS rules_package
FROM app_user AS u LEFT JOIN membership AS m
    ON m.tenant_id = u.tenant_id AND m."user" = u.id AND m.valid_from <= {}
        AND (m.valid_to IS NULL OR m.valid_to >= {})
WHERE u.tenant_id = {} AND u.id = {}
"""
GRANTS_KEPT = 256
_GRANTS: BoundedCache[tuple[Grant, ...]] = BoundedCache(GRANTS_KEPT)


async def _access_in_kept_tree(
    database: str, tenant_id: int, user_id: int, today: dt.date
) -> Access | None:
    """Postgres: the same access as ``_USER_ACCESS_SQL`` from an index lookup instead of
    its walk over every unit (2.3 ms of the database's time on a province of 4,000 units,
    on every request); the grants are derived from the kept tree, once per tree and set
    of memberships."""
    from nguon.reports.structure import tree_at

    rows = await plain.fetch(_USER_MEMBERSHIPS_SQL, today, today, tenant_id, user_id)
    if not rows or not rows[0]["is_active"]:
        return None
    memberships = sorted((row["role"], row["unit"]) for row in rows if row["role"] is not None)
    tree = await tree_at(database, rows[0]["structure"])
    key = content_key(tree.key, memberships)
    grants = _GRANTS.get(key)
    if grants is None:
        grants = _grants(granted_in_tree(tree.units, tree.successions, memberships))
        _GRANTS.put(key, grants)
    return _access(tenant_id, rows, grants, rows[0]["structure"], rows[0]["rules_package"])


def granted_in_tree(
    units: dict[int, dict[str, Any]],
    successions: list[dict[str, Any]],
    memberships: Iterable[tuple[str, int]],
) -> list[tuple[str, int, str]]:
    """Each membership's role on its unit's path, and ``viewer`` on every unit whose work
    a unit of a granted subtree took over, transitively (to read its history): what
    ``_GRANTED_CTE`` computes in the database."""
    from nguon.reports.records import predecessors_of, reached

    granted = [(role, unit, units[unit]["path"]) for role, unit in memberships if unit in units]
    paths = [path for _, _, path in granted]
    taken = reached(
        (
            row["predecessor"]
            for row in successions
            if (successor := units.get(row["successor"])) is not None
            and any(successor["path"].startswith(p) for p in paths)
        ),
        predecessors_of(successions),
    )
    return granted + [
        ("viewer", unit, units[unit]["path"]) for unit in sorted(taken) if unit in units
    ]


async def visible_row(
    access: Access, table: type[Table], path_column: Column, row_id: int, what: str
) -> dict[str, Any]:
    """The row ``row_id`` of ``table`` if it is in the tenant and in one of the caller's
    subtrees (``path_column``); otherwise ``NotFound(what)``, whoever owns it."""
    clause = access.visibility(path_column)
    if clause is None:
        raise NotFound(what)
    row = await (
        table.select()
        .where(in_tenant(table), table._meta.primary_key == row_id, clause)
        .first()
        .run()
    )
    if row is None:
        raise NotFound(what)
    return row
