"""What the hook API hands plugins about the workflow: its own types, so plugins depend on
the hook API (``nguon.hooks``) and never on the pipeline's internals."""

from __future__ import annotations

import datetime as dt

import msgspec


class ListSummary(msgspec.Struct, kw_only=True, frozen=True):
    """What a list-event hook receives as ``candidate_list``."""

    id: int
    tenant_id: int
    unit_id: int
    step: str
    period: str
    state: str
    version: int
    receiver_unit_id: int | None


class StageChangeSummary(msgspec.Struct, kw_only=True, frozen=True):
    """What ``candidate_stage_changed`` receives as ``change``."""

    tenant_id: int
    candidate_id: int
    unit_id: int
    from_stage: str
    to_stage: str
    changed_on: dt.date
    reason: str
