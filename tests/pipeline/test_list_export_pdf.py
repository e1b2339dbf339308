"""The exported list printed to PDF by LibreOffice: the signed paper shows the document
number, place and date, "Nơi nhận", the signer's title and name, the reasons in "Ghi chú",
dates as dd/mm/yyyy and every Vietnamese diacritic."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Database
from tests.http.conftest import AppClient
from tests.pipeline.conftest import Driver, build_chain_world
from tests.pipeline.office_pdf import print_to_pdf, soffice
from tests.pipeline.signed_list import ADDED_REASON, ADOPTER, REMOVED_REASON, signed_list

pytestmark = [pytest.mark.libreoffice, pytest.mark.postgres]


async def test_the_printed_form_shows_what_a_committee_signs(
    postgres_db: Database, pg_client: AppClient, tmp_path: Path
) -> None:
    soffice()  # before any work: missing LibreOffice fails in CI, skips elsewhere
    world = await build_chain_world(postgres_db, "export-pdf")
    drive = Driver(pg_client, world)
    made = await signed_list(drive)
    exported = await drive.call("x_viewer", "GET", f"/lists/{made.list_id}/export?number=07")
    assert exported.status_code == 200, exported.text

    printed = print_to_pdf(exported.content, tmp_path, keep_as="danh-sach-buoc-1.pdf")

    assert printed.pages == 1
    text = printed.text
    for line in (
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "ĐẢNG ỦY XÃ LẠC HỒNG",
        "CHI BỘ THÔN NGỌC ĐÀ",
        "Số 07-DS/CB",
        "Lạc Hồng, ngày 20 tháng 6 năm 2024",
        "DANH SÁCH QUẦN CHÚNG ĐỂ THEO DÕI, GIÁO DỤC, XEM XÉT GIỚI THIỆU",
        "Quý II năm 2024",
        "Nơi nhận:",
        "- Đảng ủy xã Lạc Hồng,",
        "- Lưu.",
        "T/M CHI BỘ",
        "BÍ THƯ",
        ADOPTER,
        "Quần chúng đưa ra khỏi danh sách",
        f"Lý do đưa vào danh sách: {ADDED_REASON}",
        f"Lý do đưa ra khỏi danh sách: {REMOVED_REASON}",
    ):
        assert line in text, line
    for name, born in zip(
        [*made.included, *made.removed], ("05/02/2001", "01/03/2000", "25/11/1999"), strict=True
    ):
        assert f"{name} {born}" in text, name
    assert text.index("Đỗ Thị Hoa") < text.index("Nguyễn Văn An") < text.index("Trần Thị Bình")
    assert "?" not in text, "a character the PDF could not show"
