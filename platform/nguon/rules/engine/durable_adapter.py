"""durable-rules 2.0.28 inside the safety envelope of DESIGN.md.

- a quiet Host: no dispatcher or timer threads;
- called from one thread only (see ``thread.py``);
- a catch-all rule fires for every candidate fact, so no session is ever deleted before
  an action ran in it (that segfaults);
- session ids come from a small pool with distinct hashes; one session holds a chunk
  of a batch, each candidate one fact tagged with its index, and is deleted right after;
- an exception inside an action lands in the session state's ``exception``: it is
  raised here as EngineError, and the chunk's results are dropped;
- actions only append to an in-memory list: no I/O.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from durable import engine as durable_engine

from nguon.rules.conditions import to_durable
from nguon.rules.engine.session_pool import SessionPool
from nguon.rules.errors import EngineError
from nguon.rules.package import RuleSnapshot

log = logging.getLogger(__name__)

CATCH_ALL = -1
FACTS_PER_SESSION = 512


class QuietHost(durable_engine.Host):
    """A Host without its background dispatcher threads."""

    def _run(self) -> None:
        return None


class DurableEngine:
    """Runs rule snapshots over batches of flat facts; one instance per engine thread."""

    def __init__(self, pool_size: int = 64, facts_per_session: int = FACTS_PER_SESSION) -> None:
        self._host = QuietHost()
        self._pool = SessionPool(pool_size)
        self._facts_per_session = facts_per_session
        self._rulesets: dict[str, str] = {}
        self._fired: list[tuple[int, int]] = []
        self.evaluations = 0

    def _record(self, rule_index: int, fact_index: int) -> None:
        self._fired.append((fact_index, rule_index))

    def _action(self, rule_index: int):
        record = self._record

        def action(c: Any) -> None:
            record(rule_index, c._m["m"]["i"])

        return action

    def _ruleset_name(self, snapshot: RuleSnapshot) -> str:
        name = self._rulesets.get(snapshot.key)
        if name is not None:
            return name
        name = f"{snapshot.package}-{snapshot.version}-{snapshot.key}"
        definition: dict[str, Any] = {
            f"r{index:03d}": {
                "all": [{"m": to_durable(rule.condition, snapshot.parameters)}],
                "run": self._action(index),
            }
            for index, rule in enumerate(snapshot.rules)
        }
        definition["seen"] = {"all": [{"m": {"$gte": {"i": 0}}}], "run": self._action(CATCH_ALL)}
        self._host.register_rulesets({name: definition})
        self._rulesets[snapshot.key] = name
        log.info("registered ruleset %s with %d rules", name, len(snapshot.rules))
        return name

    def fire(self, snapshot: RuleSnapshot, facts: Sequence[dict[str, Any]]) -> list[set[int]]:
        """For each fact, the indexes (in ``snapshot.rules``) of the rules that fired."""
        name = self._ruleset_name(snapshot)
        results: list[set[int]] = [set() for _ in facts]
        step = self._facts_per_session
        for start in range(0, len(facts), step):
            self._fire_chunk(name, facts, start, min(start + step, len(facts)), results)
        self.evaluations += len(facts)
        return results

    def _fire_chunk(
        self,
        name: str,
        facts: Sequence[dict[str, Any]],
        start: int,
        stop: int,
        results: list[set[int]],
    ) -> None:
        sid = self._pool.acquire()
        messages = [
            {**facts[index], "sid": sid, "id": index, "i": index} for index in range(start, stop)
        ]
        self._fired = []
        failure: BaseException | None = None
        try:
            self._host.assert_facts(name, messages)
        except BaseException as error:
            failure = error
        fired, self._fired = self._fired, []
        seen = {fact for fact, rule in fired if rule == CATCH_ALL}
        if not fired:
            # No action ran: deleting this session would crash the process.
            self._pool.retire(sid)
            raise EngineError(f"no rule fired in session {sid}: {failure!r}")
        state = self._host.get_state(name, sid)
        self._host.delete_state(name, sid)
        self._pool.release(sid)
        if state.get("exception"):
            raise EngineError(f"a rule action failed: {state['exception']}")
        if failure is not None:
            raise EngineError(f"the engine refused a batch: {failure!r}") from failure
        if len(seen) != stop - start:
            raise EngineError(f"the catch-all rule saw {len(seen)} of {stop - start} facts")
        for fact, rule in fired:
            if rule != CATCH_ALL:
                results[fact].add(rule)
