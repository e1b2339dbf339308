"""Re-evaluating people: a unit's subtree (with progress), one person, those due today.

Every piece is idempotent: decisions are upserts keyed by (candidate, decision), and a
unit's run records the last candidate whose batch committed, so a run started again
after a crash resumes there instead of starting over.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from litestar.stores.base import Store

from nguon.clock import today_in_vietnam
from nguon.db.transaction import atomic
from nguon.jobs.progress import load_job, save_job
from nguon.people.tables import Candidate
from nguon.pipeline.decisions import store_evaluations
from nguon.pipeline.evaluation import evaluate_rows
from nguon.pipeline.tables import CandidateDecision
from nguon.tenancy.context import require_tenant
from nguon.tenancy.scoped import in_tenant

BATCH = 50

logger = logging.getLogger("nguon.jobs")


def reevaluation_scope(unit_path: str, candidate_id: int | None = None) -> list[Any]:
    """The candidates a re-evaluation job covers: the unit's subtree, or one person in it."""
    where: list[Any] = [in_tenant(Candidate), Candidate.unit_path.like(f"{unit_path}%")]
    if candidate_id is not None:
        where.append(Candidate.id == candidate_id)
    return where


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def reevaluate_candidates(ids: list[int], on: dt.date) -> int:
    """Evaluate these candidates of the current tenant on ``on`` and store every
    decision, in one transaction; how many were evaluated."""
    if not ids:
        return 0
    rows = await Candidate.select().where(in_tenant(Candidate), Candidate.id.is_in(ids)).run()
    evaluations = await evaluate_rows(rows, on)
    async with atomic():
        await store_evaluations(list(evaluations.values()), on)
    return len(rows)


async def reevaluate_unit(
    store: Store,
    job_id: str,
    unit_path: str,
    batch: int = BATCH,
    candidate_id: int | None = None,
) -> None:
    """Every candidate in the unit's subtree (or only ``candidate_id`` in it), in batches,
    progress saved after each."""
    job = await load_job(store, require_tenant(), job_id)
    if job is None or job.state == "done":
        return  # expired, or finished by an earlier run of this job
    job.state = "running"
    await save_job(store, job)
    today = today_in_vietnam()
    try:
        while True:
            rows = await (
                Candidate.select(Candidate.id)
                .where(
                    *reevaluation_scope(unit_path, candidate_id),
                    Candidate.id > job.last_candidate_id,
                )
                .order_by(Candidate.id)
                .limit(batch)
                .run()
            )
            if not rows:
                break
            ids = [row["id"] for row in rows]
            await reevaluate_candidates(ids, today)
            job.last_candidate_id = ids[-1]
            job.done = min(job.total, job.done + len(ids))
            await save_job(store, job)
    except Exception:
        logger.exception("re-evaluation failed", extra={"job": job.id, "unit_id": job.unit_id})
        job.state = "failed"  # until a retry, if the failure is retryable, runs again
        job.finished_at = _now()
        await save_job(store, job)
        raise
    job.state = "done"
    job.done = job.total
    job.finished_at = _now()
    await save_job(store, job)


async def due_candidates(on: dt.date, after: int = 0, limit: int = BATCH) -> list[int]:
    """Candidates of the current tenant whose stored outcome may change by ``on``: a
    threshold of their rules (an age, a certificate's validity, a new version or
    parameter value) falls on or before it (``next_check``)."""
    rows = await (
        CandidateDecision.select(CandidateDecision.candidate)
        .where(
            in_tenant(CandidateDecision),
            CandidateDecision.next_check <= on,
            CandidateDecision.candidate > after,
        )
        .distinct()
        .order_by(CandidateDecision.candidate)
        .limit(limit)
        .run()
    )
    return [row["candidate"] for row in rows]


async def reevaluate_due(on: dt.date, batch: int = BATCH) -> int:
    """Re-evaluate the current tenant's people due on ``on``, and no one else."""
    total, after = 0, 0
    while ids := await due_candidates(on, after, batch):
        total += await reevaluate_candidates(ids, on)
        after = ids[-1]
    logger.info("nightly re-evaluation", extra={"tenant": require_tenant(), "people": total})
    return total
