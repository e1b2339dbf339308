"""``/errors`` and ``/errors/{code}``: the pages a problem's ``type`` URI points to."""

from __future__ import annotations

from litestar import get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from nguon.api.problems import DOCS_PATH, FIELD_CODES, PROBLEM_TYPES


@get(DOCS_PATH, include_in_schema=False, sync_to_thread=False)
def problem_types_page() -> Template:
    return Template(
        template_name="problem_types.html",
        context={
            "problems": sorted(PROBLEM_TYPES.values(), key=lambda p: (p.status, p.code)),
            "field_codes": sorted(FIELD_CODES.values(), key=lambda f: f.code),
            "one": None,
        },
    )


@get(f"{DOCS_PATH}/{{code:str}}", include_in_schema=False, sync_to_thread=False)
def problem_type_page(code: FromPath[str]) -> Template:
    problem = PROBLEM_TYPES.get(code)
    if problem is None:
        raise NotFoundException(f"Không có loại lỗi này / No such problem type: {code}")
    return Template(template_name="problem_types.html", context={"one": problem})


PROBLEM_PAGES = [problem_types_page, problem_type_page]
