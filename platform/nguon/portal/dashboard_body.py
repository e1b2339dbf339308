"""The figures part of a dashboard page — its charts and tables, tens of kilobytes for a
commune and more for the province — rendered once per version of its figures.

Everything in it is decided by the subtree's figures (kept under the versions of the units
that count in it, :func:`nguon.reports.figures.subtree_figures`), the year's targets, the
tenant and its rules package: after a write in the subtree the figures' key changes and
the part is rendered anew; writes elsewhere leave it as it is. What depends on the reader
(the layout, the links a role opens, the CSRF field) stays outside it.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from markupsafe import Markup

from nguon.kept import BoundedCache, content_key
from nguon.portal.charts import Bar, bar_chart
from nguon.reports.dashboard import Dashboard
from nguon.reports.definitions import PIPELINE_STAGES, label

TEMPLATE = "dashboard_body.html"
BODIES_KEPT = 64
"""Dashboards' figures kept per process: as many as the figures themselves."""
_BODIES: BoundedCache[Markup] = BoundedCache(BODIES_KEPT)


def charts(view: Dashboard, year: int) -> dict[str, str]:
    total = view.total
    return {
        "stages": bar_chart(
            "Số người đang trong nguồn ở mỗi bước",
            [Bar(label(s), total.by_stage[s]) for s in PIPELINE_STAGES],
            "chart-stages",
        ),
        "children": bar_chart(
            "Số người đang trong nguồn, theo đơn vị trực thuộc",
            [Bar(r.label, r.figures.in_source) for r in view.children],
            "chart-children",
        ),
        "blocs": bar_chart(
            "Số người đang trong nguồn, theo khối",
            [Bar(r.label, r.figures.in_source) for r in view.blocs],
            "chart-blocs",
        ),
        "quarters": bar_chart(
            f"Kết nạp đảng viên năm {year} theo quý, so với chỉ tiêu",
            [Bar(f"Quý {r.quarter}", r.flows["admitted"], r.target) for r in view.quarters],
            "chart-quarters",
        ),
    }


def body(request: Request[Any, Any, Any], context: dict[str, Any], package_id: str) -> Markup:
    """The dashboard's figures rendered with the page's ``context`` (its ``view``, ``year``
    and ``tenant``), kept under the figures' key where they have one (on Postgres)."""
    view: Dashboard = context["view"]
    key = (
        content_key(
            view.figures.key,
            view.figures.targets,
            context["tenant"].slug,
            context["year"],
            package_id,
        )
        if view.figures.key
        else None
    )
    kept = _BODIES.get(key) if key is not None else None
    if kept is None:
        engine = request.app.template_engine.engine  # type: ignore[union-attr]
        rendered = engine.get_template(TEMPLATE).render(
            **context, charts=charts(view, context["year"])
        )
        kept = Markup(rendered)
        if key is not None:
            _BODIES.put(key, kept)
    return kept
