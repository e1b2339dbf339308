"""Re-evaluating across processes gives exactly what one process gives."""

from __future__ import annotations

from datetime import date

from nguon.rules.facts import UnitFacts
from nguon.rules.parallel import CHUNK, ParallelEvaluator
from nguon.rules.service import evaluate_plain
from nguon.rules.synthetic import synthetic_candidates

ON = date(2025, 5, 15)
UNIT = UnitFacts(kind="grassroots_cell", bloc="commune")


def test_two_processes_match_plain_python_in_order() -> None:
    people = synthetic_candidates(CHUNK + 1_500, ON, seed=11, malformed=0.05)
    with ParallelEvaluator("hungyen", processes=2) as pool:
        results = pool.evaluate(people, UNIT, ON, ["survey_list", "course_nominee_list"])
    expected = evaluate_plain("hungyen", people, UNIT, ON, ["survey_list", "course_nominee_list"])
    assert [r.person_ref for r in results] == [p.person_ref for p in people]
    assert results == expected
