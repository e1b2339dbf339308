"""The installed plugin offers its renderer through the hook, unless the allow-list omits it."""

from __future__ import annotations

from importlib.metadata import entry_points

import nguon_list_forms_xlsx.plugin
import pytest
from list_forms_xlsx_readback import CELLS, COLUMNS, document, header_texts, read_back, table_rows

from nguon.pipeline.documents import ListRenderer
from nguon.plugins import ALLOW_ENV, ENTRY_POINT_GROUP, new_plugin_manager

PLUGIN_NAME = "list_forms_xlsx"


def _renderers() -> dict[str, ListRenderer]:
    manager = new_plugin_manager()
    offered = [r for batch in manager.hook.register_list_renderers() for r in batch]
    return {renderer.format: renderer for renderer in offered}


def test_the_distribution_declares_its_entry_point() -> None:
    (point,) = [p for p in entry_points(group=ENTRY_POINT_GROUP) if p.name == PLUGIN_NAME]
    assert point.load() is nguon_list_forms_xlsx.plugin


def test_hook_offers_the_xlsx_renderer_once_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ALLOW_ENV, raising=False)

    renderer = _renderers()["xlsx"]

    assert renderer.media_type == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert renderer.file_extension == "xlsx"
    data = renderer.render(document())
    assert data[:2] == b"PK"
    sheet = read_back(data)
    assert header_texts(sheet) == [column.header for column in COLUMNS]
    assert table_rows(sheet, len(COLUMNS)) == list(CELLS)


def test_allow_list_naming_the_plugin_keeps_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOW_ENV, f"some_other_plugin, {PLUGIN_NAME}")

    assert "xlsx" in _renderers()


def test_allow_list_without_the_plugin_leaves_it_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOW_ENV, "some_other_plugin")

    manager = new_plugin_manager()

    assert "xlsx" not in _renderers()
    assert manager.get_plugin(PLUGIN_NAME) is None
