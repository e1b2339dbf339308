"""Write the checked rows of a candidate import: on Postgres two set statements fed by one
COPY, elsewhere row by row through ``create_candidate``; either way each person gets the
same candidate row (stage "surveyed", the national ID encrypted and hashed) and audit
event as one added by hand.

As for members (``nguon.people.member_bulk``), the rows are copied into a temporary table
dropped at commit, then into ``candidate`` under the row-level security policies, their
ids drawn from the candidates' own sequence as they are copied.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nguon.accounts.permissions import Access
from nguon.crypto import NationalIdSealer
from nguon.db.binding import current_engine
from nguon.db.engine import is_postgres
from nguon.errors import DomainError
from nguon.people.member_bulk import CheckedRow, RowRefused
from nguon.people.member_changes import change_actor
from nguon.people.schemas import CandidateCreate
from nguon.text import search_key

STAGING = "candidate_import_rows"
_TEXTS = ("full_name", "ethnicity", "religion", "home_town", "residence", "occupation", "notes")
_COLUMNS = (
    "line",
    "unit",
    "unit_path",
    *_TEXTS,
    "name_search",
    "date_of_birth",
    "sex",
    "education",
    "youth_union_member",
    "trade_union_member",
    "hardship_area",
    "national_id_encrypted",
    "national_id_hash",
    "national_id_key",
)
_STAGING_SQL = f"""
CREATE TEMPORARY TABLE {STAGING} (
    line integer NOT NULL,
    id integer NOT NULL DEFAULT nextval('{{sequence}}'::regclass),
    unit integer NOT NULL,
    unit_path varchar(400) NOT NULL,
    full_name varchar(200) NOT NULL,
    ethnicity varchar(64) NOT NULL,
    religion varchar(64) NOT NULL,
    home_town varchar(300) NOT NULL,
    residence varchar(300) NOT NULL,
    occupation varchar(200) NOT NULL,
    notes text NOT NULL,
    name_search varchar(200) NOT NULL,
    date_of_birth date NOT NULL,
    sex varchar(8) NOT NULL,
    education varchar(32) NOT NULL,
    youth_union_member boolean NOT NULL,
    trade_union_member boolean NOT NULL,
    hardship_area boolean NOT NULL,
    national_id_encrypted text,
    national_id_hash varchar(64),
    national_id_key varchar(16)
) ON COMMIT DROP
"""
_CANDIDATES_SQL = f"""
INSERT INTO candidate (id, tenant_id, unit, unit_path, full_name, name_search, date_of_birth,
    sex, ethnicity, religion, home_town, residence, education, occupation,
    youth_union_member, trade_union_member, hardship_area, political_standard,
    is_party_member, provincial_consent_over_60, certificate_number, certificate_date,
    stage, national_id_encrypted, national_id_hash, national_id_key, notes, version,
    created_at, updated_at)
SELECT id, $1, unit, unit_path, full_name, name_search, date_of_birth, sex, ethnicity,
    religion, home_town, residence, education, occupation, youth_union_member,
    trade_union_member, hardship_area, 'unchecked', false, false, NULL, NULL, 'surveyed',
    national_id_encrypted, national_id_hash, national_id_key, notes, 1, now(), now()
FROM {STAGING}
"""
# The same "after" as a candidate added by hand records (nguon.people.service._audit_state,
# the national ID redacted and left out when there is none, as nguon.audit.service does).
_AFTER = """'unit', unit, 'full_name', full_name,
    'date_of_birth', to_char(date_of_birth, 'YYYY-MM-DD'), 'sex', sex,
    'ethnicity', ethnicity, 'religion', religion, 'home_town', home_town,
    'residence', residence, 'education', education, 'occupation', occupation,
    'youth_union_member', youth_union_member, 'trade_union_member', trade_union_member,
    'hardship_area', hardship_area, 'political_standard', 'unchecked',
    'provincial_consent_over_60', false, 'certificate_number', NULL,
    'certificate_date', NULL, 'stage', 'surveyed', 'notes', notes"""
_AUDIT_SQL = f"""
INSERT INTO audit_event (tenant_id, at, actor_id, actor, action, entity_type, entity_id,
    before, after)
SELECT $1, now(), $2, $3, 'create', 'candidate', id, NULL,
    CASE WHEN national_id_hash IS NULL THEN json_build_object({_AFTER})
    ELSE json_build_object({_AFTER}, 'national_id', '[redacted]') END
FROM {STAGING}
"""


async def write_candidates(access: Access, tenant_id: int, rows: Sequence[CheckedRow]) -> None:
    """Record every row (inside the caller's transaction)."""
    if is_postgres(current_engine()):
        await _copy(access, tenant_id, rows)
        return
    from nguon.people.service import create_candidate

    for row in rows:
        try:
            await create_candidate(access, CandidateCreate(unit_id=row.unit_id, **row.values))
        except DomainError as error:
            raise RowRefused(row.line, error) from error


async def _copy(access: Access, tenant_id: int, rows: Sequence[CheckedRow]) -> None:
    transaction = current_engine().current_transaction.get()  # type: ignore[attr-defined]
    if transaction is None:
        raise RuntimeError("write_candidates must run inside a transaction")
    connection = transaction.connection
    sequence = await connection.fetchval("SELECT pg_get_serial_sequence('candidate', 'id')")
    await connection.execute(_STAGING_SQL.format(sequence=sequence))
    sealer = NationalIdSealer()
    await connection.copy_records_to_table(
        STAGING, records=(_record(row, sealer) for row in rows), columns=_COLUMNS
    )
    actor = change_actor(access)
    await connection.execute(_CANDIDATES_SQL, tenant_id)
    await connection.execute(_AUDIT_SQL, tenant_id, actor.user_id, actor.label)
    await connection.execute(f"DROP TABLE {STAGING}")


def _record(row: CheckedRow, sealer: NationalIdSealer) -> tuple[Any, ...]:
    values = row.values
    texts = tuple(values[field] for field in _TEXTS)  # NFC already (member_input.text_of)
    national_id = values["national_id"]
    sealed: tuple[str | None, ...] = (None, None, None)
    if national_id:
        sealed = (sealer.encrypt(national_id), sealer.lookup_hash(national_id), sealer.key_id)
    return (
        row.line,
        row.unit_id,
        row.unit_path,
        *texts,
        row.name_search or search_key(texts[0]),
        values["date_of_birth"],
        values["sex"],
        values["education"],
        values["youth_union_member"],
        values["trade_union_member"],
        values["hardship_area"],
        *sealed,
    )
