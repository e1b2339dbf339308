"""Helper assignments, proposals for admission and stage decisions over the JSON API."""

from __future__ import annotations

from typing import ClassVar

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from nguon.accounts.permissions import Access
from nguon.people.schemas import CandidateOut
from nguon.pipeline import admission, helpers, road
from nguon.pipeline.events import pipeline_transaction
from nguon.pipeline.helper_schemas import (
    HelperAssign,
    HelperEnd,
    HelperList,
    HelperOut,
    ProposeAdmission,
    StageDecision,
    StageHistory,
)
from nguon.pipeline.road_schemas import RoadOut, RoadStepIn


class HelperController(Controller):
    path = "/helpers"
    tags: ClassVar[list[str]] = ["helpers"]

    @post("/", summary="Assign an official member to help a certified candidate (resolution)")
    async def assign(
        self, access: NamedDependency[Access], data: JSONBody[HelperAssign]
    ) -> HelperOut:
        async with pipeline_transaction():
            return await helpers.assign_helper(access, data)

    @post("/{assignment_id:int}/end", summary="End a helper assignment", status_code=200)
    async def end(
        self,
        access: NamedDependency[Access],
        assignment_id: FromPath[int],
        data: JSONBody[HelperEnd],
    ) -> HelperOut:
        async with pipeline_transaction():
            return await helpers.end_helper(access, assignment_id, data)


class AdmissionController(Controller):
    path = "/candidates"
    tags: ClassVar[list[str]] = ["admission"]

    @get("/{candidate_id:int}/helpers", summary="A candidate's helpers, current and past")
    async def helpers_of(
        self, access: NamedDependency[Access], candidate_id: FromPath[int]
    ) -> HelperList:
        return await helpers.list_helpers(access, candidate_id)

    @post(
        "/{candidate_id:int}/propose-admission",
        summary="Start the admission procedure if the rules find the candidate ready",
        status_code=200,
    )
    async def propose(
        self,
        access: NamedDependency[Access],
        candidate_id: FromPath[int],
        data: JSONBody[ProposeAdmission],
    ) -> CandidateOut:
        async with pipeline_transaction():
            return await admission.propose_admission(access, candidate_id, data)

    @post(
        "/{candidate_id:int}/stage",
        summary="Record an admission or take a candidate off the lists",
        status_code=200,
    )
    async def decide(
        self,
        access: NamedDependency[Access],
        candidate_id: FromPath[int],
        data: JSONBody[StageDecision],
    ) -> CandidateOut:
        async with pipeline_transaction():
            return await admission.decide_stage(access, candidate_id, data)

    @get(
        "/{candidate_id:int}/admission-road",
        summary="The admission road: steps, introducers and deadlines with their clauses",
    )
    async def road_of(
        self, access: NamedDependency[Access], candidate_id: FromPath[int]
    ) -> RoadOut:
        """After the cell's proposal: the resolutions and decision recorded so far, the
        introducers (or the Youth Union / trade union resolution standing in for one), and
        each deadline in working days (Vietnam's public holidays from the rules package)
        with its status (on time, due soon, late) and the clause that sets it."""
        return await road.road_out(access, candidate_id)

    @post(
        "/{candidate_id:int}/admission-road",
        summary="Record the grassroots resolution, an extension or the recognition",
        status_code=200,
    )
    async def record_road_step(
        self,
        access: NamedDependency[Access],
        candidate_id: FromPath[int],
        data: JSONBody[RoadStepIn],
    ) -> RoadOut:
        """Records one step the committees take after the cell's proposal, as a stage-machine
        event with its clause: the grassroots committee's resolution (an editor above the
        cell), one extension of the decision deadline of at most the package's working days,
        or the recognition as an official member after probation (an approver). Send the
        candidate's ``version``; each step is recorded once and audited."""
        async with pipeline_transaction():
            return await road.record_step(access, candidate_id, data)

    @get("/{candidate_id:int}/stages", summary="A candidate's stage history")
    async def history(
        self, access: NamedDependency[Access], candidate_id: FromPath[int]
    ) -> StageHistory:
        return await admission.get_stage_history(access, candidate_id)
