"""Offers the XLSX renderer to Nguồn through the ``register_list_renderers`` hook."""

from __future__ import annotations

from nguon.hooks import hookimpl
from nguon.pipeline.documents import ListRenderer
from nguon_list_forms_xlsx.layout import render_workbook

NGUON_HOOK_API = "1.0"

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

XLSX_RENDERER = ListRenderer(
    format="xlsx",
    media_type=XLSX_MEDIA_TYPE,
    file_extension="xlsx",
    render=render_workbook,
)


@hookimpl
def register_list_renderers() -> list[ListRenderer]:
    return [XLSX_RENDERER]
