"""Importing the people of a survey from a sheet: the page, the upload (a job, whose page
shows progress and then the result or every bad row) and the template."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK

from nguon.accounts.permissions import Access
from nguon.api.tenant import tenant_of
from nguon.clock import today_in_vietnam
from nguon.errors import Forbidden
from nguon.org.schemas import UnitOut
from nguon.org.visibility import get_visible_unit
from nguon.people.candidate_import import candidate_template, template_columns
from nguon.people.sheet_files import MAX_BYTES, MAX_MB, MAX_ROWS, CellChoice, cells_under
from nguon.portal.context import page_context
from nguon.portal.jobs import JOBS_STORE, request_import
from nguon.portal.members import uploaded_sheet, xlsx_download
from nguon.tenancy.package import tenant_package


async def _manageable(access: Access, unit_id: int) -> tuple[UnitOut, list[CellChoice]]:
    """The unit and the cells of its subtree the caller may add people to, or 403."""
    unit = await get_visible_unit(access, unit_id)
    cells = await cells_under(access, unit)
    if not cells:
        raise Forbidden("Bạn không có quyền thêm quần chúng ở đơn vị này.")
    return unit, cells


async def _page(
    request: Request[Any, Any, Any],
    access: Access,
    unit: UnitOut,
    cells: list[CellChoice],
    *,
    problems: list[Any] | None = None,
    status: int = 200,
) -> Template:
    columns = template_columns(await tenant_package(), today_in_vietnam())
    return Template(
        template_name="candidate_import.html",
        context=page_context(
            request,
            access,
            unit=unit,
            cells=cells,
            headers=[header for field, header in columns if field != "seq"],
            problems=problems or [],
            max_rows=f"{MAX_ROWS:,}".replace(",", "."),
            max_mb=MAX_MB,
        ),
        status_code=status,
    )


@get(
    "/units/{unit_id:int}/candidates/import",
    summary="Import surveyed candidates from XLSX or CSV",
    include_in_schema=False,
)
async def import_page(
    request: Request[Any, Any, Any], access: NamedDependency[Access], unit_id: FromPath[int]
) -> Template:
    unit, cells = await _manageable(access, unit_id)
    return await _page(request, access, unit, cells)


@post(
    "/units/{unit_id:int}/candidates/import",
    summary="Import surveyed candidates from XLSX or CSV",
    include_in_schema=False,
    status_code=HTTP_200_OK,
    request_max_body_size=MAX_BYTES + 1024 * 1024,
)
async def import_submit(
    request: Request[Any, Any, Any], access: NamedDependency[Access], unit_id: FromPath[int]
) -> Template | Redirect:
    unit, cells = await _manageable(access, unit_id)
    upload = await uploaded_sheet(request)
    if not isinstance(upload, tuple):
        return await _page(request, access, unit, cells, problems=[upload], status=400)
    filename, content = upload
    store = request.app.stores.get(JOBS_STORE)
    job = await request_import(store, access, unit, filename, content, kind="candidates")
    return Redirect(path=f"/t/{tenant_of(request.scope).slug}/jobs/{job.id}", status_code=303)


@get(
    "/units/{unit_id:int}/candidates/template.xlsx",
    summary="The candidate import template",
    include_in_schema=False,
)
async def import_template(access: NamedDependency[Access], unit_id: FromPath[int]) -> Response:
    _, cells = await _manageable(access, unit_id)
    columns = template_columns(await tenant_package(), today_in_vietnam())
    content = candidate_template(cells, columns)
    return xlsx_download(content, "mẫu-nhập-quần-chúng.xlsx")


ROUTES = [import_page, import_submit, import_template]
