"""Soak the durable-rules adapter: random facts (many matching no rule, some malformed)
from concurrent asyncio tasks; compare with plain Python; print RSS as it goes.

    .venv/bin/python bench/soak.py [TOTAL] [TASKS]
"""

from __future__ import annotations

import asyncio
import random
import resource
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta

from nguon.rules.facts import UnitFacts
from nguon.rules.registry import load_package
from nguon.rules.service import evaluate, evaluate_plain
from nguon.rules.synthetic import candidate

UNITS = [
    UnitFacts(kind=k, bloc=b)
    for k, b in (
        ("grassroots_cell", "commune"),
        ("subordinate_cell", "police"),
        ("grassroots_committee", "industrial_zone_enterprise"),
        ("subordinate_cell", None),
        ("no_such_kind", None),
    )
]
DECISION_SETS = [None, ["survey_list"], ["admission_readiness", "stage_to_admitted"]]


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Report:
    evaluations: int = 0
    mismatches: int = 0
    malformed: int = 0


async def soak(total: int = 200_000, tasks: int = 200, verbose: bool = False) -> Report:
    package = load_package("hungyen")
    report = Report()
    per_task = total // tasks
    marks = {total // 2}

    async def worker(n: int) -> None:
        rng = random.Random(n)
        done = 0
        while done < per_task:
            size = min(rng.randint(1, 40), per_task - done)
            on = date(2024, 1, 1) + timedelta(days=rng.randint(0, 900))
            people = [
                candidate(rng, n * 1_000_000 + done + i, on, malformed=0.05) for i in range(size)
            ]
            unit = rng.choice(UNITS)
            decisions = rng.choice(DECISION_SETS)
            got = await evaluate(package, people, unit, on, decisions)
            want = evaluate_plain(package, people, unit, on, decisions)
            report.mismatches += sum(a != b for a, b in zip(got, want, strict=True))
            report.malformed += sum(1 for r in got if r.error)
            before = report.evaluations
            report.evaluations += size
            done += size
            if verbose and any(before < m <= report.evaluations for m in marks):
                print(
                    f"middle: {report.evaluations:,} evaluations, RSS {rss_mb():.1f} MB", flush=True
                )

    await asyncio.gather(*(worker(n) for n in range(tasks)))
    return report


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    tasks = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    print(f"start: RSS {rss_mb():.1f} MB", flush=True)
    started = time.perf_counter()
    report = asyncio.run(soak(total, tasks, verbose=True))
    seconds = time.perf_counter() - started
    print(
        f"end: {report.evaluations:,} evaluations from {tasks} tasks in {seconds:.1f} s, "
        f"RSS {rss_mb():.1f} MB; malformed {report.malformed:,}; "
        f"mismatches {report.mismatches}"
    )
    if report.mismatches:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
