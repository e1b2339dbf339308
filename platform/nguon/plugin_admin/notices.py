"""Notices plugins add to the portal home page (``extra_home_notices``)."""

from __future__ import annotations

import datetime as dt
import logging

from nguon.hooks import HomeNotice
from nguon.plugin_admin.service import load_tenant_plugins
from nguon.plugins import call_tenant_hook

logger = logging.getLogger("nguon.plugins")


async def home_notices(tenant_id: int, unit_ids: list[int], today: dt.date) -> list[HomeNotice]:
    """What the plugins on for the tenant add; a failing plugin costs its notices only."""
    try:
        plugins = await load_tenant_plugins(tenant_id)
        batches = await call_tenant_hook(
            plugins, "extra_home_notices", tenant_id=tenant_id, unit_ids=unit_ids, today=today
        )
    except Exception:
        logger.exception("extra_home_notices failed for tenant %s", tenant_id)
        return []
    return [notice for batch in batches for notice in batch if isinstance(notice, HomeNotice)]
