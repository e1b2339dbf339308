"""Lists, their reporting up the chain, and the review periods over the JSON API."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED

from nguon.accounts.permissions import Access
from nguon.clock import today_in_vietnam
from nguon.errors import Conflict, InvalidInput
from nguon.jobs import list_export
from nguon.jobs.list_export import (
    exported_by_job,
    exported_download,
    request_list_export,
)
from nguon.jobs.progress import JOBS_STORE
from nguon.pipeline import lists
from nguon.pipeline.documents_build import (
    MAX_DOCUMENT_NUMBER,
    MAX_SIGNER_NAME,
    document_of,
    download_disposition,
    export_options,
    form_of,
    list_renderers,
)
from nguon.pipeline.evaluation_routes import accepted
from nguon.pipeline.evaluation_schemas import JobOut
from nguon.pipeline.events import pipeline_transaction
from nguon.pipeline.schemas import (
    AcceptBody,
    AdoptBody,
    ExportRequest,
    ListChange,
    ListCreate,
    ListDetail,
    ListPage,
    PeriodOut,
    PeriodPage,
    ReturnBody,
    Step,
    SubmitBody,
)
from nguon.tenancy.package import tenant_package

PeriodCode = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^\d{4}-(Q[1-4]|annual)$",
        extra={
            "form": {
                "vi": "mã kỳ rà soát như 2026-Q1 hoặc 2026-annual",
                "en": "a review period's code such as 2026-Q1 or 2026-annual",
            }
        },
    ),
]


def _unknown_format(renderers: dict[str, object]) -> InvalidInput:
    available = ", ".join(sorted(renderers)) or "—"
    return InvalidInput(
        f"Không có định dạng xuất này; các định dạng có: {available} / "
        f"Unknown export format: format (available: {available})",
        field="format",
    )


class ListController(Controller):
    path = "/lists"
    tags: ClassVar[list[str]] = ["lists"]

    @post("/", summary="Create a unit's list for a step and period, prefilled from the rules")
    async def create_list(
        self, access: NamedDependency[Access], data: JSONBody[ListCreate]
    ) -> ListDetail:
        async with pipeline_transaction():
            return await lists.create_list(access, data)

    @get("/", summary="Lists of the caller's units")
    async def search_lists(
        self,
        access: NamedDependency[Access],
        unit_id: Annotated[int | None, QueryParameter(description="Only this unit's lists")] = None,
        step: Annotated[Step | None, QueryParameter()] = None,
        period: Annotated[
            PeriodCode | None, QueryParameter(description="A review period's code")
        ] = None,
    ) -> ListPage:
        return await lists.search_lists(access, unit_id, step, period)

    @get("/inbox", summary="Lists submitted to the caller's own units (receiver is one of them)")
    async def inbox(self, access: NamedDependency[Access]) -> ListPage:
        return await lists.inbox(access)

    @get("/{list_id:int}", summary="A list: its people, those refused with reasons, history")
    async def get_list(self, access: NamedDependency[Access], list_id: FromPath[int]) -> ListDetail:
        return await lists.get_list(access, list_id)

    @patch("/{list_id:int}", summary="Add and remove people (send the version you read)")
    async def change_list(
        self,
        access: NamedDependency[Access],
        list_id: FromPath[int],
        data: JSONBody[ListChange],
    ) -> ListDetail:
        async with pipeline_transaction():
            return await lists.change_list(access, list_id, data)

    @post("/{list_id:int}/refresh", summary="Apply the rules again", status_code=200)
    async def refresh_list(
        self,
        access: NamedDependency[Access],
        list_id: FromPath[int],
        data: JSONBody[SubmitBody],
    ) -> ListDetail:
        version = data.version
        async with pipeline_transaction():
            return await lists.refresh_list(access, list_id, version)

    @post("/{list_id:int}/adopt", summary="Adopt the list by a resolution", status_code=200)
    async def adopt_list(
        self,
        access: NamedDependency[Access],
        list_id: FromPath[int],
        data: JSONBody[AdoptBody],
    ) -> ListDetail:
        version = data.version
        async with pipeline_transaction():
            return await lists.adopt_list(access, list_id, data.resolution, version)

    @post("/{list_id:int}/submit", summary="Submit up the reporting chain", status_code=200)
    async def submit_list(
        self,
        access: NamedDependency[Access],
        list_id: FromPath[int],
        data: JSONBody[SubmitBody],
    ) -> ListDetail:
        version = data.version
        async with pipeline_transaction():
            return await lists.submit_list(access, list_id, version)

    @post("/{list_id:int}/return", summary="Return it with a comment", status_code=200)
    async def return_list(
        self,
        access: NamedDependency[Access],
        list_id: FromPath[int],
        data: JSONBody[ReturnBody],
    ) -> ListDetail:
        version = data.version
        async with pipeline_transaction():
            return await lists.return_list(access, list_id, data.comment, version)

    @post("/{list_id:int}/accept", summary="Accept into the receiver's own list", status_code=200)
    async def accept_list(
        self,
        access: NamedDependency[Access],
        list_id: FromPath[int],
        data: JSONBody[AcceptBody],
    ) -> ListDetail:
        version = data.version
        async with pipeline_transaction():
            return await lists.accept_list(access, list_id, version, data.comment)

    @get("/{list_id:int}/export", summary="The list as a file, through a renderer plugin")
    async def export_list(
        self,
        access: NamedDependency[Access],
        list_id: FromPath[int],
        format: Annotated[str, QueryParameter(max_length=16)] = "xlsx",
        number: Annotated[
            str,
            QueryParameter(
                max_length=MAX_DOCUMENT_NUMBER,
                description="The number from the committee's register of documents",
            ),
        ] = "",
        signer: Annotated[
            str,
            QueryParameter(
                max_length=MAX_SIGNER_NAME,
                description="The signer's name, where it is not the adopter's",
            ),
        ] = "",
    ) -> Response[bytes]:
        renderers = list_renderers()
        renderer = renderers.get(format)
        if renderer is None:
            raise _unknown_format(renderers)
        options = export_options(number, signer)
        read = await lists.read_list(access, list_id)
        if exported_by_job(read):
            limit = list_export.EXPORT_JOB_ABOVE
            raise Conflict(
                f"Danh sách có hơn {limit} người: hãy yêu cầu tạo tệp trong nền"
                f" (POST /lists/{list_id}/exports) / The list has more than"
                f" {limit} people: ask for a background export"
                f" (POST /lists/{list_id}/exports)",
                code="export_by_job",
            )
        document = await document_of(read, await tenant_package(), options)
        return Response(
            content=renderer.render(document),
            media_type=renderer.media_type,
            headers={"Content-Disposition": download_disposition(document, renderer)},
        )

    @post(
        "/{list_id:int}/exports",
        summary="Make the list's file in the background (any size; required above the limit)",
        status_code=HTTP_202_ACCEPTED,
    )
    async def request_export(
        self,
        request: Request[Any, Any, Any],
        access: NamedDependency[Access],
        list_id: FromPath[int],
        data: JSONBody[ExportRequest],
    ) -> Response[JobOut]:
        renderers = list_renderers()
        if data.format not in renderers:
            raise _unknown_format(renderers)
        export_options(data.number, data.signer)
        read = await lists.read_list(access, list_id)
        form_of(read, await tenant_package())
        job = await request_list_export(
            request.app.stores.get(JOBS_STORE), access, read, data.format, data.number, data.signer
        )
        return accepted(request, job)


@get("/exports/{export_id:int}", summary="The file a background export made", tags=["lists"])
async def download_export(
    access: NamedDependency[Access], export_id: FromPath[int]
) -> Response[bytes]:
    return await exported_download(access, export_id)


@get("/periods", summary="Review periods of a year (package calendar)", tags=["lists"])
async def list_periods(
    access: NamedDependency[Access],
    year: Annotated[int, QueryParameter(ge=2000, le=2100)],
) -> PeriodPage:
    package = await lists.tenant_package()
    today = today_in_vietnam()
    return PeriodPage(items=[PeriodOut.of(p, today) for p in lists.periods_of_year(package, year)])


ROUTE_HANDLERS = [ListController, list_periods, download_export]
