"""Org units as the API shows them."""

from __future__ import annotations

import datetime as dt

import msgspec


class UnitOut(msgspec.Struct, frozen=True):
    id: int
    parent_id: int | None
    code: str
    name: str
    kind: str
    bloc: str | None
    path: str
    depth: int
    valid_from: dt.date
    valid_to: dt.date | None
    role: str
    """The caller's strongest role on this unit (inherited from an ancestor or not)."""


class UnitList(msgspec.Struct, frozen=True):
    items: list[UnitOut]
    next: str | None = None
    """The cursor of the next page while more follow (send it back as ``cursor``)."""
