"""The unit tree as the caller may see it."""

from __future__ import annotations

from typing import ClassVar

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from nguon.accounts.permissions import Access
from nguon.org.schemas import UnitList, UnitOut
from nguon.org.visibility import get_visible_unit, visible_units


class UnitController(Controller):
    path = "/units"
    tags: ClassVar[list[str]] = ["units"]

    @get("/", summary="Units the caller may see, parents before children")
    async def list_units(self, access: NamedDependency[Access]) -> UnitList:
        return UnitList(items=await visible_units(access))

    @get("/{unit_id:int}", summary="One unit")
    async def get_unit(self, access: NamedDependency[Access], unit_id: FromPath[int]) -> UnitOut:
        return await get_visible_unit(access, unit_id)
