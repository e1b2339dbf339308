"""The durable-rules envelope: pool, catch-all, one thread, errors surfaced, batching."""

from __future__ import annotations

import asyncio
import threading
from datetime import date

import pytest

from nguon.rules.engine.durable_adapter import DurableEngine
from nguon.rules.engine.session_pool import SessionPool, fnv1a_32
from nguon.rules.engine.thread import get_engine_thread
from nguon.rules.errors import EngineError
from nguon.rules.facts import CandidateFacts, add_months, full_months_between
from nguon.rules.registry import load_package
from nguon.rules.service import (
    due_for_reevaluation,
    evaluate,
    evaluate_plain,
    evaluate_sync,
    next_check,
    prepare,
)

ON = date(2025, 5, 15)


def test_fnv1a_matches_known_vectors():
    assert fnv1a_32("") == 0x811C9DC5
    assert fnv1a_32("a") == 0xE40C292C
    assert fnv1a_32("foobar") == 0xBF9CF968


def test_session_pool_ids_have_distinct_hashes_and_are_not_person_ids():
    pool = SessionPool(64)
    ids = [pool.acquire() for _ in range(64)]
    assert len({fnv1a_32(sid) for sid in ids}) == 64
    assert all(sid.startswith("nguon-s") for sid in ids)
    with pytest.raises(RuntimeError):
        pool.acquire()
    with pytest.raises(ValueError):
        SessionPool(1025)


def test_months():
    assert full_months_between(date(2007, 5, 15), date(2025, 5, 14)) == 215
    assert full_months_between(date(2007, 5, 15), date(2025, 5, 15)) == 216
    assert full_months_between(date(2008, 1, 31), date(2008, 2, 29)) == 1
    assert add_months(date(2008, 2, 29), 216) == date(2026, 2, 28)


def test_engine_runs_on_one_thread(cell, good_candidate):
    names = get_engine_thread().call_in_thread(lambda engine: threading.current_thread().name)
    assert names.startswith("nguon-rules")
    assert threading.current_thread().name != names


def test_catch_all_fires_for_facts_matching_no_rule(cell, good_candidate):
    package = load_package("hungyen")
    batch = prepare(package, [good_candidate] * 3, cell, ON, ["survey_list"])
    engine = DurableEngine(pool_size=4, facts_per_session=2)
    assert engine.fire(batch.snapshot, batch.sound_facts) == [set(), set(), set()]
    assert len(engine._pool) == 4  # every session deleted and its id returned


def test_exception_inside_an_action_is_surfaced(cell, good_candidate):
    class Failing(DurableEngine):
        def _record(self, rule_index: int, fact_index: int) -> None:
            if rule_index >= 0:
                raise RuntimeError("boom")
            super()._record(rule_index, fact_index)

    package = load_package("hungyen")
    young = CandidateFacts(person_ref="y", date_of_birth=date(2010, 1, 1))
    batch = prepare(package, [young], cell, ON, ["survey_list"])
    with pytest.raises(EngineError, match="boom"):
        Failing().fire(batch.snapshot, batch.sound_facts)


def test_evaluation_records_package_version_and_inputs_hash(cell, good_candidate):
    result = evaluate_sync("hungyen", [good_candidate], cell, ON, ["survey_list"])[0]
    assert (result.package, result.version, result.person_ref) == ("hungyen", "2024.1", "good")
    assert len(result.inputs_hash) == 24
    again = evaluate_sync("hungyen", [good_candidate], cell, ON, ["survey_list"])[0]
    assert again.inputs_hash == result.inputs_hash


async def test_async_evaluate_batches_concurrent_calls_and_matches_plain(cell):
    from nguon.rules.synthetic import synthetic_candidates

    people = synthetic_candidates(600, ON, seed=11, malformed=0.05)
    chunks = [people[i : i + 7] for i in range(0, len(people), 7)]
    results = await asyncio.gather(*[evaluate("hungyen", chunk, cell, ON) for chunk in chunks])
    flat = [r for chunk in results for r in chunk]
    assert flat == evaluate_plain("hungyen", people, cell, ON)
    assert any(r.error for r in flat)


def test_next_check_is_the_next_dated_threshold(cell):
    package = load_package("hungyen")
    teen = CandidateFacts(person_ref="t", date_of_birth=date(2007, 5, 20))
    assert next_check(package, teen, ON) == date(2025, 5, 20)
    certified = CandidateFacts(
        person_ref="c", date_of_birth=date(1990, 1, 1), certificate_date=date(2020, 6, 1)
    )
    assert next_check(package, certified, ON) == date(2025, 6, 1)


def test_due_for_reevaluation_only_when_changed_or_threshold_crossed(cell, good_candidate):
    package = load_package("hungyen")
    previous = evaluate_plain(package, [good_candidate], cell, ON)[0]
    assert not due_for_reevaluation(previous, package, good_candidate, cell, date(2025, 5, 16))
    changed = CandidateFacts(
        **{
            **{f: getattr(good_candidate, f) for f in good_candidate.__struct_fields__},
            "introducers": 2,
        }
    )
    assert due_for_reevaluation(previous, package, changed, cell, date(2025, 5, 16))
    assert due_for_reevaluation(previous, package, good_candidate, cell, previous.next_check)
