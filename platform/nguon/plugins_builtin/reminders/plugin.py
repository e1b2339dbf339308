"""Remind each unit of the package calendar's deadlines: on the portal home page and
through the webhooks plugin (event ``deadline.reminder``).

Switched on per tenant (``[plugins.deadline_reminders]``); reminders are sent by
the worker's daily ``daily_reminders`` job (``nguon reminders send`` by hand).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from nguon.hooks import hookimpl
from nguon.plugins_builtin.reminders.config import RemindersConfig
from nguon.plugins_builtin.reminders.service import home_notices

NGUON_HOOK_API = "1.1"
NGUON_PER_TENANT = True
config_struct = RemindersConfig


@hookimpl
def extra_home_notices(tenant_id: int, unit_ids: list[int], today: dt.date) -> Any:
    return home_notices(unit_ids, today)
