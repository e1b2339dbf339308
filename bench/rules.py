"""Candidate-evaluations per second through the durable-rules adapter, against the same
Step 1 (survey list) conditions in plain Python, side by side in one process; then a
daily re-evaluation that touches only changed or threshold-crossing candidates.

    .venv/bin/python bench/rules.py [COUNT]
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from datetime import date, timedelta

from nguon.rules.facts import CandidateFacts, UnitFacts
from nguon.rules.registry import load_package
from nguon.rules.service import (
    due_for_reevaluation,
    evaluate,
    evaluate_plain,
)
from nguon.rules.synthetic import synthetic_candidates as candidates

ON = date(2025, 5, 15)
UNIT = UnitFacts(kind="grassroots_cell", bloc="commune")
DECISIONS = ["survey_list"]
CHUNK = 5_000


async def engine_run(package, people: list[CandidateFacts], on: date):
    results = []
    for start in range(0, len(people), CHUNK):
        results += await evaluate(package, people[start : start + CHUNK], UNIT, on, DECISIONS)
    return results


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    package = load_package("hungyen")
    people = candidates(count, ON)
    asyncio.run(engine_run(package, people[:1000], ON))  # register the ruleset, warm up

    started = time.perf_counter()
    engine_results = asyncio.run(engine_run(package, people, ON))
    engine_seconds = time.perf_counter() - started

    started = time.perf_counter()
    plain_results = evaluate_plain(package, people, UNIT, ON, DECISIONS)
    plain_seconds = time.perf_counter() - started

    # The rule matching alone, on facts prepared once: engine thread vs plain Python.
    from nguon.rules.engine.thread import get_engine_thread
    from nguon.rules.service import fire_plain, prepare

    snapshot = package.snapshot(ON, DECISIONS)
    facts = prepare(package, people, UNIT, ON, DECISIONS).sound_facts
    started = time.perf_counter()
    engine_fired = get_engine_thread().submit("fire", snapshot, facts)
    engine_core = time.perf_counter() - started
    started = time.perf_counter()
    plain_fired = fire_plain(snapshot, facts)
    plain_core = time.perf_counter() - started
    core_mismatches = sum(a != b for a, b in zip(engine_fired, plain_fired, strict=True))

    mismatches = core_mismatches + sum(
        a != b for a, b in zip(engine_results, plain_results, strict=True)
    )
    print(f"candidates: {count:,}  Step 1 rules in force: {len(snapshot.rules)}")
    print(
        f"durable-rules adapter: {count / engine_seconds:,.0f} evaluations/s "
        f"({engine_seconds:.2f} s for all)"
    )
    print(
        f"plain Python:          {count / plain_seconds:,.0f} evaluations/s "
        f"({plain_seconds:.2f} s for all)"
    )
    print(
        f"ratio engine/plain:    {plain_seconds / engine_seconds:.3f} "
        f"(plain is {engine_seconds / plain_seconds:.1f}x faster)"
    )
    print(
        f"matching only: engine {len(facts) / engine_core:,.0f}/s, plain "
        f"{len(facts) / plain_core:,.0f}/s, ratio {plain_core / engine_core:.3f}"
    )
    print(f"mismatches: {mismatches}")

    # The same full run across processes, one engine thread in each (DESIGN.md).
    from nguon.rules.parallel import ParallelEvaluator

    with ParallelEvaluator("hungyen") as pool:
        pool.evaluate(people[:10_000], UNIT, ON, DECISIONS)  # start and warm the workers
        started = time.perf_counter()
        parallel_results = pool.evaluate(people, UNIT, ON, DECISIONS)
        parallel_seconds = time.perf_counter() - started
    parallel_mismatches = sum(a != b for a, b in zip(parallel_results, plain_results, strict=True))
    mismatches += parallel_mismatches
    print(
        f"{pool.processes} processes:           {count / parallel_seconds:,.0f} evaluations/s "
        f"({parallel_seconds:.2f} s for all; {engine_seconds / parallel_seconds:.2f}x one "
        f"process; mismatches {parallel_mismatches})"
    )

    # Next day: 1% of the candidates changed; only they and crossed thresholds go again.
    tomorrow = ON + timedelta(days=1)
    rng = random.Random(3)
    changed = set(rng.sample(range(count), count // 100))
    people_tomorrow = [
        CandidateFacts(
            **{**{f: getattr(p, f) for f in p.__struct_fields__}, "introducers": p.introducers + 1}
        )
        if i in changed
        else p
        for i, p in enumerate(people)
    ]
    started = time.perf_counter()
    due = [
        p
        for p, previous in zip(people_tomorrow, engine_results, strict=True)
        if due_for_reevaluation(previous, package, p, UNIT, tomorrow)
    ]
    selected_seconds = time.perf_counter() - started
    started = time.perf_counter()
    asyncio.run(engine_run(package, due, tomorrow))
    rerun_seconds = time.perf_counter() - started
    print(
        f"re-evaluation next day: {len(due):,} of {count:,} due "
        f"({len(changed):,} changed); selecting took {selected_seconds:.2f} s, "
        f"evaluating {rerun_seconds:.2f} s; vs full run {engine_seconds:.2f} s"
    )
    if mismatches:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
