"""Table cells of figures as the dashboard prints them by the hundred: numbers only, so
they are written here at once rather than escaped one by one in the template."""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup

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
