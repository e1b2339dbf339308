"""Decisions out of fired rules: an outcome per decision with its reasons."""

from __future__ import annotations

from datetime import date

import msgspec

from nguon.rules.manifest import Outcome
from nguon.rules.package import RuleSnapshot

SEVERITY: dict[str, int] = {"eligible": 0, "needs_review": 1, "not_eligible": 2}
INVALID_FACTS = "invalid_facts"


class Reason(msgspec.Struct, kw_only=True, frozen=True):
    code: str
    clause_id: str | None
    message_vi: str
    rule_id: str | None = None


class Decision(msgspec.Struct, kw_only=True, frozen=True):
    outcome: Outcome
    reasons: list[Reason] = []


class CandidateEvaluation(msgspec.Struct, kw_only=True, frozen=True):
    person_ref: str
    package: str
    version: str
    on: date
    inputs_hash: str
    decisions: dict[str, Decision]
    error: str | None = None
    next_check: date | None = None  # re-evaluate on this day even if nothing changes


def assemble(snapshot: RuleSnapshot, fired: set[int], decisions: list[str]) -> dict[str, Decision]:
    reasons: dict[str, list[Reason]] = {name: [] for name in decisions}
    outcome: dict[str, Outcome] = dict.fromkeys(decisions, "eligible")
    for index in sorted(fired):
        rule = snapshot.rules[index]
        for name in rule.decisions:
            if name not in reasons:
                continue
            reasons[name].append(
                Reason(
                    code=rule.reason,
                    clause_id=rule.clause,
                    message_vi=rule.message,
                    rule_id=rule.id,
                )
            )
            if SEVERITY[rule.outcome] > SEVERITY[outcome[name]]:
                outcome[name] = rule.outcome
    return {name: Decision(outcome=outcome[name], reasons=reasons[name]) for name in decisions}


def invalid(decisions: list[str], problems: list[str]) -> dict[str, Decision]:
    reason = Reason(
        code=INVALID_FACTS,
        clause_id=None,
        message_vi="Dữ liệu của quần chúng không hợp lệ, cần kiểm tra lại: " + ", ".join(problems),
    )
    return {name: Decision(outcome="needs_review", reasons=[reason]) for name in decisions}
