"""The parts of a printed list around its table: place, notes, file names."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from nguon.pipeline.document_parts import (
    ascii_file_name,
    attachment_disposition,
    default_sheet,
    entry_notes,
    file_stem,
    period_slug,
    place_of,
)


@pytest.mark.parametrize(
    ("lineage", "place"),
    [
        (
            ["Chi bộ thôn 1", "Đảng ủy xã Lạc Hồng", "Huyện ủy Văn Lâm", "Tỉnh ủy Hưng Yên"],
            "Lạc Hồng",
        ),
        (["Đảng ủy phường Hiến Nam", "Tỉnh ủy Hưng Yên"], "Hiến Nam"),
        (["Chi bộ Trường THPT Văn Lâm", "Huyện ủy Văn Lâm", "Tỉnh ủy Hưng Yên"], "Văn Lâm"),
        (["Thị ủy Mỹ Hào", "Tỉnh ủy Hưng Yên"], "Mỹ Hào"),
        (["Đảng ủy Công an tỉnh", "Tỉnh ủy Hưng Yên"], "Hưng Yên"),
        (["Ban Tổ chức Tỉnh ủy", "Tỉnh ủy Hưng Yên"], "Hưng Yên"),
        (["Ban Tổ chức Tỉnh ủy"], "Hưng Yên"),  # no ancestor names a place: the province's
    ],
)
def test_the_place_is_the_nearest_locality_else_the_province(
    lineage: list[str], place: str
) -> None:
    assert place_of(lineage, "Tỉnh Hưng Yên") == place


def test_notes_carry_the_reasons_given() -> None:
    base = {"notes": "", "override_justification": None, "removal_reason": None}
    assert entry_notes({**base, "included": True}) == ""
    assert entry_notes({**base, "included": True, "notes": "Đoàn viên ưu tú"}) == "Đoàn viên ưu tú"
    added = {
        **base,
        "included": True,
        "notes": "Đoàn viên",
        "override_justification": "Đúng",
    }
    assert entry_notes(added) == "Đoàn viên; Lý do đưa vào danh sách: Đúng"
    removed = {**base, "included": False, "removal_reason": "Chuyển đi"}
    assert entry_notes(removed) == "Lý do đưa ra khỏi danh sách: Chuyển đi"


def test_file_names_in_vietnamese_with_an_ascii_fallback() -> None:
    stem = file_stem("Danh sách bước 1", "Chi bộ thôn 1", "2026-Q4")
    assert stem == "Danh-sách-bước-1_Chi-bộ-thôn-1_Q4-2026"
    assert ascii_file_name(f"{stem}.xlsx") == "Danh-sach-buoc-1_Chi-bo-thon-1_Q4-2026.xlsx"
    assert file_stem("Tổng hợp bước 3", 'Đảng ủy xã A/B: "C"', "2026-annual") == (
        "Tổng-hợp-bước-3_Đảng-ủy-xã-A-B-C_Khảo-sát-2026"
    )
    assert period_slug("2026-Q1") == "Q1-2026" and default_sheet("course_nominees").endswith("2")


def test_content_disposition_names_the_file_both_ways() -> None:
    name = "Danh-sách-bước-1_Chi-bộ-thôn-1_Q4-2026.xlsx"
    header = attachment_disposition(name)
    ascii_part, utf8_part = header.split("; filename*=UTF-8''")
    assert ascii_part == 'attachment; filename="Danh-sach-buoc-1_Chi-bo-thon-1_Q4-2026.xlsx"'
    assert header.isascii() and unquote(utf8_part) == name
    assert attachment_disposition('a"b\r\n.xlsx') == (
        "attachment; filename=\"a-b--.xlsx\"; filename*=UTF-8''a-b--.xlsx"
    )
