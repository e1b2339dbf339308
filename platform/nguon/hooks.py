"""Every hookspec of Nguồn, in one module.

Naming follows datasette: ``register_*`` returns a list, ``prepare_*`` mutates its
argument, ``extra_*`` adds to something, ``firstresult`` only where one answer must win.
Each hook has a one-line docstring and a test of its own (``tests/test_hooks_documented.py``).
"""

from __future__ import annotations

from typing import Any

import pluggy

HOOK_API_VERSION = "1.0"

hookspec = pluggy.HookspecMarker("nguon")
hookimpl = pluggy.HookimplMarker("nguon")


# --- platform -------------------------------------------------------------------------


@hookspec
def register_routes() -> list[Any]:
    """Return Litestar route handlers or routers to mount in the application."""


@hookspec
def prepare_app_config(app_config: Any) -> None:
    """Adjust the Litestar ``AppConfig`` before the application is built."""


# --- rules ----------------------------------------------------------------------------


@hookspec
def register_rules_packages() -> list[Any]:
    """Return rules package folders (paths) or loaded ``RulesPackage`` objects to offer."""


@hookspec
def prepare_facts(facts: dict[str, Any], unit: Any, on: Any) -> None:
    """Add or adjust a candidate's engine facts (a dict) before the rules evaluate them."""


@hookspec
def observe_decisions(decisions: list[Any]) -> None:
    """Look at a batch of ``CandidateEvaluation`` results after evaluation (no changes)."""


# --- pipeline -------------------------------------------------------------------------


@hookspec
def register_list_renderers() -> list[Any]:
    """Return ``ListRenderer``s that turn a ``ListDocument`` into a file (e.g. XLSX)."""


@hookspec
def list_submitted(candidate_list: Any, actor: Any) -> None:
    """Called after a list was submitted up the reporting chain."""


@hookspec
def list_returned(candidate_list: Any, actor: Any, comment: str) -> None:
    """Called after a list was returned to the unit below with a comment."""


@hookspec
def list_accepted(candidate_list: Any, actor: Any) -> None:
    """Called after a list was accepted by the level that received it."""
