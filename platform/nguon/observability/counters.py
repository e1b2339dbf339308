"""Counters other modules increment (kept free of web imports)."""

from __future__ import annotations

from prometheus_client import Counter

RULES_EVALUATIONS = Counter(
    "nguon_rules_evaluations_total",
    "Candidates evaluated by a rules package (each candidate on each date counts once).",
    ["package"],
)
