"""A province's own note on every user's home page, and candidate lists as CSV.

Switched on per tenant; its settings (``[plugins.example_notes]``) are ``note`` (the text
shown) and ``level`` (``info``, ``due`` or ``late``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Annotated, Literal

import msgspec

from nguon.hooks import HomeNotice, hookimpl
from nguon.pipeline.documents import ListDocument, ListRenderer
from nguon.plugins import plugin_config

NGUON_HOOK_API = "1.1"
NGUON_PER_TENANT = True
PLUGIN_NAME = "example_notes"


class NotesConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    note: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    level: Literal["info", "due", "late"] = "info"


config_struct = NotesConfig


# A spreadsheet program opening a CSV runs a cell starting with one of these as a formula
# (CSV injection, OWASP): such a cell gets a leading apostrophe, which shows it as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: str) -> str:
    """The value as a spreadsheet shows it but never evaluates it."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def render_csv(document: ListDocument) -> bytes:
    """The list as CSV (UTF-8 with a BOM so spreadsheet programs read the diacritics)."""
    out = io.StringIO()
    writer = csv.writer(out)
    rows = [
        [document.title, document.unit_name, document.period_label],
        [column.header for column in document.columns],
        *document.rows,
        *([[document.removed_heading], *document.removed_rows] if document.removed_rows else []),
    ]
    writer.writerows([inert(value) for value in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


CSV_RENDERER = ListRenderer(
    format="csv", media_type="text/csv; charset=utf-8", file_extension="csv", render=render_csv
)


@hookimpl
def register_list_renderers() -> list[ListRenderer]:
    return [CSV_RENDERER]


@hookimpl
def extra_home_notices(tenant_id: int, unit_ids: list[int], today: dt.date) -> list[HomeNotice]:
    config: NotesConfig = plugin_config(PLUGIN_NAME)
    return [HomeNotice(text=config.note, level=config.level)]
