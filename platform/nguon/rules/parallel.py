"""Large re-evaluations across processes: one durable-rules engine thread in each.

The engine runs one thread per process (DESIGN.md), so a whole tenant's re-evaluation
scales by processes. Workers are started with ``spawn`` so that none inherits the
parent's engine thread, and each loads the package by id (or folder) itself.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from datetime import date

from nguon.rules.decisions import CandidateEvaluation
from nguon.rules.facts import CandidateFacts, UnitFacts

CHUNK = 5_000


def _evaluate_chunk(
    package: str,
    candidates: list[CandidateFacts],
    unit: UnitFacts,
    on: date,
    decisions: list[str] | None,
) -> list[CandidateEvaluation]:
    from nguon.rules.service import evaluate_sync

    return evaluate_sync(package, candidates, unit, on, decisions)


def _warm_up(package: str) -> None:
    from nguon.rules.registry import load_package

    load_package(package)


class ParallelEvaluator:
    """A pool of worker processes kept for repeated large evaluations."""

    def __init__(self, package: str, processes: int | None = None) -> None:
        self.package = package
        self.processes = processes or max(1, min(os.cpu_count() or 1, 8))
        self._pool = ProcessPoolExecutor(
            max_workers=self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_warm_up,
            initargs=(package,),
        )

    def evaluate(
        self,
        candidates: list[CandidateFacts],
        unit: UnitFacts,
        on: date,
        decisions: list[str] | None = None,
    ) -> list[CandidateEvaluation]:
        """Results in the order of ``candidates``, exactly as ``evaluate_sync`` would give."""
        chunks = [candidates[i : i + CHUNK] for i in range(0, len(candidates), CHUNK)]
        futures = [
            self._pool.submit(_evaluate_chunk, self.package, chunk, unit, on, decisions)
            for chunk in chunks
        ]
        return [evaluation for future in futures for evaluation in future.result()]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ParallelEvaluator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
