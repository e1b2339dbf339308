"""Which decisions of the rules the portal shows for a candidate."""

from __future__ import annotations

SHOWN_DECISIONS = (
    "survey_list",
    "course_nominee_list",
    "admission_source_list",
    "admission_readiness",
)
