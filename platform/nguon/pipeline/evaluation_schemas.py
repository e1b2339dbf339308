"""A person's evaluation by the rules and the re-evaluation jobs, as the API shows them."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from nguon.jobs.progress import JobKind, JobProblem
from nguon.pipeline.schemas import Outcome, Step


class ParameterOut(msgspec.Struct, kw_only=True):
    """A package parameter a rule compared with, its value on the evaluation's day."""

    name: str
    value: int | str | bool
    description: str
    reference: str
    """The legal reference of this dated value."""
    valid_from: dt.date
    valid_to: dt.date | None


class ClauseOut(msgspec.Struct, kw_only=True):
    id: str
    ref: str
    """The clause's reference in its document, e.g. "Mục 1, Bước 2"."""
    text: str
    document: str
    """The document's number and title, e.g. "06-HD/BTCTU — Hướng dẫn …"."""


class EvaluationReason(msgspec.Struct, kw_only=True):
    code: str
    message_vi: str
    rule_id: str | None
    clause: ClauseOut | None
    parameters: list[ParameterOut]
    inference: str
    """Why the reason is a reading of its clause rather than its words (empty otherwise)."""


class DecisionOut(msgspec.Struct, kw_only=True):
    decision: str
    """The rules package's decision id (``survey_list``, ``admission_readiness``, …)."""
    step: Step | None
    """The step whose list the decision admits to; none for the readiness for admission."""
    label: str
    outcome: Outcome
    reasons: list[EvaluationReason]


class EvaluationOut(msgspec.Struct, kw_only=True):
    candidate_id: int
    unit_id: int
    stage: str
    evaluated_on: dt.date
    package: str
    package_version: str
    decisions: list[DecisionOut]


JobState = Literal["queued", "running", "done", "failed"]


class JobOut(msgspec.Struct, kw_only=True):
    id: str
    kind: JobKind = "reevaluation"
    state: JobState
    unit_id: int
    unit_name: str
    candidate_id: int | None
    """Set when only one person is re-evaluated."""
    total: int
    done: int
    percent: int
    started_by: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    url: str
    """Where to poll the job's progress."""
    file_url: str | None = None
    """A finished list export: where the user who asked downloads the file."""
    filename: str = ""
    """An import: the file's name."""
    created: int | None = None
    """A finished import: how many people it wrote (0 when the file was imported before)."""
    problems: list[JobProblem] = []
    """A finished import refused: every bad row (row 0: the file), located; nothing written."""
    note: str = ""
    """A finished import that wrote nothing although the file is good: why."""
