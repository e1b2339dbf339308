"""The tenant a piece of work runs for, carried in a ContextVar.

On Postgres the database sees it as the setting ``nguon.tenant_id`` that the Row-Level
Security policies read; no tenant set means no rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

current_tenant_id: ContextVar[int | None] = ContextVar("nguon_tenant_id", default=None)


def tenant_setting() -> str:
    tenant_id = current_tenant_id.get()
    return "" if tenant_id is None else str(tenant_id)


def require_tenant() -> int:
    tenant_id = current_tenant_id.get()
    if tenant_id is None:
        raise LookupError("no tenant is set for this unit of work")
    return tenant_id


@contextmanager
def tenant_context(tenant_id: int | None) -> Iterator[None]:
    token = current_tenant_id.set(tenant_id)
    try:
        yield
    finally:
        current_tenant_id.reset(token)
