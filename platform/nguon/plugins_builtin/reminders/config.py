"""A tenant's reminder settings (``[plugins.deadline_reminders]``)."""

from __future__ import annotations

from typing import Annotated

import msgspec


class RemindersConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    days_before: Annotated[int, msgspec.Meta(ge=0, le=90)] = 7
    """Remind a unit this many days before a period's deadline (0: on the day)."""
    remind_late: bool = True
    """Also remind, once, each unit that missed the last deadline."""
