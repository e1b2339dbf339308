"""People's figures kept per unit: what the people of one unit add to every unit's figures
of a year as of a day, counted once and summed by every page after.

A roll-up row is good while the unit's ``figures_version`` is the one it was counted at:
the database moves that version (triggers, in the writing transaction) whenever a record
of one of the unit's people is written — the person, a stage change, a helper, a course
or its dates, a list entry, a move. The version is read *before* the people are, so a
write committed while they are counted leaves the row stale rather than wrong. The tree's
restructurings (which say where a person was before a unit opened) are part of the key.
A dashboard therefore reads one row per unit and counts again only the units whose people
changed since: its cost follows the units, not the people.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any, NamedTuple

import msgspec

from nguon.db.transaction import atomic
from nguon.kept import BoundedCache, SingleFlight, content_key
from nguon.org.tables import OrgUnit
from nguon.org.validity import last_day
from nguon.reports.figures import UnitFigures, people_figures
from nguon.reports.records import (
    Records,
    followers,
    moved_out_to,
    people_of_units,
    predecessors_of,
)
from nguon.reports.structure import database_identity, figures_versions, load_tree
from nguon.reports.tables import FigureRollup
from nguon.tenancy.context import require_tenant
from nguon.tenancy.scoped import in_tenant

_CONTRIBUTIONS = msgspec.json.Decoder(dict[int, UnitFigures])
_ENCODE = msgspec.json.Encoder()
BATCH = 200
"""Units counted (and their rows written) together."""
COUNTING = 2
"""Raise it when what a roll-up holds or how it is counted changes: every kept row is then
counted again on its next view (it is part of ``tree_digest``)."""
READ_ALL_ABOVE = 400
"""Above this many units, every row of the day is read rather than an id list."""
SUMS_KEPT = 16
"""Sums kept per process, as the views read them (a province's is a few megabytes)."""
_SUMS: BoundedCache[dict[int, UnitFigures]] = BoundedCache(SUMS_KEPT)
SUBTREES_KEPT = 512
"""Subtrees' holding units kept per process (a few per committee a process serves)."""
_SUBTREES: BoundedCache[InTree] = BoundedCache(SUBTREES_KEPT)
_FLIGHTS = SingleFlight()


class Counted(msgspec.Struct, kw_only=True):
    """How one view found the roll-ups: rows used as kept, units counted again."""

    kept: int = 0
    counted: int = 0


def tree_digest(units: dict[int, dict[str, Any]], successions: list[dict[str, Any]]) -> str:
    """What of the tree decides a person's unit on a past day: each succession and the day
    its successor opened (units with no predecessor never send anyone elsewhere)."""
    key = sorted(
        (row["successor"], row["predecessor"], units[row["successor"]]["valid_from"].isoformat())
        for row in successions
        if row["successor"] in units
    )
    return hashlib.blake2b(msgspec.msgpack.encode([COUNTING, key]), digest_size=16).hexdigest()


class Holders(NamedTuple):
    """The units whose people can count in a subtree: those the tree decides (its units
    and those that took over their work), those people moved out of it are in now, and
    which of either are outside the subtree."""

    in_tree: frozenset[int]
    moved_to: list[int]
    """Not in ``in_tree`` (sorted)."""
    outside: list[int]
    """Sorted."""

    @property
    def units(self) -> list[int]:
        return sorted(self.in_tree.union(self.moved_to))


class InTree(NamedTuple):
    units: frozenset[int]
    outside: tuple[int, ...]
    subtree: tuple[int, ...]
    """The units under the subtree's path (sorted)."""
    rest: tuple[int, ...]
    """The tree's other units (sorted)."""

    @property
    def partial(self) -> bool:
        """The subtree is only part of the tree: people can have moved out of it."""
        return bool(self.rest)


def _in_tree(
    units: dict[int, dict[str, Any]], successions: list[dict[str, Any]], path: str
) -> InTree:
    subtree = {unit_id for unit_id, unit in units.items() if unit["path"].startswith(path)}
    found = followers(subtree, successions)
    return InTree(
        frozenset(found),
        tuple(sorted(found - subtree)),
        tuple(sorted(subtree)),
        tuple(sorted(units.keys() - subtree)),
    )


async def subtree_holders(
    units: dict[int, dict[str, Any]],
    successions: list[dict[str, Any]],
    path: str,
    tree_key: bytes | None = None,
) -> Holders:
    """The units whose people can count in the subtree at ``path``: its units, the units
    that took over their work, and the units people moved out of it are in now. With the
    key the tree is kept under, what the tree alone decides is kept with it."""
    kept = holders_in_tree(units, successions, path, tree_key)
    moved = await moved_out_to(kept.subtree, kept.rest) if kept.partial else set()
    return holders_with(kept, moved, units, path)


def holders_in_tree(
    units: dict[int, dict[str, Any]],
    successions: list[dict[str, Any]],
    path: str,
    tree_key: bytes | None = None,
) -> InTree:
    """What the tree alone decides of :func:`subtree_holders` (kept with the tree's key)."""
    if tree_key is None:
        return _in_tree(units, successions, path)
    key = content_key(tree_key, path)
    found = _SUBTREES.get(key)
    if found is None:
        found = _in_tree(units, successions, path)
        _SUBTREES.put(key, found)
    return found


def holders_with(
    kept: InTree, moved: set[int], units: dict[int, dict[str, Any]], path: str
) -> Holders:
    """:func:`subtree_holders` from the tree's part and the units people ``moved`` out of
    the subtree are in now (:func:`nguon.reports.records.moved_out_to`)."""
    moved_to = sorted(moved - kept.units)
    outside = [u for u in moved_to if not units[u]["path"].startswith(path)]
    return Holders(kept.units, moved_to, sorted([*kept.outside, *outside]))


async def holders(
    units: dict[int, dict[str, Any]], successions: list[dict[str, Any]], path: str
) -> list[int]:
    """The units whose people can count in the subtree at ``path`` (see
    :func:`subtree_holders`)."""
    return (await subtree_holders(units, successions, path)).units


async def _kept(unit_ids: list[int], year: int, as_of: dt.date) -> dict[int, tuple[int, str, str]]:
    query = FigureRollup.select(
        FigureRollup.unit, FigureRollup.version, FigureRollup.tree, FigureRollup.figures
    ).where(in_tenant(FigureRollup), FigureRollup.year == year, FigureRollup.as_of == as_of)
    if len(unit_ids) <= READ_ALL_ABOVE:
        query = query.where(FigureRollup.unit.is_in(unit_ids))
    return {r["unit"]: (r["version"], r["tree"], r["figures"]) for r in await query}


async def count_units(
    unit_ids: list[int],
    units: dict[int, dict[str, Any]],
    successions: list[dict[str, Any]],
    year: int,
    as_of: dt.date,
) -> dict[int, dict[int, UnitFigures]]:
    """Count the people of ``unit_ids`` from their records: by unit of theirs, what they
    add to each unit's figures."""
    people = await people_of_units(unit_ids)
    records = Records(
        units=units,
        predecessors=predecessors_of(successions),
        people=people,
        lists=[],
    )
    first = dt.date(year, 1, 1)
    by_holder: dict[int, list[Any]] = {unit_id: [] for unit_id in unit_ids}
    for person in people.values():
        by_holder[person.unit].append(person)
    return {
        unit_id: people_figures(records, held, first, as_of) for unit_id, held in by_holder.items()
    }


async def _keep(
    counted: dict[int, dict[int, UnitFigures]],
    versions: dict[int, int],
    tree: str,
    year: int,
    as_of: dt.date,
) -> None:
    tenant = require_tenant()
    rows = [
        FigureRollup(
            tenant_id=tenant,
            unit=unit_id,
            year=year,
            as_of=as_of,
            version=versions[unit_id],
            tree=tree,
            figures=_ENCODE.encode(contributions).decode(),
        )
        for unit_id, contributions in counted.items()
    ]
    if not rows:
        return
    async with atomic():
        await FigureRollup.insert(*rows).on_conflict(
            target=(
                FigureRollup.tenant_id,
                FigureRollup.unit,
                FigureRollup.year,
                FigureRollup.as_of,
            ),
            action="DO UPDATE",
            values=[
                FigureRollup.version,
                FigureRollup.tree,
                FigureRollup.figures,
                FigureRollup.computed_at,
            ],
        )


def _batches(values: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(values), BATCH):
        yield values[start : start + BATCH]


def _add(own: dict[int, UnitFigures], contributions: dict[int, UnitFigures]) -> None:
    for unit_id, figures in contributions.items():
        mine = own.get(unit_id)
        if mine is None:
            own[unit_id] = figures
        else:
            mine.add(figures)


async def own_figures(
    units: dict[int, dict[str, Any]],
    path: str,
    year: int,
    as_of: dt.date,
    counted: Counted | None = None,
    successions: list[dict[str, Any]] | None = None,
) -> dict[int, UnitFigures]:
    """Every unit's own figures of people for ``year`` as of ``as_of``, as far as the
    people who can count in the subtree at ``path`` go: from the kept roll-ups, counting
    again (and keeping) those of units whose people changed.

    The sum is also kept in the process under the versions it was made from (never stale:
    a write moves a version, so a new key), and views asking for it together make it
    once."""
    if successions is None:
        _, successions = await load_tree()
    tree = tree_digest(units, successions)
    wanted = await holders(units, successions, path)
    versions = await figures_versions(wanted)
    database = await database_identity()
    if database is None:
        return await _summed(units, successions, tree, wanted, versions, year, as_of, counted)
    key = content_key(
        database,
        require_tenant(),
        year,
        as_of,
        tree,
        [(unit_id, versions[unit_id]) for unit_id in wanted],
    )
    async with _FLIGHTS.after_others(key):
        summed = _SUMS.get(key)
        if summed is not None:
            if counted is not None:
                counted.kept, counted.counted = len(wanted), 0
            return summed
        own = await _summed(units, successions, tree, wanted, versions, year, as_of, counted)
        _SUMS.put(key, own)
    return own


async def _summed(
    units: dict[int, dict[str, Any]],
    successions: list[dict[str, Any]],
    tree: str,
    wanted: list[int],
    versions: dict[int, int],
    year: int,
    as_of: dt.date,
    counted: Counted | None,
) -> dict[int, UnitFigures]:
    kept = await _kept(wanted, year, as_of)
    own: dict[int, UnitFigures] = {}
    stale: list[int] = []
    for unit_id in wanted:
        row = kept.get(unit_id)
        if row is not None and row[0] == versions[unit_id] and row[1] == tree:
            _add(own, _CONTRIBUTIONS.decode(row[2]))
        else:
            stale.append(unit_id)
    for batch in _batches(stale):
        fresh = await count_units(batch, units, successions, year, as_of)
        await _keep(fresh, versions, tree, year, as_of)
        for contributions in fresh.values():
            _add(own, contributions)
    if counted is not None:
        counted.kept, counted.counted = len(wanted) - len(stale), len(stale)
    return own


async def count_ahead(day: dt.date) -> Counted:
    """Count, for the current tenant, every unit's roll-up of ``day``'s year as of
    ``day``, so the first views of the day find them kept (the nightly job)."""
    counted = Counted()
    units, successions = await load_tree()
    await own_figures(units, "", day.year, day, counted, successions)
    return counted


def _asked_for_still(day: dt.date, closed: set[dt.date]) -> bool:
    """Whether a view can still ask for the figures as of a past ``day``: a year's last
    day, or a closed unit's."""
    return (day.month, day.day) == (12, 31) or day in closed


async def remove_old(today: dt.date) -> int:
    """Remove the current tenant's roll-ups of past days no view asks for any more (days
    of a year that went on; yesterday's stay for views begun before midnight); how many."""
    closed = {
        day
        for unit in await OrgUnit.select(OrgUnit.valid_from, OrgUnit.valid_to).where(
            in_tenant(OrgUnit)
        )
        if (day := last_day(unit)) is not None
    }
    past = await (
        FigureRollup.select(FigureRollup.as_of)
        .where(in_tenant(FigureRollup), FigureRollup.as_of < today - dt.timedelta(days=1))
        .distinct()
    )
    gone_days = [row["as_of"] for row in past if not _asked_for_still(row["as_of"], closed)]
    if not gone_days:
        return 0
    gone = (
        await FigureRollup.delete()
        .where(in_tenant(FigureRollup), FigureRollup.as_of.is_in(gone_days))
        .returning(FigureRollup.id)
    )
    return len(gone)
