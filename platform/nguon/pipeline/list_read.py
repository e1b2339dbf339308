"""Reading one list for a page, the API or a printed form: plain SQL on the hot path.

A list page shows the list, every entry with its candidate's form columns, the
transitions, resolutions and who may act next. Piccolo's query builder spends more time
composing joins than the database spends answering them, so these reads are a few plain
statements (portable between SQLite and Postgres), each filtered by the tenant as well as
by Row-Level Security, and the page, the JSON detail and the document share one read.
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any, TypedDict

import msgspec

from nguon.accounts.permissions import WRITE
from nguon.db import plain
from nguon.db.engine import TenantPostgresEngine
from nguon.org.tables import OrgUnit
from nguon.tenancy.context import require_tenant

_LIST_SQL = """
SELECT l.id, l.tenant_id, l.unit, l.unit_path, l.step, l.period_code, l.period_opens,
    l.period_deadline, l.state, l.receiver_unit, l.package, l.package_version,
    l.return_comment, l.version, l.created_at, l.updated_at, l.submitted_at,
    u.name AS "unit.name", u.kind AS "unit.kind", u.parent AS "unit.parent",
    u.path AS "unit.path", r.name AS "receiver_unit.name", r.path AS "receiver_unit.path",
    t.name AS "tenant.name", t.rules_package AS "tenant.rules_package"
FROM candidate_list AS l
JOIN tenant AS t ON t.id = l.tenant_id
JOIN org_unit AS u ON u.id = l.unit AND u.tenant_id = l.tenant_id
LEFT JOIN org_unit AS r ON r.id = l.receiver_unit AND r.tenant_id = l.tenant_id
WHERE l.tenant_id = {} AND l.id = {}
"""

# Every entry with what the list and its printed form show of the candidate, and the
# member helping them on the period's deadline (the latest assignment of that day).
# The entry's unit is joined by CASE, not COALESCE: under Row-Level Security Postgres
# treats COALESCE as leaky, cannot use it as an index condition and scanned every unit
# of the tenant for each view (1.4 ms of 2.5 on the full-size province).
_ENTRIES_SQL = """
SELECT e.id, e.candidate, e.source, e.source_list, e.outcome,
    CAST(e.reasons AS text) AS reasons, e.included, e.override_justification, e.removal_reason,
    c.full_name, c.name_search, cu.id AS "candidate.unit", cu.name AS "unit.name",
    c.date_of_birth, c.sex, c.ethnicity, c.religion, c.home_town, c.residence, c.education,
    c.occupation, c.youth_union_member, c.trade_union_member, c.certificate_number,
    c.certificate_date, c.notes,
    (SELECT m.full_name FROM helper_assignment AS h
        JOIN party_member AS m ON m.id = h.member AND m.tenant_id = h.tenant_id
        WHERE h.tenant_id = e.tenant_id AND h.candidate = e.candidate
            AND h.assigned_on <= l.period_deadline
            AND (h.ended_on IS NULL OR h.ended_on > l.period_deadline)
        ORDER BY h.assigned_on DESC, h.id DESC LIMIT 1) AS helper
FROM list_entry AS e
JOIN candidate_list AS l ON l.id = e.candidate_list AND l.tenant_id = e.tenant_id
JOIN candidate AS c ON c.id = e.candidate AND c.tenant_id = e.tenant_id
JOIN org_unit AS cu ON cu.id = CASE WHEN e.unit IS NULL THEN c.unit ELSE e.unit END
    AND cu.tenant_id = c.tenant_id
WHERE e.tenant_id = {} AND e.candidate_list = {}
"""

_TRANSITIONS_SQL = """
SELECT t.id, t.from_state, t.to_state, t.actor, t.actor_id, t.comment, t.at,
    a.full_name AS actor_name
FROM list_transition AS t
LEFT JOIN app_user AS a ON a.id = t.actor_id AND a.tenant_id = t.tenant_id
WHERE t.tenant_id = {} AND t.candidate_list = {} ORDER BY t.id
"""

_RESOLUTIONS_SQL = """
SELECT id, kind, number, adopted_on, members_total, members_present, members_agreeing, notes
FROM resolution WHERE tenant_id = {} AND candidate_list = {} ORDER BY id
"""

# The units of the accepted lists below that the list's entries came from.
_SOURCES_SQL = """
SELECT l.id, l.unit, u.name AS "unit.name" FROM candidate_list AS l
JOIN org_unit AS u ON u.id = l.unit AND u.tenant_id = l.tenant_id
WHERE l.tenant_id = {} AND l.id IN (
    SELECT e.source_list FROM list_entry AS e WHERE e.tenant_id = {} AND e.candidate_list = {}
)
ORDER BY l.id
"""

# Members of the unit whose turn it is or of an ancestor (paths end with a dot, so an
# ancestor's path is a prefix of the turn's), and the tenant's administrators, valid on
# the day. The turn: the list's unit while it is edited or adopted, the receiver once it
# is submitted.
_ACTING_SQL = """
SELECT m.id, m."user", m.role, a.full_name, a.is_active, u.name AS "unit.name"
FROM candidate_list AS l
LEFT JOIN org_unit AS r ON r.id = l.receiver_unit AND r.tenant_id = l.tenant_id
JOIN membership AS m ON m.tenant_id = l.tenant_id
JOIN app_user AS a ON a.id = m."user" AND a.tenant_id = m.tenant_id
JOIN org_unit AS u ON u.id = m.unit AND u.tenant_id = m.tenant_id
WHERE l.tenant_id = {} AND l.id = {}
    AND m.valid_from <= {} AND (m.valid_to IS NULL OR m.valid_to >= {})
    AND (EXISTS (
        SELECT 1 FROM (SELECT CASE
            WHEN l.state IN ('draft', 'returned', 'adopted') THEN l.unit_path
            WHEN l.state = 'submitted' THEN r.path
        END AS path) AS turn
        WHERE turn.path = u.path
    ))
ORDER BY m."user", m.id
"""

_UNITS_SQL = """
SELECT id, name, kind FROM org_unit WHERE tenant_id = {} AND id IN ({ids})
"""

# The rows of each statement as asyncpg gives them, for reading them back from JSON.
_EntryRow = TypedDict(
    "_EntryRow",
    {
        "id": int,
        "candidate": int,
        "source": str,
        "source_list": int | None,
        "outcome": str,
        "reasons": str,
        "included": bool,
        "override_justification": str | None,
        "removal_reason": str | None,
        "full_name": str,
        "name_search": str,
        "candidate.unit": int,
        "unit.name": str,
        "date_of_birth": dt.date | None,
        "sex": str | None,
        "ethnicity": str | None,
        "religion": str | None,
        "home_town": str | None,
        "residence": str | None,
        "education": str | None,
        "occupation": str | None,
        "youth_union_member": bool | None,
        "trade_union_member": bool | None,
        "certificate_number": str | None,
        "certificate_date": dt.date | None,
        "notes": str | None,
        "helper": str | None,
    },
)


class _TransitionRow(TypedDict):
    id: int
    from_state: str
    to_state: str
    actor: str
    actor_id: int | None
    comment: str
    at: dt.datetime
    actor_name: str | None


class _ResolutionRow(TypedDict):
    id: int
    kind: str
    number: str
    adopted_on: dt.date
    members_total: int
    members_present: int
    members_agreeing: int
    notes: str


_SourceRow = TypedDict("_SourceRow", {"id": int, "unit": int, "unit.name": str})
_ActingRow = TypedDict(
    "_ActingRow",
    {
        "id": int,
        "user": int,
        "role": str,
        "full_name": str,
        "is_active": bool,
        "unit.name": str,
    },
)
_PAGE_PARTS = msgspec.json.Decoder(
    tuple[
        list[_EntryRow],
        list[_TransitionRow],
        list[_ResolutionRow],
        list[_SourceRow],
        list[_ActingRow],
    ]
)
_PART_ORDER = ("id", "id", "id", "id", '"user", x.id')
"""How each part of :func:`whole_read` is ordered (as its own statement orders it)."""

# Postgres: a digest of what a statement returns, each row hashed as text and the
# hashes sorted, so the digest changes exactly when some row a page shows changes.
_ROWS_DIGEST = (
    "(SELECT coalesce(string_agg(h, '' ORDER BY h), '') FROM "
    "(SELECT md5(CAST(x AS text)) AS h FROM ({sql}) AS x) AS rows)"
)

EDITABLE = frozenset({"draft", "returned"})
APPROVE = "approver"


class Statement(msgspec.Struct, frozen=True):
    sql: str
    args: tuple[Any, ...]


def _digest(statements: list[Statement]) -> Statement:
    """An expression of the digest of every row the statements return (``page_digest``)."""
    parts = ", ".join(_ROWS_DIGEST.replace("{sql}", s.sql) for s in statements)
    return Statement(
        f"md5(concat_ws('#', {parts})) AS page_digest",
        tuple(arg for s in statements for arg in s.args),
    )


def _ids(values: list[int]) -> str:
    return ", ".join(str(int(value)) for value in values) or "NULL"


async def _fetch(statement: Statement) -> list[dict[str, Any]]:
    return await plain.fetch(statement.sql, *statement.args)


class ListRead(msgspec.Struct, kw_only=True):
    """One list as stored: the row (with its unit and receiver), its entries sorted as
    printed (by unit, then name), and the rows only the page and API show."""

    row: dict[str, Any]
    entries: list[dict[str, Any]]
    resolutions: list[dict[str, Any]] | None = None
    transitions: list[dict[str, Any]] | None = None
    sources: dict[int, dict[str, Any]] | None = None
    acting: tuple[dt.date, list[dict[str, Any]]] | None = None
    """The members who may act on a day, if read with the rest (:func:`whole_read`)."""


def list_statement(list_id: int) -> Statement:
    return Statement(_LIST_SQL, (require_tenant(), list_id))


def entries_statement(list_id: int) -> Statement:
    return Statement(_ENTRIES_SQL, (require_tenant(), list_id))


def transitions_statement(list_id: int) -> Statement:
    return Statement(_TRANSITIONS_SQL, (require_tenant(), list_id))


def resolutions_statement(list_id: int) -> Statement:
    return Statement(_RESOLUTIONS_SQL, (require_tenant(), list_id))


def sources_statement(list_id: int) -> Statement:
    tenant_id = require_tenant()
    return Statement(_SOURCES_SQL, (tenant_id, tenant_id, list_id))


def acting_statement(list_id: int, on: dt.date) -> Statement:
    return Statement(_ACTING_SQL, (require_tenant(), list_id, on, on))


def next_step(row: dict[str, Any]) -> tuple[str, str] | None:
    """Whose turn it is: the subtree path and the least role that may take the next step
    (``_ACTING_SQL`` finds the same turn in SQL)."""
    state = row["state"]
    if state in EDITABLE or state == "adopted":
        return row["unit_path"], WRITE
    if state == "submitted" and row["receiver_unit.path"]:
        return row["receiver_unit.path"], APPROVE
    return None


def page_statements(list_id: int, on: dt.date) -> list[Statement]:
    """Every read a list page makes, in a fixed order."""
    return [
        list_statement(list_id),
        entries_statement(list_id),
        transitions_statement(list_id),
        resolutions_statement(list_id),
        sources_statement(list_id),
        acting_statement(list_id, on),
    ]


def on_postgres() -> bool:
    """Whether lists are read in one statement, with digests (Postgres; SQLite has no md5
    and no json_agg)."""
    return isinstance(OrgUnit._meta.db, TenantPostgresEngine)


def snapshot() -> AbstractAsyncContextManager[Any]:
    """Reads that see one state of the database (Postgres); SQLite reads as they come."""
    engine = OrgUnit._meta.db
    if isinstance(engine, TenantPostgresEngine):
        return engine.snapshot()
    return nullcontext()


async def write_position() -> str:
    """Postgres only: where the next WAL record will go. Every commit that changed data
    moves it, so while it stands still nothing any reader could see has changed."""
    rows = await _fetch(Statement("SELECT CAST(pg_current_wal_insert_lsn() AS text) AS at", ()))
    return rows[0]["at"]


async def row_and_digest(list_id: int, on: dt.date) -> tuple[dict[str, Any] | None, str]:
    """Postgres only, one statement: the list's row and a digest of every row its page
    shows (``page_statements`` on ``on``)."""
    statements = page_statements(list_id, on)
    digest, first = _digest(statements), statements[0]
    sql = f"SELECT q.*, {digest.sql} FROM ({first.sql}) AS q"
    # Placeholders are numbered in the order they appear: the digest's, then the row's.
    rows = await _fetch(Statement(sql, digest.args + first.args))
    if not rows:
        return None, ""
    row = rows[0]
    return row, row.pop("page_digest")


async def whole_read(
    list_id: int, on: dt.date, *, digest: bool = False
) -> tuple[ListRead | None, str]:
    """Postgres only: everything a list page shows (``page_statements`` on ``on``) in one
    statement — so in one state of the database without a transaction, and one round trip
    instead of six — and, with ``digest``, the digest :func:`row_and_digest` gives."""
    statements = page_statements(list_id, on)
    first, rest = statements[0], statements[1:]
    parts = ", ".join(
        f"(SELECT coalesce(json_agg(x ORDER BY x.{order}), '[]') FROM ({s.sql}) AS x)"
        for s, order in zip(rest, _PART_ORDER, strict=True)
    )
    args = tuple(arg for s in rest for arg in s.args)
    columns = f"json_build_array({parts}) AS page_parts"
    if digest:
        digested = _digest(statements)
        columns += f", {digested.sql}"
        args += digested.args
    # Placeholders are numbered in the order they appear: the parts', then the row's.
    sql = f"SELECT q.*, {columns} FROM ({first.sql}) AS q"
    rows = await _fetch(Statement(sql, args + first.args))
    if not rows:
        return None, ""
    row = rows[0]
    seen = row.pop("page_digest", "")
    entries, transitions, resolutions, sources, acting = _PAGE_PARTS.decode(row.pop("page_parts"))
    read = ListRead(
        row=row,
        entries=_sorted(list(entries)),
        resolutions=list(resolutions),
        transitions=list(transitions),
        sources={source["id"]: source for source in sources},
        acting=(on, list(acting) if next_step(row) is not None else []),
    )
    return read, seen


def _sorted(entries: list[Any]) -> list[dict[str, Any]]:
    entries.sort(key=lambda e: (e["unit.name"], e["name_search"], e["id"]))
    return entries


async def list_row(list_id: int) -> dict[str, Any] | None:
    rows = await _fetch(list_statement(list_id))
    return rows[0] if rows else None


async def entries_of(row: dict[str, Any]) -> list[dict[str, Any]]:
    entries = await _fetch(entries_statement(row["id"]))
    for entry in entries:
        entry["included"] = bool(entry["included"])
    return _sorted(entries)


async def transitions_of(read: ListRead) -> list[dict[str, Any]]:
    """The list's state changes, oldest first (read once per ``ListRead``)."""
    if read.transitions is None:
        read.transitions = await _fetch(transitions_statement(read.row["id"]))
    return read.transitions


async def resolutions_of(read: ListRead) -> list[dict[str, Any]]:
    """The list's resolutions, oldest first (read once per ``ListRead``)."""
    if read.resolutions is None:
        read.resolutions = await _fetch(resolutions_statement(read.row["id"]))
    return read.resolutions


async def source_units(read: ListRead) -> dict[int, dict[str, Any]]:
    """The lists the entries came from, by id, with their units (read once per ``ListRead``)."""
    if read.sources is None:
        read.sources = {row["id"]: row for row in await _fetch(sources_statement(read.row["id"]))}
    return read.sources


async def members_acting(read: ListRead, on: dt.date) -> list[dict[str, Any]]:
    """The members of the unit whose turn it is (or above it) valid on ``on``."""
    if read.acting is not None and read.acting[0] == on:
        return read.acting[1]
    if next_step(read.row) is None:
        return []
    return await _fetch(acting_statement(read.row["id"], on))


async def units_by_id(ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    return {
        row["id"]: row
        for row in await _fetch(
            Statement(_UNITS_SQL.replace("{ids}", _ids(ids)), (require_tenant(),))
        )
    }
