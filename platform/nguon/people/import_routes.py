"""Importing people from a sheet over the JSON API: the file (the package's XLSX form or
CSV, as the portal takes it) is kept and imported by a job — 202 and the job's url — whose
result is how many people were written, or every bad row located with nothing written."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Request, Response, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.status_codes import HTTP_202_ACCEPTED

from nguon.accounts.permissions import Access
from nguon.api.edge import SHEET_UPLOAD
from nguon.errors import Forbidden, InvalidInput
from nguon.org.visibility import get_visible_unit
from nguon.people.sheet_files import MAX_BYTES, MAX_MB, cells_under
from nguon.pipeline.evaluation_routes import accepted
from nguon.pipeline.evaluation_schemas import JobOut
from nguon.portal.jobs import JOBS_STORE, request_import

NO_FILE = "Hãy gửi tệp Excel (.xlsx) hoặc CSV trong trường file / Send an XLSX or CSV file as file"
TOO_BIG = f"Tệp lớn hơn {MAX_MB} MB; hãy chia nhỏ tệp / The file is over {MAX_MB} MB; split it"
NOT_MANAGER = {
    "candidates": "Bạn không có quyền thêm quần chúng ở đơn vị này"
    " / Your roles cannot add candidates in this unit",
    "members": "Bạn không có quyền quản lý đảng viên ở đơn vị này"
    " / Your roles cannot manage members in this unit",
}
UPLOAD_LIMIT = MAX_BYTES + 1024 * 1024
"""The sheet's limit and room for the multipart envelope around it."""


async def _sheet(request: Request[Any, Any, Any]) -> UploadFile:
    """The uploaded sheet, or a 400 naming the `file` field (an unreadable form too, which
    the app-wide answer to the parser's error would not name). The form is read here, not
    by the signature, because the edge decides the body's media type (415)."""
    try:
        form = await request.form()
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput(NO_FILE, "file") from None
    sheet = form.get("file")
    if not isinstance(sheet, UploadFile) or not sheet.filename:
        raise InvalidInput(NO_FILE, "file")
    return sheet


async def _import(
    request: Request[Any, Any, Any],
    access: Access,
    unit_id: int,
    kind: Literal["candidates", "members"],
) -> Response[JobOut]:
    unit = await get_visible_unit(access, unit_id)
    if not await cells_under(access, unit):
        raise Forbidden(NOT_MANAGER[kind])
    sheet = await _sheet(request)
    content = await sheet.read()
    if not content:
        raise InvalidInput(NO_FILE, "file")
    if len(content) > MAX_BYTES:
        raise InvalidInput(TOO_BIG, "file")
    store = request.app.stores.get(JOBS_STORE)
    job = await request_import(store, access, unit, sheet.filename, content, kind=kind)
    return accepted(request, job)


@post(
    "/units/{unit_id:int}/candidates/import",
    summary="Import surveyed candidates from a sheet (a job: poll its url for the result)",
    tags=["imports"],
    status_code=HTTP_202_ACCEPTED,
    request_max_body_size=UPLOAD_LIMIT,
    opt={SHEET_UPLOAD: "candidates"},
)
async def import_candidates_api(
    request: Request[Any, Any, Any], access: NamedDependency[Access], unit_id: FromPath[int]
) -> Response[JobOut]:
    """Sends a survey as a sheet (the `file` field of a multipart form: the package's XLSX
    form or a UTF-8 CSV file, up to 50 MB and 200,000 rows) to be imported into the unit's
    cells: answered 202 with a job whose `url` reports the result — `created` people, or
    every bad row in `problems` with nothing written. Needs a role that may add people to
    a cell of the unit's subtree; audited."""
    return await _import(request, access, unit_id, "candidates")


@post(
    "/units/{unit_id:int}/members/import",
    summary="Import Party members from a sheet (a job: poll its url for the result)",
    tags=["imports"],
    status_code=HTTP_202_ACCEPTED,
    request_max_body_size=UPLOAD_LIMIT,
    opt={SHEET_UPLOAD: "members"},
)
async def import_members_api(
    request: Request[Any, Any, Any], access: NamedDependency[Access], unit_id: FromPath[int]
) -> Response[JobOut]:
    """Sends the Party members of the unit's cells as a sheet (as for candidates: the
    `file` field of a multipart form, XLSX or UTF-8 CSV) to be imported: answered 202 with
    a job whose `url` reports `created` or every bad row, nothing written then. Needs a
    role that manages members in a cell of the unit's subtree; audited."""
    return await _import(request, access, unit_id, "members")


IMPORT_HANDLERS = [import_candidates_api, import_members_api]
