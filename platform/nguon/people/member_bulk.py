"""Write the checked rows of a member import: on Postgres in three set statements fed by
one COPY, elsewhere row by row; either way each member gets the same member row, history
row ("imported", naming the file and line) and audit event as one added by hand.

Postgres refuses ``COPY FROM`` into a table under row-level security, so the rows go
into a temporary table dropped at commit, then into the tenant's tables with ``INSERT …
SELECT`` under the policies. The member ids come from the members' own sequence as the
rows are copied, so the history and audit rows can name them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import msgspec

from nguon.accounts.permissions import Access
from nguon.db.binding import current_engine
from nguon.db.engine import is_postgres
from nguon.errors import DomainError
from nguon.people.member_changes import change_actor
from nguon.people.schemas import MemberCreate
from nguon.text import nfc, search_key

STAGING = "member_import_rows"
_COLUMNS = (
    "line",
    "unit",
    "unit_path",
    "full_name",
    "name_search",
    "date_of_birth",
    "sex",
    "status",
    "admitted_on",
    "official_on",
    "card_number",
)
_STAGING_SQL = f"""
CREATE TEMPORARY TABLE {STAGING} (
    line integer NOT NULL,
    id integer NOT NULL DEFAULT nextval('{{sequence}}'::regclass),
    unit integer NOT NULL,
    unit_path varchar(400) NOT NULL,
    full_name varchar(200) NOT NULL,
    name_search varchar(200) NOT NULL,
    date_of_birth date NOT NULL,
    sex varchar(8) NOT NULL,
    status varchar(16) NOT NULL,
    admitted_on date NOT NULL,
    official_on date,
    card_number varchar(32)
) ON COMMIT DROP
"""
_MEMBERS_SQL = f"""
INSERT INTO party_member (id, tenant_id, unit, unit_path, full_name, name_search,
    date_of_birth, sex, status, admitted_on, official_on, card_number, version, created_at)
SELECT id, $1, unit, unit_path, full_name, name_search, date_of_birth, sex, status,
    admitted_on, official_on, card_number, 1, now()
FROM {STAGING} ORDER BY line
"""
_CHANGES_SQL = f"""
INSERT INTO member_change (tenant_id, member, kind, changed_on, to_unit, reason, actor_id,
    actor_name, at)
SELECT $1, id, 'imported', $2, unit, $3 || line, $4, $5, now() FROM {STAGING} ORDER BY line
"""
# The same "after" as a member added by hand records (nguon.people.service.create_member).
_AUDIT_SQL = f"""
INSERT INTO audit_event (tenant_id, at, actor_id, actor, action, entity_type, entity_id,
    before, after)
SELECT $1, now(), $2, $3, 'create', 'member', id, NULL, json_build_object(
    'unit', unit, 'full_name', full_name, 'date_of_birth', to_char(date_of_birth, 'YYYY-MM-DD'),
    'sex', sex, 'admitted_on', to_char(admitted_on, 'YYYY-MM-DD'), 'status', status,
    'official_on', to_char(official_on, 'YYYY-MM-DD'), 'card_number', card_number)
FROM {STAGING} ORDER BY line
"""


class RowRefused(Exception):
    """A row the database refused while writing row by row (nothing is kept)."""

    def __init__(self, line: int, error: DomainError) -> None:
        super().__init__(f"line {line}: {error}")
        self.line = line
        self.error = error


class CheckedRow(msgspec.Struct, frozen=True):
    line: int
    """The row's line in the file (1 is the header)."""
    unit_id: int
    unit_path: str
    values: dict[str, Any]
    """``MemberCreate`` (or ``CandidateCreate``) values without the unit, as read."""
    name_search: str = ""
    """The name's search key when the checks made it already."""


def reason_prefix(filename: str) -> str:
    """The history's reason for an imported member, without the line number."""
    return f"Nhập từ tệp {nfc(filename)}, dòng "


async def write_members(
    access: Access, tenant_id: int, rows: Sequence[CheckedRow], filename: str, today: dt.date
) -> None:
    """Record every row (inside the caller's transaction)."""
    if is_postgres(current_engine()):
        await _copy(access, tenant_id, rows, filename, today)
        return
    from nguon.people.service import create_member

    for row in rows:
        try:
            await create_member(
                access,
                MemberCreate(unit_id=row.unit_id, **row.values),
                kind="imported",
                reason=f"{reason_prefix(filename)}{row.line}",
            )
        except DomainError as error:
            raise RowRefused(row.line, error) from error


async def _copy(
    access: Access, tenant_id: int, rows: Sequence[CheckedRow], filename: str, today: dt.date
) -> None:
    transaction = current_engine().current_transaction.get()  # type: ignore[attr-defined]
    if transaction is None:
        raise RuntimeError("write_members must run inside a transaction")
    connection = transaction.connection
    sequence = await connection.fetchval("SELECT pg_get_serial_sequence('party_member', 'id')")
    await connection.execute(_STAGING_SQL.format(sequence=sequence))
    await connection.copy_records_to_table(
        STAGING, records=(_record(row) for row in rows), columns=_COLUMNS
    )
    actor = change_actor(access)
    await connection.execute(_MEMBERS_SQL, tenant_id)
    await connection.execute(
        _CHANGES_SQL,
        tenant_id,
        today,
        reason_prefix(filename),
        actor.user_id,
        actor.full_name,
    )
    await connection.execute(_AUDIT_SQL, tenant_id, actor.user_id, actor.label)
    await connection.execute(f"DROP TABLE {STAGING}")


def _record(row: CheckedRow) -> tuple[Any, ...]:
    values = row.values
    full_name = nfc(values["full_name"])
    return (
        row.line,
        row.unit_id,
        row.unit_path,
        full_name,
        search_key(full_name),
        values["date_of_birth"],
        values["sex"],
        values["status"],
        values["admitted_on"],
        values["official_on"],
        values["card_number"],
    )
