"""Merge one tenant into another: every row moves, ids unchanged, in one transaction.

``merge_tenants("thaibinh", "hungyen", date(2025, 7, 1))`` runs as the database owner (an
operator action). In one transaction it

1. checks, before writing anything, that the two tenants can become one: every key unique
   within a tenant (read from the database's unique indexes: unit codes, usernames,
   plugin settings, national-ID numbers through their keyed hash, …) must not be held by
   both, and both must use the same rules package; any conflict refuses the whole merge;
2. moves every row of every tenant table (``tenant_tables()``) from the source to the
   target with ``UPDATE … SET tenant_id = target WHERE tenant_id = source`` — ids stay,
   so every reference between rows stays true, audit events included;
3. applies the restructuring file, if one is given, to the target on the merge date;
4. closes the source (``merged_into``, ``merged_on``) and writes one ``tenant_merged``
   audit event in the target.

On Postgres the owner is NOBYPASSRLS under FORCE RLS: the transaction runs as the target
(``nguon.tenant_id``) and names the source in ``nguon.merge_source``, which the owner-only
policy ``tenant_merge`` reads (see ``nguon.db.security``).

Running the same merge again changes nothing and says when it was done (rows written under
the old tenant in the meantime, by an app server that still had it cached, move then).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import msgspec
from piccolo.table import Table

from nguon.audit.service import REDACTED_FIELDS, Actor, record_event
from nguon.db.binding import current_engine
from nguon.db.engine import is_postgres
from nguon.org.restructure import (
    RestructuringFile,
    RestructuringFileError,
    RestructuringRefused,
    RestructuringReport,
    apply_restructuring,
    load_restructuring,
    plan_restructuring,
)
from nguon.org.tables import Membership
from nguon.tenancy.context import tenant_context
from nguon.tenancy.tables import Tenant
from nguon.tenancy.tenant_tables import (
    TENANT_COLUMN,
    UniqueKey,
    column_names,
    tenant_tables,
    unique_keys,
)

MERGE_ACTOR = Actor(label="cli:merge")
MERGE_ACTION = "tenant_merged"
LEFTOVERS_ACTION = "tenant_merge_leftovers"
SET_MERGE_SOURCE_SQL = "SELECT set_config('nguon.merge_source', $1, true)"

_KEY_NAMES = {
    ("org_unit", ("code",)): "unit code",
    ("app_user", ("username",)): "username",
    ("candidate", ("national_id_hash",)): "national ID number",
    ("tenant_plugin", ("name",)): "plugin settings",
}
_LABEL_COLUMNS = ("full_name", "name", "title", "code", "username")
"""What names a row for a person reading a conflict (the first such column not in the key)."""


class MergeRefused(Exception):
    """The merge cannot be done; nothing was written. ``problems`` says why, each one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class MergeReport(msgspec.Struct, kw_only=True):
    source: str
    target: str
    merged_on: dt.date
    target_name: str = ""
    dry_run: bool = False
    already_merged: bool = False
    """The source was merged into the target before (on ``merged_on``): nothing changed,
    except rows written under the source since then, if any (``rows``), which moved too."""
    rows: dict[str, int] = {}
    """Rows moved per table (a dry run: rows that would move)."""
    conflicts: list[str] = []
    """What must be resolved first (a dry run reports them; a real run raises)."""
    structure: str | None = None
    """The restructuring file applied with the merge."""
    restructuring: RestructuringReport | None = None
    """The restructuring applied on the merge date (a dry run applies it and rolls back, so
    it reports exactly what would change)."""
    admins_ended: list[str] = []
    """The source's tenant administrators, whose role ended the day before the merge: a
    merge gives nobody rights over the other province; the target's admins grant them."""

    @property
    def total(self) -> int:
        return sum(self.rows.values())


class _DryRunDone(Exception):
    """Rolls back a dry run that went as far as moving rows to apply the restructuring."""

    def __init__(self, report: MergeReport) -> None:
        super().__init__("dry run")
        self.report = report


class _Tenants(msgspec.Struct, frozen=True):
    source: Tenant
    target: Tenant


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def move_rows(table: type[Table], source_id: int, target_id: int) -> None:
    """Give every row of ``table`` held by the source to the target (ids unchanged)."""
    column = getattr(table, TENANT_COLUMN)
    await table.update({column: target_id}).where(column == source_id).run()


async def count_rows(table: type[Table], tenant_id: int) -> int:
    return await table.count().where(getattr(table, TENANT_COLUMN) == tenant_id).run()


async def _allow_source_rows(source_id: int) -> None:
    """On Postgres: let the owner's ``tenant_merge`` policy show the source's rows for the
    rest of this transaction (besides the target's, which ``nguon.tenant_id`` shows)."""
    engine = current_engine()
    if not is_postgres(engine):
        return
    transaction = engine.current_transaction.get()
    if transaction is None:
        raise RuntimeError("a merge runs inside a transaction")
    await transaction.connection.execute(SET_MERGE_SOURCE_SQL, str(source_id))


async def _tenant(slug: str) -> Tenant | None:
    return await Tenant.objects().where(Tenant.slug == slug).first().run()


async def _lock_tenants(source: Tenant, target: Tenant) -> _Tenants:
    """Re-read both tenants inside the transaction (locked on Postgres: two merges of the
    same tenants cannot run side by side)."""
    if is_postgres(current_engine()):
        await Tenant.raw(
            "SELECT id FROM tenant WHERE id IN ({}, {}) ORDER BY id FOR UPDATE",
            source.id,
            target.id,
        ).run()
    fresh_source = await Tenant.objects().where(Tenant.id == source.id).first().run()
    fresh_target = await Tenant.objects().where(Tenant.id == target.id).first().run()
    assert fresh_source is not None and fresh_target is not None
    return _Tenants(source=fresh_source, target=fresh_target)


def _closed_problems(tenants: _Tenants) -> list[str]:
    source, target = tenants.source, tenants.target
    problems = []
    if source.merged_into is not None:
        problems.append(
            f"tenant {source.slug!r} was merged into {source.merged_into!r} on "
            f"{source.merged_on}: it has nothing left to merge"
        )
    if target.merged_into is not None:
        problems.append(
            f"tenant {target.slug!r} was merged into {target.merged_into!r} on "
            f"{target.merged_on}: merge into {target.merged_into!r} instead"
        )
    return problems


def _key_name(key: UniqueKey) -> str:
    known = _KEY_NAMES.get((key.table, key.within_tenant))
    if known:
        return known
    return f"unique key {key.index}"


def _label_column(table: type[Table], key: UniqueKey) -> str | None:
    columns = column_names(table)
    for name in _LABEL_COLUMNS:
        if name in columns and name not in REDACTED_FIELDS and name not in key.within_tenant:
            return name
    return None


async def _key_conflicts(key: UniqueKey, table: type[Table], tenants: _Tenants) -> list[str]:
    """Pairs of rows, one per tenant, that would hold the same value of ``key``."""
    label = _label_column(table, key)
    shown = [c for c in key.within_tenant if c not in REDACTED_FIELDS]
    selected = ["s.id AS source_id", "t.id AS target_id"]
    if label:
        selected += [f"s.{_quoted(label)} AS source_label", f"t.{_quoted(label)} AS target_label"]
    selected += [f"s.{_quoted(c)} AS {_quoted('key_' + c)}" for c in shown]
    joined = " AND ".join(f"s.{_quoted(c)} = t.{_quoted(c)}" for c in key.within_tenant)
    rows = await Tenant.raw(
        f"SELECT {', '.join(selected)} FROM {_quoted(key.table)} AS s "
        f"JOIN {_quoted(key.table)} AS t ON {joined or '1 = 1'} "
        f"WHERE s.{TENANT_COLUMN} = {{}} AND t.{TENANT_COLUMN} = {{}} ORDER BY s.id, t.id",
        tenants.source.id,
        tenants.target.id,
    ).run()
    name = _key_name(key)
    problems = []
    for row in rows:

        def side(tenant: Tenant, prefix: str, row: dict[str, Any] = row) -> str:
            text = f"{tenant.slug} {key.table} #{row[prefix + '_id']}"
            return f"{text} ({row[prefix + '_label']})" if label else text

        record = f"{side(tenants.source, 'source')} and {side(tenants.target, 'target')}"
        if len(shown) < len(key.within_tenant):
            # A secret (the national ID's keyed hash) is never printed, only its meaning.
            problems.append(
                f"{name}: {record} have the same {name} — the same person twice, or a wrong "
                "number; a person decides which record keeps it and corrects or clears the "
                "other's before merging"
            )
        else:
            problems.append(f"{name} {_key_value(key, shown, row)}: held by both {record}")
    return problems


def _key_value(key: UniqueKey, shown: list[str], row: dict[str, Any]) -> str:
    if len(shown) == 1 and (key.table, key.within_tenant) in _KEY_NAMES:
        return repr(row["key_" + shown[0]])
    return "(" + ", ".join(f"{c}={row['key_' + c]!r}" for c in shown) + ")"


async def _conflicts(tenants: _Tenants) -> list[str]:
    problems: list[str] = []
    if tenants.source.rules_package != tenants.target.rules_package:
        problems.append(
            f"rules package: {tenants.source.slug} uses {tenants.source.rules_package!r}, "
            f"{tenants.target.slug} uses {tenants.target.rules_package!r}; both must use the "
            "same package"
        )
    by_name = {table._meta.tablename: table for table in tenant_tables()}
    for key in await unique_keys():
        # A key without tenant_id is unique across tenants already, and ids do not change.
        if key.per_tenant:
            problems.extend(await _key_conflicts(key, by_name[key.table], tenants))
    return problems


def _load_structure(path: Path, target: str, on: dt.date) -> RestructuringFile:
    """The restructuring file, checked to be a restructuring of ``target`` on ``on``."""
    try:
        spec = load_restructuring(path)
    except RestructuringFileError as error:
        raise MergeRefused(error.problems) from error
    problems = []
    if spec.tenant != target:
        problems.append(f"{path}: tenant = {spec.tenant!r}, but the merge restructures {target!r}")
    if spec.effective_on != on:
        problems.append(f"{path}: effective_on = {spec.effective_on}, but the merge is on {on}")
    if problems:
        raise MergeRefused(problems)
    return spec


async def _restructure(
    spec: RestructuringFile, path: Path, actor: Actor, dry_run: bool
) -> RestructuringReport:
    """Apply the restructuring to the target (the current tenant), rows already moved."""
    plan = await plan_restructuring(spec, source=str(path))
    try:
        report = await apply_restructuring(plan, actor)
    except RestructuringRefused as refused:
        raise MergeRefused(refused.problems) from refused
    if report.already_applied is not None:
        raise MergeRefused(
            [
                f"{path}: this file was applied to {spec.tenant!r} before "
                f"(at {report.already_applied.applied_at:%Y-%m-%d %H:%M}); the merge places "
                "the merged units with a restructuring of its own: write one for the merge"
            ]
        )
    if dry_run:
        return msgspec.structs.replace(report, dry_run=True, restructuring_id=None)
    return report


async def merge_tenants(
    source: str,
    target: str,
    on: dt.date,
    *,
    structure: Path | None = None,
    dry_run: bool = False,
    actor: Actor = MERGE_ACTOR,
) -> MergeReport:
    """Merge tenant ``source`` into tenant ``target`` on ``on`` (slugs), all or nothing.

    Run with the owner's engine bound (``using_engine(make_engine(owner_url))``), outside
    any transaction: it opens its own, as the target tenant. Raises :class:`MergeRefused`
    (nothing written) for unknown or closed tenants, conflicts, or a restructuring that
    cannot apply. A dry run reports the rows and conflicts (and what the restructuring
    would do) and writes nothing.
    """
    engine = current_engine()
    if engine.current_transaction.get() is not None:
        raise RuntimeError("merge_tenants opens its own transaction: call it outside one")
    spec = _load_structure(structure, target, on) if structure is not None else None
    with tenant_context(None):
        found = {slug: await _tenant(slug) for slug in (source, target)}
    unknown = [f"no tenant {slug!r}" for slug, tenant in found.items() if tenant is None]
    if source == target:
        unknown.append(f"a tenant cannot be merged into itself ({source!r})")
    if unknown:
        raise MergeRefused(unknown)
    source_row, target_row = found[source], found[target]
    assert source_row is not None and target_row is not None
    try:
        with tenant_context(target_row.id):
            async with engine.transaction():
                return await _merge(source_row, target_row, on, spec, structure, dry_run, actor)
    except _DryRunDone as done:
        return done.report


async def _merge(
    source: Tenant,
    target: Tenant,
    on: dt.date,
    spec: RestructuringFile | None,
    structure: Path | None,
    dry_run: bool,
    actor: Actor,
) -> MergeReport:
    await _allow_source_rows(source.id)
    tenants = await _lock_tenants(source, target)
    report = MergeReport(
        source=source.slug,
        target=target.slug,
        target_name=tenants.target.name,
        merged_on=on,
        dry_run=dry_run,
    )
    tables = tenant_tables()
    if tenants.source.merged_into == target.slug:
        report.already_merged = True
        report.merged_on = tenants.source.merged_on or on
        return await _leftovers(report, tenants, tables, dry_run, actor)
    problems = _closed_problems(tenants)
    if problems:
        raise MergeRefused(problems)

    report.rows = {t._meta.tablename: await count_rows(t, source.id) for t in tables}
    report.conflicts = await _conflicts(tenants)
    if report.conflicts:
        if dry_run:
            return report
        raise MergeRefused(report.conflicts)
    if dry_run and spec is None:
        return report

    admins = await _tenant_admins(source.id, on)
    for table in tables:
        await move_rows(table, source.id, target.id)
    report.admins_ended = await _end_tenant_admins(admins, on)
    if spec is not None and structure is not None:
        # A dry run applies it too, to report exactly what it does, then rolls back.
        report.structure = str(structure)
        report.restructuring = await _restructure(spec, structure, actor, dry_run)
    if dry_run:
        raise _DryRunDone(report)

    await (
        Tenant.update({Tenant.merged_into: target.slug, Tenant.merged_on: on})
        .where(Tenant.id == source.id)
        .run()
    )
    await record_event(
        actor,
        MERGE_ACTION,
        "tenant",
        source.id,
        before={"slug": source.slug, "name": tenants.source.name},
        after={
            "merged_into": target.slug,
            "merged_on": on,
            "rows": report.rows,
            "structure": structure.name if structure is not None else None,
        },
    )
    return report


async def _tenant_admins(source_id: int, on: dt.date) -> list[int]:
    """The source's tenant-admin memberships still in force on the merge date."""
    rows = await (
        Membership.select(Membership.id)
        .where(
            Membership.tenant_id == source_id,
            Membership.role == "tenant_admin",
            Membership.valid_to.is_null() | (Membership.valid_to >= on),
        )
        .run()
    )
    return [row["id"] for row in rows]


async def _end_tenant_admins(membership_ids: list[int], on: dt.date) -> list[str]:
    """End those memberships the day before the merge (the rows have moved already)."""
    if not membership_ids:
        return []
    await (
        Membership.update({Membership.valid_to: on - dt.timedelta(days=1)})
        .where(Membership.id.is_in(membership_ids))
        .run()
    )
    rows = await (
        Membership.select(Membership.user.username).where(Membership.id.is_in(membership_ids)).run()
    )
    return sorted({row["user.username"] for row in rows})


async def _leftovers(
    report: MergeReport,
    tenants: _Tenants,
    tables: list[type[Table]],
    dry_run: bool,
    actor: Actor,
) -> MergeReport:
    """A merge done before: nothing to do, unless rows were written under the old tenant
    afterwards (an app server keeps a tenant cached for up to a minute); those move too."""
    source, target = tenants.source, tenants.target
    rows = {t._meta.tablename: await count_rows(t, source.id) for t in tables}
    if not any(rows.values()):
        return report
    report.rows = rows
    report.conflicts = await _conflicts(tenants)
    if report.conflicts:
        if dry_run:
            return report
        raise MergeRefused(report.conflicts)
    if dry_run:
        return report
    for table in tables:
        await move_rows(table, source.id, target.id)
    await record_event(
        actor,
        LEFTOVERS_ACTION,
        "tenant",
        source.id,
        after={"merged_into": target.slug, "rows": {k: v for k, v in rows.items() if v}},
    )
    return report
