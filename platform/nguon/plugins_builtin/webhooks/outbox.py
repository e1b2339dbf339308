"""Put events in the outbox, and deliver what is due: signed, retried with backoff.

Delivery never happens inside the request that caused the event: the event writes a
``pending`` row (in the transaction that marks the pipeline event dispatched,
``nguon.pipeline.outbox``) and, on Postgres, a job in the same transaction that
``nguon worker`` runs (on SQLite a loop of the server posts it; ``nguon webhooks deliver``
by hand). A row is marked ``delivered`` only on a 2xx answer, and every attempt carries
the same ``X-Nguon-Delivery`` id, so a receiver that dedupes on it sees each event once.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import logging
import random
import uuid
from typing import Any

import httpx
import msgspec
import msgspec.structs

from nguon.api.vocabulary import to_v2
from nguon.db.binding import current_engine
from nguon.db.engine import is_postgres
from nguon.db.transaction import on_commit
from nguon.jobs.enqueue import enqueue as enqueue_job
from nguon.outbound import OutboundRefused, guarded_client
from nguon.plugin_admin.service import load_tenant_plugins
from nguon.plugins_builtin.webhooks.config import WebhooksConfig
from nguon.plugins_builtin.webhooks.tables import WebhookDelivery
from nguon.tenancy.context import require_tenant, tenant_context
from nguon.tenancy.scoped import in_tenant
from nguon.tenancy.tables import Tenant

PLUGIN_NAME = "webhooks"
SIGNATURE_HEADER = "X-Nguon-Signature"
"""Deprecated (body only, so a captured delivery can be replayed): ``sha256=<hex>``."""
TIMESTAMP_HEADER = "X-Nguon-Timestamp"
SIGNATURE_V2_HEADER = "X-Nguon-Signature-256"
"""``t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>." + raw body>``."""
REDELIVERY_HEADER = "X-Nguon-Redelivery"
DELIVERY_HEADER = "X-Nguon-Delivery"
EVENT_HEADER = "X-Nguon-Event"
MAX_DELAY = dt.timedelta(hours=6)
CONCURRENCY = 8
DELIVER_TASK = "deliver_webhook"

logger = logging.getLogger("nguon.webhooks")

_wakers: set[asyncio.Event] = set()


class Payload(msgspec.Struct, kw_only=True):
    event: str
    event_id: str
    tenant_id: int
    occurred_at: dt.datetime
    data: dict[str, Any]


def payload_bodies(payload: Payload) -> dict[str, str]:
    """The payload as each vocabulary says it: ``v1`` (the names of before) and ``v2``
    (the API's glossary); an endpoint receives the one of its ``api_version``."""
    return {
        "v1": msgspec.json.encode(payload).decode(),
        "v2": msgspec.json.encode(
            msgspec.structs.replace(payload, data=to_v2(payload.data))
        ).decode(),
    }


class DeliveryReport(msgspec.Struct, kw_only=True):
    delivered: int = 0
    retried: int = 0
    gave_up: int = 0


def sign(secret: str, body: bytes) -> str:
    """The ``X-Nguon-Signature`` value: ``sha256=`` and the hex HMAC of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, body), signature)


def sign_v2(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Nguon-Signature-256`` value: the timestamp and the hex HMAC-SHA256 of
    ``b"<timestamp>." + body`` keyed with the endpoint's secret."""
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signed_headers(
    secret: str, body: bytes, delivery_id: str, event_type: str, timestamp: int
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "Nguon-Webhooks/1",
        DELIVERY_HEADER: delivery_id,
        EVENT_HEADER: event_type,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_V2_HEADER: sign_v2(secret, body, timestamp),
        SIGNATURE_HEADER: sign(secret, body),
    }


def wake_workers() -> None:
    for waker in list(_wakers):
        waker.set()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def enqueue(
    config: WebhooksConfig, tenant_id: int, event_type: str, data: dict[str, Any]
) -> list[str]:
    """One pending delivery per endpoint that takes ``event_type``; their delivery ids."""
    endpoints = [e for e in config.endpoints if event_type in e.events]
    if not endpoints:
        return []
    payload = Payload(
        event=event_type,
        event_id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        occurred_at=_now(),
        data=data,
    )
    bodies = payload_bodies(payload)
    rows = [
        WebhookDelivery(
            tenant_id=tenant_id,
            delivery_id=str(uuid.uuid4()),
            event_type=event_type,
            endpoint_url=endpoint.url,
            body=bodies[endpoint.api_version],
            next_attempt_at=payload.occurred_at,
        )
        for endpoint in endpoints
    ]
    with tenant_context(tenant_id):
        await WebhookDelivery.insert(*rows).run()
        if is_postgres(current_engine()):
            # A job per delivery, in this transaction: it exists only if the rows do.
            for row in rows:
                await enqueue_job(
                    DELIVER_TASK, tenant_id, delivery=row.id, lock=f"webhook:{row.id}"
                )
    on_commit(wake_workers)
    return [row.delivery_id for row in rows]


def retry_delay(config: WebhooksConfig, attempts: int) -> dt.timedelta:
    """Exponential backoff with up to 25 % jitter, capped at ``MAX_DELAY``."""
    seconds = config.backoff_seconds * (2 ** max(attempts - 1, 0))
    delay = dt.timedelta(seconds=seconds * (1 + random.uniform(0, 0.25)))
    return min(delay, MAX_DELAY)


async def deliver_due(
    client: httpx.AsyncClient, now: dt.datetime | None = None, limit: int = 200
) -> DeliveryReport:
    """Post every due delivery of every tenant that has the webhooks plugin on."""
    now = now or _now()
    report = DeliveryReport()
    tenants = await Tenant.select(Tenant.id).order_by(Tenant.id)
    for row in tenants:
        plugins = await load_tenant_plugins(row["id"])
        if plugins.enabled(PLUGIN_NAME):
            with tenant_context(row["id"]):
                await _deliver_tenant(client, plugins.configs[PLUGIN_NAME], now, limit, report)
    return report


async def deliver_one(
    client: httpx.AsyncClient, delivery: int, now: dt.datetime | None = None
) -> dt.datetime | None:
    """Post one delivery of the current tenant if it is pending and due; when it stays
    pending (to retry), the time of its next attempt. Delivered or given-up rows, and a
    row another worker holds, are left alone: a job run twice posts once."""
    tenant_id = require_tenant()
    plugins = await load_tenant_plugins(tenant_id)
    if not plugins.enabled(PLUGIN_NAME):
        return None
    config: WebhooksConfig = plugins.configs[PLUGIN_NAME]
    now = now or _now()
    report = DeliveryReport()
    claimed = await _claim_due(config, [delivery], now)
    for row in claimed:
        await _attempt(client, config, row, now, report)
    row = await (
        WebhookDelivery.select(WebhookDelivery.status, WebhookDelivery.next_attempt_at)
        .where(in_tenant(WebhookDelivery), WebhookDelivery.id == delivery)
        .first()
    )
    if row is None or row["status"] != "pending":
        return None
    return row["next_attempt_at"]


async def _claim_due(
    config: WebhooksConfig, ids: list[int] | None, now: dt.datetime, limit: int = 200
) -> list[dict[str, Any]]:
    """The due pending rows (of ``ids``, or any), each claimed by moving its next
    attempt past the attempt's timeout: another worker skips it meanwhile."""
    query = WebhookDelivery.select().where(
        in_tenant(WebhookDelivery),
        WebhookDelivery.status == "pending",
        WebhookDelivery.next_attempt_at <= now,
    )
    if ids is not None:
        query = query.where(WebhookDelivery.id.is_in(ids))
    due = await query.order_by(WebhookDelivery.id).limit(limit)
    lease = now + dt.timedelta(seconds=config.timeout_seconds + 60)
    claimed = []
    for row in due:
        taken = await (
            WebhookDelivery.update({WebhookDelivery.next_attempt_at: lease})
            .where(
                in_tenant(WebhookDelivery),
                WebhookDelivery.id == row["id"],
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at == row["next_attempt_at"],
            )
            .returning(WebhookDelivery.id)
        )
        if taken:
            claimed.append(row)
    return claimed


async def _deliver_tenant(
    client: httpx.AsyncClient,
    config: WebhooksConfig,
    now: dt.datetime,
    limit: int,
    report: DeliveryReport,
) -> None:
    claimed = await _claim_due(config, None, now, limit)
    limiter = asyncio.Semaphore(CONCURRENCY)

    async def one(row: dict[str, Any]) -> None:
        async with limiter:
            await _attempt(client, config, row, now, report)

    await asyncio.gather(*(one(row) for row in claimed))


async def _attempt(
    client: httpx.AsyncClient,
    config: WebhooksConfig,
    row: dict[str, Any],
    now: dt.datetime,
    report: DeliveryReport,
    redelivery: bool = False,
    once: bool = False,
) -> None:
    """One POST of a delivery, written to its row. A redelivery (asked for by an admin,
    marked by its header) or a ``once`` attempt (a test event) is never retried by
    itself: it ends ``delivered`` or ``failed``."""
    endpoint = config.endpoint(row["endpoint_url"])
    attempts = row["attempts"] + 1
    status: int | None = None
    if endpoint is None:
        error = "endpoint no longer configured"
    else:
        body = row["body"].encode()
        timestamp = int(_now().timestamp())
        headers = signed_headers(
            endpoint.secret, body, row["delivery_id"], row["event_type"], timestamp
        )
        if redelivery:
            headers[REDELIVERY_HEADER] = "true"
        try:
            response = await client.post(
                endpoint.url, content=body, headers=headers, timeout=config.timeout_seconds
            )
            status = response.status_code
            error = "" if response.is_success else f"HTTP {status}"
        except OutboundRefused as refused:
            error = str(refused)
        except httpx.HTTPError as failure:
            error = delivery_error(failure)
    changes: dict[Any, Any] = {
        WebhookDelivery.attempts: attempts,
        WebhookDelivery.last_status: status,
        WebhookDelivery.last_error: error,
    }
    if not error:
        changes[WebhookDelivery.status] = "delivered"
        changes[WebhookDelivery.delivered_at] = _now()
        report.delivered += 1
    elif (
        redelivery
        or once
        or endpoint is None
        or attempts >= config.max_attempts
        or refused_by_policy(error)
    ):
        changes[WebhookDelivery.status] = "failed"
        report.gave_up += 1
        logger.warning("webhook delivery %s given up: %s", row["delivery_id"], error)
    else:
        changes[WebhookDelivery.next_attempt_at] = now + retry_delay(config, attempts)
        report.retried += 1
    await WebhookDelivery.update(changes).where(
        in_tenant(WebhookDelivery), WebhookDelivery.id == row["id"]
    )


def delivery_error(failure: httpx.HTTPError) -> str:
    """What the delivery log says of a failed attempt: the kind of failure only, so the log
    cannot be used to tell a closed port from a filtered one."""
    if isinstance(failure, httpx.ConnectError | httpx.ConnectTimeout):
        return "ConnectError: the receiver could not be reached"
    if isinstance(failure, httpx.TimeoutException):
        return "Timeout: the receiver did not answer in time"
    return f"{type(failure).__name__}: the exchange with the receiver failed"


def refused_by_policy(error: str) -> bool:
    return error.startswith("refused by policy")


class DeliveryOut(msgspec.Struct, kw_only=True):
    id: int
    delivery_id: str
    event_type: str
    endpoint_url: str
    status: str
    attempts: int
    last_status: int | None
    last_error: str
    next_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None
    created_at: dt.datetime


async def delivery_log(
    status: str | None, limit: int, before_id: int | None
) -> tuple[list[DeliveryOut], int | None]:
    """The tenant's deliveries, newest first, older than ``before_id``; and the id to page
    on when older ones remain (the tenant must be set)."""
    query = WebhookDelivery.select().where(in_tenant(WebhookDelivery))
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if before_id is not None:
        query = query.where(WebhookDelivery.id < before_id)
    rows = await query.order_by(WebhookDelivery.id, ascending=False).limit(limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return [delivery_out(r) for r in rows], (rows[-1]["id"] if more and rows else None)


def delivery_out(r: dict[str, Any]) -> DeliveryOut:
    return DeliveryOut(
        id=r["id"],
        delivery_id=r["delivery_id"],
        event_type=r["event_type"],
        endpoint_url=r["endpoint_url"],
        status=r["status"],
        attempts=r["attempts"],
        last_status=r["last_status"],
        last_error=r["last_error"],
        next_attempt_at=r["next_attempt_at"] if r["status"] == "pending" else None,
        delivered_at=r["delivered_at"],
        created_at=r["created_at"],
    )


class Worker:
    """The background delivery loop of one server process."""

    def __init__(self, poll_seconds: float) -> None:
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        _wakers.add(self._wake)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="nguon-webhooks")

    async def stop(self) -> None:
        _wakers.discard(self._wake)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        async with guarded_client() as client:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
                self._wake.clear()
                try:
                    await deliver_due(client)
                except Exception:
                    logger.exception("webhook delivery round failed")
