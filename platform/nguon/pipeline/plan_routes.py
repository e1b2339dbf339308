"""Admission plans and their progress over the JSON API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar

from litestar import Controller, get, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from nguon.accounts.permissions import Access
from nguon.db.transaction import atomic
from nguon.pipeline import plans
from nguon.pipeline.plan_schemas import PlanIn, PlanOut, PlanProgress

AsOf = Annotated[dt.date | None, QueryParameter(description="Progress as of this date (today)")]


class PlanController(Controller):
    path = "/plans"
    tags: ClassVar[list[str]] = ["plans"]

    @get("/{unit_id:int}/{year:int}", summary="A unit's admission plan for a year")
    async def get_plan(
        self, access: NamedDependency[Access], unit_id: FromPath[int], year: FromPath[int]
    ) -> PlanOut:
        return await plans.get_plan(access, unit_id, year)

    @put(
        "/{unit_id:int}/{year:int}",
        summary="Set a unit's targets for a year and its quarters (version 0 creates)",
    )
    async def put_plan(
        self,
        access: NamedDependency[Access],
        unit_id: FromPath[int],
        year: FromPath[int],
        data: JSONBody[PlanIn],
    ) -> PlanOut:
        async with atomic():
            return await plans.put_plan(access, unit_id, year, data)

    @get("/{unit_id:int}/{year:int}/progress", summary="Admissions against the targets")
    async def progress(
        self,
        access: NamedDependency[Access],
        unit_id: FromPath[int],
        year: FromPath[int],
        as_of: AsOf = None,
    ) -> PlanProgress:
        return await plans.plan_progress(access, unit_id, year, as_of)
