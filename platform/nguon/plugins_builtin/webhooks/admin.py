"""What a tenant administrator does by hand: send one past delivery again, send a test
event to check an endpoint and its secret. Both post now, inside the request (bounded by
the endpoint's timeout), record the attempt in the delivery log, and are audited."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec

from nguon.accounts.permissions import Access
from nguon.audit.service import Actor, record_event
from nguon.errors import InvalidInput, NotFound
from nguon.outbound import guarded_client
from nguon.plugin_admin.service import load_tenant_plugins, require_admin
from nguon.plugins_builtin.webhooks.config import WebhooksConfig
from nguon.plugins_builtin.webhooks.outbox import (
    PLUGIN_NAME,
    DeliveryOut,
    DeliveryReport,
    Payload,
    _attempt,
    _now,
    delivery_out,
)
from nguon.plugins_builtin.webhooks.tables import WebhookDelivery
from nguon.tenancy.scoped import in_tenant

TEST_EVENT = "webhook.test"


class TestEventIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    """One configured endpoint's URL; every configured endpoint when left out."""


def _actor(access: Access) -> Actor:
    return Actor(label=f"user:{access.username}", user_id=access.user_id)


async def _config(access: Access) -> WebhooksConfig:
    plugins = await load_tenant_plugins(access.tenant_id)
    if not plugins.enabled(PLUGIN_NAME):
        raise InvalidInput(
            "Plugin webhooks chưa được bật cho tỉnh / The webhooks plugin is off here: plugin",
            field="plugin",
        )
    return plugins.configs[PLUGIN_NAME]


async def _row(delivery_id: int) -> dict[str, Any]:
    row = await (
        WebhookDelivery.select()
        .where(in_tenant(WebhookDelivery), WebhookDelivery.id == delivery_id)
        .first()
    )
    if row is None:
        raise NotFound("delivery")
    return row


async def redeliver(access: Access, delivery_id: int) -> DeliveryOut:
    """Post a past delivery again, now, with its original body and delivery id."""
    require_admin(access)
    row = await _row(delivery_id)
    config = await _config(access)
    if config.endpoint(row["endpoint_url"]) is None:
        raise InvalidInput(
            "Địa chỉ nhận này không còn trong cấu hình / This endpoint is no longer "
            "configured: endpoint_url",
            field="endpoint_url",
        )
    async with guarded_client() as client:
        await _attempt(client, config, row, _now(), DeliveryReport(), redelivery=True)
    after = await _row(delivery_id)
    await record_event(
        _actor(access),
        "redeliver",
        "webhook_delivery",
        delivery_id,
        before={"status": row["status"], "attempts": row["attempts"]},
        after={"status": after["status"], "attempts": after["attempts"]},
    )
    return delivery_out(after)


async def send_test_event(access: Access, data: TestEventIn) -> list[DeliveryOut]:
    """A ``webhook.test`` event to one endpoint or all, signed like every event."""
    require_admin(access)
    config = await _config(access)
    endpoints = [e for e in config.endpoints if data.url is None or e.url == data.url]
    if not endpoints:
        raise InvalidInput(
            "Không có địa chỉ nhận như vậy trong cấu hình / No such endpoint is configured: url",
            field="url",
        )
    now = _now()
    payload = Payload(
        event=TEST_EVENT,
        event_id=str(uuid.uuid4()),
        tenant_id=access.tenant_id,
        occurred_at=now,
        data={"message": "Sự kiện thử từ Nguồn / A test event from Nguồn"},
    )
    body = msgspec.json.encode(payload).decode()
    rows = await WebhookDelivery.insert(
        *(
            WebhookDelivery(
                tenant_id=access.tenant_id,
                delivery_id=str(uuid.uuid4()),
                event_type=TEST_EVENT,
                endpoint_url=endpoint.url,
                body=body,
                status="sending",
                next_attempt_at=now + dt.timedelta(days=1),
            )
            for endpoint in endpoints
        )
    ).returning(WebhookDelivery.id)
    ids = [r["id"] for r in rows]
    async with guarded_client() as client:
        for delivery_id in ids:
            row = await _row(delivery_id)
            await _attempt(client, config, row, now, DeliveryReport(), once=True)
    sent = [delivery_out(await _row(delivery_id)) for delivery_id in ids]
    await record_event(
        _actor(access),
        "send_test",
        "webhook_delivery",
        None,
        after={"deliveries": [d.delivery_id for d in sent], "urls": [e.url for e in endpoints]},
    )
    return sent
