"""What a subtree's dashboard shows, arranged from its :class:`~nguon.reports.figures.Figures`:
rows by sub-unit and by bloc that add up to the subtree's total, and the year by quarter."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from nguon.kept import BoundedCache, content_key
from nguon.pipeline.road_watch import OpenDeadline, counts, open_deadlines
from nguon.reports.definitions import FLOWS
from nguon.reports.figures import Figures, UnitFigures, grouped, subtree_figures
from nguon.reports.structure import Tree
from nguon.rules.package import RulesPackage
from nguon.rules.review_calendar import Period

OWN_ROW_LABEL = "Trực tiếp tại đơn vị"
NO_BLOC_LABEL = "Chưa xếp khối"


class Row(msgspec.Struct, kw_only=True):
    key: str
    label: str
    figures: UnitFigures
    unit_id: int | None = None


class QuarterRow(msgspec.Struct, kw_only=True):
    quarter: int
    flows: dict[str, int]
    target: int | None


class Dashboard(msgspec.Struct, kw_only=True):
    figures: Figures
    total: UnitFigures
    children: list[Row]
    """One row per sub-unit of the year, and one for the people of the unit itself if it
    has any: the rows add up to ``total``."""
    blocs: list[Row]
    quarters: list[QuarterRow]
    road: dict[str, int] = {}
    """``road_late`` and ``road_due_soon`` (see the definitions) in the subtree today."""
    road_deadlines: list[OpenDeadline] = []
    """The late and due-soon deadlines behind those figures, the latest first."""


def _children(figures: Figures, root: dict[str, Any]) -> list[Row]:
    rows = [
        Row(key=str(c["id"]), label=c["name"], figures=figures.total(c["id"]), unit_id=c["id"])
        for c in figures.children()
    ]
    own = figures.own.get(root["id"])
    if own is not None and rows:
        rows.append(Row(key="own", label=f"{OWN_ROW_LABEL} {root['name']}", figures=own))
    return rows


def _blocs(figures: Figures, bloc_labels: dict[str, str]) -> list[Row]:
    groups = grouped(figures, lambda unit: unit["bloc"] or "")
    rows = [
        Row(
            key=key,
            label=bloc_labels.get(key, key) if key else NO_BLOC_LABEL,
            figures=group,
        )
        for key, group in groups.items()
    ]
    return sorted(rows, key=lambda r: (-r.figures.in_source, r.label))


def _quarters(figures: Figures) -> list[QuarterRow]:
    total = figures.root
    targets = figures.targets
    return [
        QuarterRow(
            quarter=index + 1,
            flows={flow: total.flows[flow][index] for flow in FLOWS},
            target=None if targets is None else targets[index],
        )
        for index in range(4)
    ]


async def dashboard(
    unit_id: int,
    path: str,
    year: int,
    today: dt.date,
    periods: list[Period],
    bloc_labels: dict[str, str],
    package: RulesPackage | None = None,
    tree: Tree | None = None,
) -> Dashboard:
    """The dashboard of the subtree of the unit ``unit_id`` at ``path`` for ``year``; with
    the rules ``package``, the road's deadlines late or due soon today (``tree``: the
    tenant's kept tree, if the caller has it)."""
    figures = await subtree_figures(unit_id, path, year, today, periods, package, tree)
    root = next(u for u in figures.units if u["id"] == unit_id)
    children, blocs, pressing = await _parts(figures, root, path, today, bloc_labels, package)
    return Dashboard(
        road=counts(pressing),
        road_deadlines=pressing,
        figures=figures,
        total=figures.root,
        children=children,
        blocs=blocs,
        quarters=_quarters(figures),
    )


PARTS_KEPT = 64
_PARTS: BoundedCache[tuple[list[Row], list[Row], list[OpenDeadline]]] = BoundedCache(PARTS_KEPT)


async def _parts(
    figures: Figures,
    root: dict[str, Any],
    path: str,
    today: dt.date,
    bloc_labels: dict[str, str],
    package: RulesPackage | None,
) -> tuple[list[Row], list[Row], list[OpenDeadline]]:
    """The rows by sub-unit and by bloc and the pressing deadlines, kept with figures kept
    in the process: the writes of a person's admission road move the same versions."""

    async def made() -> tuple[list[Row], list[Row], list[OpenDeadline]]:
        pressing = (
            [
                d
                for d in await open_deadlines(package, [path], today)
                if d.status in ("late", "due_soon")
            ]
            if package is not None
            else []
        )
        return _children(figures, root), _blocs(figures, bloc_labels), pressing

    if not figures.key:
        return await made()
    key = content_key(
        figures.key, sorted(bloc_labels.items()), package.id if package is not None else None
    )
    kept = _PARTS.get(key)
    if kept is None:
        kept = await made()
        _PARTS.put(key, kept)
    return kept
