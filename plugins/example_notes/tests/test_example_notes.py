"""The example plugin through Nguồn's documented hooks: installed, per tenant, CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from importlib.metadata import entry_points

import msgspec
import nguon_example_notes.plugin as plugin
import pytest

from nguon.hooks import HomeNotice
from nguon.pipeline.documents import DocumentColumn, ListDocument
from nguon.plugins import (
    ENTRY_POINT_GROUP,
    PluginConfigError,
    TenantPlugins,
    call_tenant_hook,
    decode_config,
    get_plugin_manager,
)

TODAY = dt.date(2025, 6, 25)


def test_the_distribution_declares_its_entry_point_and_hook_api() -> None:
    (point,) = [p for p in entry_points(group=ENTRY_POINT_GROUP) if p.name == "example_notes"]
    assert point.load() is plugin
    assert plugin.NGUON_HOOK_API.startswith("1.")
    assert get_plugin_manager().get_plugin("example_notes") is plugin


async def test_the_note_shows_only_for_tenants_that_switched_the_plugin_on() -> None:
    on = TenantPlugins(
        tenant_id=1, configs={"example_notes": plugin.NotesConfig(note="Họp chi bộ ngày 5")}
    )
    off = TenantPlugins(tenant_id=2)

    shown = await call_tenant_hook(on, "extra_home_notices", tenant_id=1, unit_ids=[7], today=TODAY)
    hidden = await call_tenant_hook(
        off, "extra_home_notices", tenant_id=2, unit_ids=[7], today=TODAY
    )

    assert [HomeNotice(text="Họp chi bộ ngày 5")] in shown
    assert [
        notices for notices in hidden if any(n.text == "Họp chi bộ ngày 5" for n in notices)
    ] == []


def test_bad_settings_are_refused_with_their_key_path() -> None:
    with pytest.raises(PluginConfigError) as error:
        decode_config("example_notes", {"note": "x", "level": "urgent"}, "$.plugins.example_notes")
    assert error.value.problems == ["$.plugins.example_notes.level: Invalid enum value 'urgent'"]
    config = decode_config("example_notes", {"note": "Nộp sớm"}, "$")
    assert msgspec.to_builtins(config) == {"note": "Nộp sớm", "level": "info"}


def test_lists_render_as_csv_with_vietnamese_intact() -> None:
    document = ListDocument(
        tenant_name="Tỉnh ủy Hưng Yên",
        superior_committee="Đảng ủy xã Lạc Hồng",
        unit_name="Chi bộ thôn Ngọc Đà",
        place="Lạc Hồng",
        issued_on=TODAY,
        title="Danh sách quần chúng để theo dõi",
        step="survey",
        period_code="2025-annual",
        period_label="Khảo sát năm 2025",
        columns=(DocumentColumn("stt", "STT"), DocumentColumn("full_name", "Họ và tên")),
        rows=(("1", "Nguyễn Văn Đức"), ("2", "Trần Thị Hoà")),
        signature_title="T/M CHI BỘ",
        signer_role="BÍ THƯ",
    )
    renderers = [r for batch in get_plugin_manager().hook.register_list_renderers() for r in batch]
    (renderer,) = [r for r in renderers if r.format == "csv"]

    rows = list(csv.reader(io.StringIO(renderer.render(document).decode("utf-8-sig"))))

    assert rows == [
        ["Danh sách quần chúng để theo dõi", "Chi bộ thôn Ngọc Đà", "Khảo sát năm 2025"],
        ["STT", "Họ và tên"],
        ["1", "Nguyễn Văn Đức"],
        ["2", "Trần Thị Hoà"],
    ]
    removed = msgspec.structs.replace(
        document,
        removed_heading="Quần chúng đưa ra khỏi danh sách",
        removed_rows=(("1", "Lê Văn Cường"),),
    )
    with_removed = list(csv.reader(io.StringIO(renderer.render(removed).decode("utf-8-sig"))))
    assert with_removed[4:] == [["Quần chúng đưa ra khỏi danh sách"], ["1", "Lê Văn Cường"]]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_never_run_as_formulas(start: str) -> None:
    value = f'{start}HYPERLINK("http://x";"Bấm")'
    document = ListDocument(
        tenant_name="Tỉnh ủy Hưng Yên",
        superior_committee="Đảng ủy xã Lạc Hồng",
        unit_name=value,
        place="Lạc Hồng",
        issued_on=TODAY,
        title="Danh sách",
        step="survey",
        period_code="2025-annual",
        period_label="Khảo sát năm 2025",
        columns=(DocumentColumn("full_name", "Họ và tên"), DocumentColumn("notes", value)),
        rows=((value, "Đoàn viên ưu tú"), ("Nguyễn Văn Đức", value)),
        signature_title="T/M CHI BỘ",
        signer_role="BÍ THƯ",
    )

    text = plugin.render_csv(document).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))

    cells = [rows[0][1], rows[1][1], rows[2][0], rows[3][1]]
    assert cells == [f"'{value}"] * 4
    assert rows[2][1] == "Đoàn viên ưu tú" and rows[3][0] == "Nguyễn Văn Đức"
