"""Candidates and members over the JSON API."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from nguon.accounts.permissions import Access
from nguon.api.pagination import PageRequest
from nguon.db.transaction import atomic
from nguon.people import member_changes, service
from nguon.people.labels import STAGE_LABELS
from nguon.people.schemas import (
    CandidateCreate,
    CandidateOut,
    CandidatePage,
    CandidateUpdate,
    MemberCreate,
    MemberEnd,
    MemberHistory,
    MemberOut,
    MemberPage,
    MemberState,
    MemberTransfer,
)

Query = Annotated[
    str | None,
    QueryParameter(description="Name to search, diacritics optional", max_length=200),
]
UnitFilter = Annotated[int | None, QueryParameter(description="Only this unit and its subtree")]
StageName = Literal[tuple(STAGE_LABELS)]  # type: ignore[valid-type]
StageFilter = Annotated[
    StageName | None, QueryParameter(description="Only the people at this stage")
]
_OFFSET_PAGING = "Deprecated (numbered pages, kept for v1 clients): page with `cursor` and `limit`"
PageNumber = Annotated[int, QueryParameter(ge=1, description=_OFFSET_PAGING)]
PageSize = Annotated[
    int, QueryParameter(ge=1, le=service.MAX_PAGE_SIZE, description=_OFFSET_PAGING)
]
StateFilter = Annotated[
    MemberState,
    QueryParameter(
        name="state",
        description="current: still here; ended: membership here ended; all (default)",
    ),
]


class CandidateController(Controller):
    path = "/candidates"
    tags: ClassVar[list[str]] = ["candidates"]

    @post("/", summary="Add a candidate to a unit's list")
    async def create_candidate(
        self, access: NamedDependency[Access], data: JSONBody[CandidateCreate]
    ) -> CandidateOut:
        async with atomic():
            return await service.create_candidate(access, data)

    @get("/", summary="Search candidates in the caller's units")
    async def search_candidates(
        self,
        access: NamedDependency[Access],
        paging: NamedDependency[PageRequest],
        q: Query = None,
        unit_id: UnitFilter = None,
        stage: StageFilter = None,
        page: PageNumber = 1,
        page_size: PageSize = 20,
    ) -> CandidatePage:
        after = (paging.after[0], paging.after[1]) if paging.after else None
        size = paging.limit or page_size
        return await service.search_candidates(access, q, unit_id, page, size, after, stage=stage)

    @get("/{candidate_id:int}", summary="One candidate")
    async def get_candidate(
        self, access: NamedDependency[Access], candidate_id: FromPath[int]
    ) -> CandidateOut:
        return await service.get_candidate(access, candidate_id)

    @patch("/{candidate_id:int}", summary="Change a candidate (send the version you read)")
    async def update_candidate(
        self,
        access: NamedDependency[Access],
        candidate_id: FromPath[int],
        data: JSONBody[CandidateUpdate],
    ) -> CandidateOut:
        async with atomic():
            return await service.update_candidate(access, candidate_id, data)


class MemberController(Controller):
    path = "/members"
    tags: ClassVar[list[str]] = ["members"]

    @post("/", summary="Record a Party member who may help candidates")
    async def create_member(
        self, access: NamedDependency[Access], data: JSONBody[MemberCreate]
    ) -> MemberOut:
        async with atomic():
            return await service.create_member(access, data)

    @get("/", summary="Search members in the caller's units")
    async def search_members(
        self,
        access: NamedDependency[Access],
        paging: NamedDependency[PageRequest],
        q: Query = None,
        unit_id: UnitFilter = None,
        page: PageNumber = 1,
        page_size: PageSize = 20,
        which: StateFilter = "all",
    ) -> MemberPage:
        after = (paging.after[0], paging.after[1]) if paging.after else None
        size = paging.limit or page_size
        return await service.search_members(access, q, unit_id, page, size, which, after)

    @get("/{member_id:int}", summary="One member")
    async def get_member(
        self, access: NamedDependency[Access], member_id: FromPath[int]
    ) -> MemberOut:
        return await service.get_member(access, member_id)

    @post(
        "/{member_id:int}/transfer",
        summary="Move a member to another cell of the caller's subtree (send the version read)",
    )
    async def transfer_member(
        self,
        access: NamedDependency[Access],
        member_id: FromPath[int],
        data: JSONBody[MemberTransfer],
    ) -> MemberOut:
        async with atomic():
            await member_changes.transfer_member(access, member_id, data)
            return await service.get_member(access, member_id)

    @post("/{member_id:int}/end", summary="End a member's membership here, with the reason")
    async def end_membership(
        self, access: NamedDependency[Access], member_id: FromPath[int], data: JSONBody[MemberEnd]
    ) -> MemberOut:
        async with atomic():
            await member_changes.end_membership(access, member_id, data)
            return await service.get_member(access, member_id)

    @get("/{member_id:int}/history", summary="A member's changes: dated, with reason and author")
    async def member_history(
        self, access: NamedDependency[Access], member_id: FromPath[int]
    ) -> MemberHistory:
        return await member_changes.member_history(access, member_id)
