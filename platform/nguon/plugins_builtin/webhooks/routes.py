"""The tenant administrator's webhook API: the delivery log, redelivery, a test event."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from nguon.accounts.permissions import Access
from nguon.api.pagination import NEXT_KEY_HEADER, PageRequest
from nguon.plugin_admin.service import require_admin
from nguon.plugins_builtin.webhooks.admin import TestEventIn, redeliver, send_test_event
from nguon.plugins_builtin.webhooks.outbox import DeliveryOut, delivery_log

Status = Annotated[
    Literal["pending", "delivered", "failed"] | None,
    QueryParameter(description="Only deliveries in this state"),
]
PAGE_SIZE = 100


@get(
    "/admin/webhooks/deliveries",
    summary="The webhook delivery log, newest first: status, attempts, last error, next attempt",
    tags=["plugins"],
)
async def webhook_deliveries(
    access: NamedDependency[Access], paging: NamedDependency[PageRequest], status: Status = None
) -> Response[list[DeliveryOut]]:
    require_admin(access)
    before_id = int(paging.after[0]) if paging.after else None
    items, last_id = await delivery_log(status, paging.limit or PAGE_SIZE, before_id)
    headers = {NEXT_KEY_HEADER: msgspec.json.encode([last_id]).decode()} if last_id else {}
    return Response(items, headers=headers)


@post(
    "/admin/webhooks/deliveries/{delivery_id:int}/redeliver",
    summary="Send one past delivery again now (one more attempt, same body and delivery id)",
    tags=["plugins"],
    status_code=200,
)
async def redeliver_webhook(
    access: NamedDependency[Access], delivery_id: FromPath[int]
) -> DeliveryOut:
    return await redeliver(access, delivery_id)


@post(
    "/admin/webhooks/test",
    summary="Send a signed webhook.test event to one configured endpoint, or to all",
    tags=["plugins"],
)
async def send_webhook_test(
    access: NamedDependency[Access], data: JSONBody[TestEventIn]
) -> list[DeliveryOut]:
    return await send_test_event(access, data)
