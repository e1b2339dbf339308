"""The tenant administrator's view of the webhook delivery log."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from nguon.accounts.permissions import Access
from nguon.plugin_admin.service import require_admin
from nguon.plugins_builtin.webhooks.outbox import DeliveryOut, delivery_log

Status = Annotated[
    Literal["pending", "delivered", "failed"] | None,
    QueryParameter(description="Only deliveries in this state"),
]


@get(
    "/admin/webhooks/deliveries",
    summary="The webhook delivery log: status, attempts, last error, next attempt",
    tags=["plugins"],
)
async def webhook_deliveries(
    access: NamedDependency[Access], status: Status = None
) -> list[DeliveryOut]:
    require_admin(access)
    return await delivery_log(status)
