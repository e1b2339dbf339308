"""Table cells the portal prints by the hundred — a dashboard's figures, a list's form
table — written here at once rather than one by one in the template (escaped with the
template's own ``escape``: the pages are the same to the byte)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from markupsafe import Markup, escape

from nguon.reports.definitions import PIPELINE_STAGES
from nguon.reports.figures import UnitFigures


def number_cells(numbers: Iterable[int]) -> Markup:
    """``<td class="num">n</td>`` for each of ``numbers`` (integers: nothing to escape)."""
    return Markup("".join(f'<td class="num">{int(n):d}</td>' for n in numbers))


def figure_cells(figures: UnitFigures) -> Markup:
    """A unit's row of the dashboard's tables by sub-unit and by bloc: people at each
    stage, in the source (bold), with a helper, admitted and removed in the year."""
    by_stage = figures.by_stage
    return Markup(
        number_cells(by_stage[s] for s in PIPELINE_STAGES)
        + Markup(f'<td class="num in-source"><strong>{figures.in_source:d}</strong></td>')
        + number_cells((figures.with_helper, figures.year("admitted"), figures.year("removed")))
    )


def listed_cells(figures: UnitFigures, period_code: str, steps: Iterable[str]) -> Markup:
    """People on the period's lists at each step."""
    return number_cells(figures.listed(period_code, step) for step in steps)


PINNED = {"seq": "pin-seq", "full_name": "pin-name"}
"""The form table's columns that stay in view while the others scroll sideways."""


def form_table_body(columns: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Markup:
    """The rows of a list's form table: the person's name heads the row, the number and
    the name are pinned."""
    tags = [
        ('<th scope="row" class="pin-name">', "</th>")
        if c.code == "full_name"
        else (f'<td class="{PINNED[c.code]}">' if c.code in PINNED else "<td>", "</td>")
        for c in columns
    ]
    parts: list[str] = []
    for row in rows:
        parts.append("<tr>")
        for (opening, closing), cell in zip(tags, row, strict=True):
            parts += (opening, escape(cell), closing)
        parts.append("</tr>")
    return Markup("".join(parts))
