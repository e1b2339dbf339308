"""Webhook payloads speak the endpoint's API version: v2's glossary, or v1's old names."""

from __future__ import annotations

import datetime as dt

import msgspec

from nguon.hook_events import ListSummary, StageChangeSummary
from nguon.plugins_builtin.webhooks.config import WebhooksConfig
from nguon.plugins_builtin.webhooks.outbox import Payload, payload_bodies


def _payload(data: dict) -> Payload:
    return Payload(
        event="list.submitted",
        event_id="e-1",
        tenant_id=7,
        occurred_at=dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC),
        data=data,
    )


def test_a_list_event_names_its_step_in_the_endpoints_vocabulary() -> None:
    summary = ListSummary(
        id=1,
        tenant_id=7,
        unit_id=3,
        step="course_nominees",
        period="2026-Q2",
        state="submitted",
        version=4,
        receiver_unit_id=2,
    )
    bodies = payload_bodies(_payload({"list": msgspec.to_builtins(summary)}))
    v1, v2 = (msgspec.json.decode(bodies[v]) for v in ("v1", "v2"))
    assert v1["data"]["list"]["step"] == "course_nominees"
    assert v2["data"]["list"]["step"] == "course_nominee"
    assert {k: v for k, v in v2.items() if k != "data"} == {
        k: v for k, v in v1.items() if k != "data"
    }


def test_a_stage_change_names_its_stages_in_the_endpoints_vocabulary() -> None:
    change = StageChangeSummary(
        tenant_id=7,
        candidate_id=9,
        unit_id=3,
        from_stage="surveyed",
        to_stage="course_nominee",
        changed_on=dt.date(2026, 12, 1),
        reason="Danh sách bước 2 được tiếp nhận",
    )
    bodies = payload_bodies(_payload({"change": msgspec.to_builtins(change)}))
    assert msgspec.json.decode(bodies["v1"])["data"]["change"]["from_stage"] == "surveyed"
    assert msgspec.json.decode(bodies["v2"])["data"]["change"]["from_stage"] == "survey"


def test_endpoints_configured_before_v2_keep_the_old_names() -> None:
    config = msgspec.convert(
        {"endpoints": [{"url": "https://a.example.vn/h", "secret": "x" * 16}]}, WebhooksConfig
    )
    assert config.endpoints[0].api_version == "v1"
