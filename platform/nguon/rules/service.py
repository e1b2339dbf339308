"""What the platform calls: evaluate candidates on a date and learn when to look again.

``evaluate`` builds the engine facts in the caller, merges concurrent calls into one
batch and hands it to the single engine thread. ``evaluate_plain`` runs the same rules
in plain Python (the reference for tests and benchmarks).
"""

from __future__ import annotations

import asyncio
import bisect
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import msgspec

from nguon.observability.counters import RULES_EVALUATIONS
from nguon.rules.decisions import CandidateEvaluation, assemble, invalid
from nguon.rules.engine.thread import get_engine_thread
from nguon.rules.facts import (
    CandidateFacts,
    RoadDates,
    UnitFacts,
    add_months,
    candidate_problems,
    engine_facts,
)
from nguon.rules.package import RuleSnapshot, RulesPackage
from nguon.rules.registry import load_package
from nguon.rules.road import road_engine_facts
from nguon.rules.working_days import YearNotCovered

_encoder = msgspec.json.Encoder(order="sorted")


def inputs_hash(snapshot: RuleSnapshot, candidate: CandidateFacts, unit: UnitFacts) -> str:
    """Hash of what the outcome depends on besides the date: the candidate's facts, the
    unit and the rules in force. Dates matter only at thresholds (see ``next_check``)."""
    payload = _encoder.encode([snapshot.key, candidate, unit])
    return hashlib.blake2b(payload, digest_size=12).hexdigest()


def next_check(package: RulesPackage, candidate: CandidateFacts, on: date) -> date | None:
    """The next day a candidate's outcome can change without any fact changing: an 18th
    birthday, the month after the 60th birthday, a certificate's 60th month, or a new
    version or parameter value coming into force."""
    days: list[date] = []
    try:
        min_age = int(package.parameter("min_age_months", on))
        max_age = int(package.parameter("max_age_months", on))
        days += [
            add_months(candidate.date_of_birth, min_age),
            add_months(candidate.date_of_birth, max_age + 1),
        ]
        if candidate.certificate_date is not None:
            validity = int(package.parameter("certificate_validity_months", on))
            days.append(add_months(candidate.certificate_date, validity))
    except (ValueError, TypeError, AttributeError):
        pass
    thresholds = package.dated_thresholds
    position = bisect.bisect_right(thresholds, on)
    if position < len(thresholds):
        days.append(thresholds[position])
    future = [day for day in days if day > on]
    return min(future) if future else None


@dataclass
class PreparedBatch:
    package: RulesPackage
    snapshot: RuleSnapshot
    decisions: list[str]
    on: date
    candidates: Sequence[CandidateFacts]
    unit: UnitFacts
    facts: list[dict[str, Any] | None] = field(default_factory=list)
    problems: list[list[str]] = field(default_factory=list)

    @property
    def sound_facts(self) -> list[dict[str, Any]]:
        return [f for f in self.facts if f is not None]


def prepare(
    package: RulesPackage | str,
    candidates: Sequence[CandidateFacts],
    unit: UnitFacts,
    on: date,
    decisions: list[str] | None = None,
    rules_on: date | None = None,
) -> PreparedBatch:
    """Facts of ``candidates`` on ``on`` and the rules in force on ``rules_on`` (``on`` when
    None: a what-if applies one version's rules to another day's facts)."""
    from nguon.plugins import get_plugin_manager

    package = load_package(package) if isinstance(package, str) else package
    wanted = list(decisions) if decisions else package.decision_codes()
    unknown = [name for name in wanted if name not in package.decisions]
    if unknown:
        raise ValueError(f"package {package.id!r} has no decisions {unknown}")
    snapshot = package.snapshot(rules_on or on, wanted)
    batch = PreparedBatch(package, snapshot, wanted, on, candidates, unit)
    review_period = package.review_period_fact(on)
    unit_problems = []
    if unit.kind not in package.unit_kinds:
        unit_problems.append("unit_kind")
    if unit.bloc is not None and unit.bloc not in package.blocs:
        unit_problems.append("unit_bloc")
    hook = get_plugin_manager().hook.prepare_facts
    hook_has_impls = bool(hook.get_hookimpls())
    for candidate in candidates:
        problems = unit_problems + candidate_problems(candidate, on)
        facts = None
        if not problems:
            facts = engine_facts(candidate, unit, on, review_period)
            try:
                facts.update(road_engine_facts(package, candidate.road or RoadDates(), on))
            except YearNotCovered:
                problems = ["road"]  # a working day outside the package's holidays files
                facts = None
        if facts is not None and hook_has_impls:
            hook(facts=facts, unit=unit, on=on)
        batch.facts.append(facts)
        batch.problems.append(problems)
    return batch


def finish(batch: PreparedBatch, fired: Sequence[set[int]]) -> list[CandidateEvaluation]:
    from nguon.plugins import get_plugin_manager

    RULES_EVALUATIONS.labels(package=batch.package.id).inc(len(batch.candidates))
    results: list[CandidateEvaluation] = []
    fired_iter = iter(fired)
    for candidate, facts, problems in zip(
        batch.candidates, batch.facts, batch.problems, strict=True
    ):
        common = {
            "person_ref": candidate.person_ref,
            "package": batch.package.id,
            "version": batch.snapshot.version,
            "on": batch.on,
        }
        if facts is None:
            results.append(
                CandidateEvaluation(
                    **common,
                    inputs_hash="",
                    decisions=invalid(batch.decisions, problems),
                    error="invalid facts: " + ", ".join(problems),
                )
            )
            continue
        results.append(
            CandidateEvaluation(
                **common,
                inputs_hash=inputs_hash(batch.snapshot, candidate, batch.unit),
                decisions=assemble(batch.snapshot, next(fired_iter), batch.decisions),
                next_check=next_check(batch.package, candidate, batch.on),
            )
        )
    observe = get_plugin_manager().hook.observe_decisions
    if observe.get_hookimpls():
        observe(decisions=results)
    return results


def fire_plain(snapshot: RuleSnapshot, facts: Sequence[dict[str, Any]]) -> list[set[int]]:
    predicates = snapshot.python_predicates
    return [{i for i, test in enumerate(predicates) if test(f)} for f in facts]


_Waiting = tuple[RuleSnapshot, list[dict[str, Any]], asyncio.Future]


class _Coalescer:
    """Merges evaluate() calls made while the engine thread is busy into one batch per
    ruleset: the engine thread gets batches, never single candidates."""

    def __init__(self) -> None:
        self._pending: dict[str, list[_Waiting]] = {}
        self._running = False

    async def fire(self, snapshot: RuleSnapshot, facts: list[dict[str, Any]]) -> list[set[int]]:
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending.setdefault(snapshot.key, []).append((snapshot, facts, future))
        if not self._running:
            self._running = True
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        engine = get_engine_thread()
        try:
            while self._pending:
                await asyncio.sleep(0)  # let every task that is ready add its batch
                key = next(iter(self._pending))
                waiting = self._pending.pop(key)
                merged = [fact for _, facts, _ in waiting for fact in facts]
                try:
                    fired = await engine.run("fire", waiting[0][0], merged)
                except Exception as error:
                    for _, _, future in waiting:
                        if not future.done():
                            future.set_exception(error)
                    continue
                offset = 0
                for _, facts, future in waiting:
                    if not future.done():
                        future.set_result(fired[offset : offset + len(facts)])
                    offset += len(facts)
        finally:
            self._running = False


_coalescers: dict[int, _Coalescer] = {}


def _coalescer() -> _Coalescer:
    loop = asyncio.get_running_loop()
    coalescer = _coalescers.get(id(loop))
    if coalescer is None or getattr(coalescer, "_loop", None) is not loop:
        coalescer = _Coalescer()
        coalescer._loop = loop  # type: ignore[attr-defined]
        _coalescers[id(loop)] = coalescer
    return coalescer


async def evaluate(
    package: RulesPackage | str,
    candidates: list[CandidateFacts],
    unit: UnitFacts,
    on: date,
    decisions: list[str] | None = None,
    rules_on: date | None = None,
) -> list[CandidateEvaluation]:
    """Evaluate candidates of one unit on a date, through the engine thread (with the
    rules of ``rules_on``: a tenant's version in force, see ``RulesPackage.in_force_for``)."""
    batch = prepare(package, candidates, unit, on, decisions, rules_on)
    sound = batch.sound_facts
    fired = await _coalescer().fire(batch.snapshot, sound) if sound else []
    return finish(batch, fired)


def evaluate_sync(
    package: RulesPackage | str,
    candidates: list[CandidateFacts],
    unit: UnitFacts,
    on: date,
    decisions: list[str] | None = None,
    rules_on: date | None = None,
) -> list[CandidateEvaluation]:
    """``evaluate`` for synchronous callers (CLI, scripts); not from inside a running loop."""
    batch = prepare(package, candidates, unit, on, decisions, rules_on)
    sound = batch.sound_facts
    fired = get_engine_thread().submit("fire", batch.snapshot, sound) if sound else []
    return finish(batch, fired)


def evaluate_plain(
    package: RulesPackage | str,
    candidates: list[CandidateFacts],
    unit: UnitFacts,
    on: date,
    decisions: list[str] | None = None,
    rules_on: date | None = None,
) -> list[CandidateEvaluation]:
    """The same evaluation in plain Python, without the engine (the reference)."""
    batch = prepare(package, candidates, unit, on, decisions, rules_on)
    return finish(batch, fire_plain(batch.snapshot, batch.sound_facts))


def due_for_reevaluation(
    previous: CandidateEvaluation,
    package: RulesPackage,
    candidate: CandidateFacts,
    unit: UnitFacts,
    on: date,
    rules_on: date | None = None,
) -> bool:
    """Whether a stored evaluation may be stale: a threshold passed or the inputs changed."""
    rules_day = rules_on or on
    if previous.error or previous.version != package.version_on(rules_day).id:
        return True
    if previous.next_check is not None and on >= previous.next_check:
        return True
    snapshot = package.snapshot(rules_day, list(previous.decisions))
    return inputs_hash(snapshot, candidate, unit) != previous.inputs_hash
