"""Every hookspec of Nguồn, in one module.

Naming follows datasette: ``register_*`` returns a list, ``prepare_*`` mutates its
argument, ``extra_*`` adds to something, ``firstresult`` only where one answer must win.
Each hook has a one-line docstring, a section in ``docs/plugins.md`` with its exact
signature, and a test of its own; ``tests/plugins/test_hook_docs.py`` enforces all three.

Tenant hooks (``TENANT_HOOKS``) are called only on the plugins switched on for the tenant
concerned; an implementation of a tenant hook may be ``async def`` (it is awaited).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal

import msgspec
import pluggy

if TYPE_CHECKING:
    from pathlib import Path

    from litestar.config.app import AppConfig

    from nguon.audit.service import Actor
    from nguon.hook_events import ListSummary, StageChangeSummary
    from nguon.pipeline.documents import ListRenderer
    from nguon.rules.decisions import CandidateEvaluation
    from nguon.rules.facts import UnitFacts
    from nguon.rules.package import RulesPackage

HOOK_API_VERSION = "1.2"
"""Major: a change that breaks plugins; minor: hooks added. Plugins declare ``NGUON_HOOK_API``."""

TENANT_HOOKS = frozenset(
    {
        "list_submitted",
        "list_returned",
        "list_accepted",
        "candidate_stage_changed",
        "extra_home_notices",
    }
)

hookspec = pluggy.HookspecMarker("nguon")
hookimpl = pluggy.HookimplMarker("nguon")


# --- platform -------------------------------------------------------------------------


@hookspec
def register_routes() -> list[Any]:
    """Return Litestar route handlers or routers to mount in the application."""


@hookspec
def prepare_app_config(app_config: AppConfig) -> None:
    """Adjust the Litestar ``AppConfig`` before the application is built."""


# --- rules ----------------------------------------------------------------------------


@hookspec
def register_rules_packages() -> list[Path | RulesPackage]:
    """Return rules package folders (paths) or loaded ``RulesPackage`` objects to offer."""


@hookspec
def prepare_facts(facts: dict[str, Any], unit: UnitFacts, on: dt.date) -> None:
    """Add or adjust a candidate's engine facts (a dict) before the rules evaluate them."""


@hookspec
def observe_decisions(decisions: list[CandidateEvaluation]) -> None:
    """Look at a batch of ``CandidateEvaluation`` results after evaluation (no changes)."""


# --- pipeline -------------------------------------------------------------------------


@hookspec
def register_list_renderers() -> list[ListRenderer]:
    """Return ``ListRenderer``s that turn a ``ListDocument`` into a file (e.g. XLSX)."""


@hookspec
def list_submitted(candidate_list: ListSummary, actor: Actor) -> None:
    """Called after a list was submitted up the reporting chain."""


@hookspec
def list_returned(candidate_list: ListSummary, actor: Actor, comment: str) -> None:
    """Called after a list was returned to the unit below with a comment."""


@hookspec
def list_accepted(candidate_list: ListSummary, actor: Actor) -> None:
    """Called after a list was accepted by the level that received it."""


@hookspec
def candidate_stage_changed(change: StageChangeSummary, actor: Actor) -> None:
    """Called after a decision moved a candidate to another stage (nominee, certified, …)."""


# --- portal ---------------------------------------------------------------------------


class HomeNotice(msgspec.Struct, kw_only=True, frozen=True):
    """A line on a user's portal home page, offered by ``extra_home_notices``."""

    text: str
    level: Literal["info", "due", "late"] = "info"
    unit_id: int | None = None
    link: str | None = None


@hookspec
def extra_home_notices(tenant_id: int, unit_ids: list[int], today: dt.date) -> list[HomeNotice]:
    """Return ``HomeNotice``s to show on the home page of a user holding roles on ``unit_ids``."""
