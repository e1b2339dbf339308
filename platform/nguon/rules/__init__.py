"""Rules: province packages, the durable-rules adapter and the tools for rule authors.

Only ``nguon.rules.engine`` imports durable-rules, and only on the engine thread.
"""

from nguon.rules.decisions import CandidateEvaluation, Decision, Reason
from nguon.rules.errors import EngineError, NoVersionInForce, PackageLoadError, RulesError
from nguon.rules.facts import CandidateFacts, UnitFacts
from nguon.rules.package import RulesPackage
from nguon.rules.registry import available_packages, load_package
from nguon.rules.service import (
    due_for_reevaluation,
    evaluate,
    evaluate_plain,
    evaluate_sync,
    next_check,
)

__all__ = [
    "CandidateEvaluation",
    "CandidateFacts",
    "Decision",
    "EngineError",
    "NoVersionInForce",
    "PackageLoadError",
    "Reason",
    "RulesError",
    "RulesPackage",
    "UnitFacts",
    "available_packages",
    "due_for_reevaluation",
    "evaluate",
    "evaluate_plain",
    "evaluate_sync",
    "load_package",
    "next_check",
]
