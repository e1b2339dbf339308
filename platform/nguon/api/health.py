"""``GET /health``: whether this process can serve, and each dependency it relies on.

503 (with ``Retry-After``) while the database does not answer: nothing can be served.
With only the session store (Redis) down it answers 200 ``degraded``: the API and its
tokens still work, signing in to the portal does not. Taking every process out of a
load balancer then would turn a partial outage into a whole one.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal

import msgspec
from litestar import MediaType, Request, Response, get
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from litestar.stores.redis import RedisStore

from nguon.api.outages import RETRY_AFTER_SECONDS
from nguon.tenancy.tables import Tenant

CHECK_TIMEOUT_SECONDS = 3.0

logger = logging.getLogger("nguon.app")


class Health(msgspec.Struct):
    status: Literal["ok", "degraded", "unavailable"]
    database: bool
    session_store: bool
    """Redis when configured, else the database (then the same answer as ``database``)."""


async def _database_answers() -> bool:
    try:
        await asyncio.wait_for(Tenant.raw("SELECT 1").run(), CHECK_TIMEOUT_SECONDS)
    except Exception as error:  # any failure means "not reachable"; the reason is logged
        logger.warning("database unreachable", extra={"error": type(error).__name__})
        return False
    return True


async def _redis_answers(store: RedisStore) -> bool:
    try:
        await asyncio.wait_for(store._redis.ping(), CHECK_TIMEOUT_SECONDS)
    except Exception as error:
        logger.warning("session store unreachable", extra={"error": type(error).__name__})
        return False
    return True


@get("/health", summary="Liveness and each dependency's reachability", tags=["operations"])
async def health(request: Request[Any, Any, Any]) -> Response[Health]:
    database = await _database_answers()
    store = request.app.stores.get("sessions")
    session_store = await _redis_answers(store) if isinstance(store, RedisStore) else database
    if not database:
        status, code = "unavailable", HTTP_503_SERVICE_UNAVAILABLE
    elif not session_store:
        status, code = "degraded", HTTP_200_OK
    else:
        status, code = "ok", HTTP_200_OK
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if code != HTTP_200_OK else {}
    return Response(
        Health(status=status, database=database, session_store=session_store),
        status_code=code,
        media_type=MediaType.JSON,
        headers=headers,
    )
