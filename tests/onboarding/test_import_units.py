"""Importing units from CSV and XLSX: all rows checked first, then all written or none."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from nguon.org.import_units import UnitImportError, import_units
from nguon.org.service import unit_by_code
from nguon.tenancy.context import tenant_context
from tests.conftest import Database
from tests.onboarding.conftest import fresh_slug, manifest_as, onboard_as_owner, row_counts

HEADER = "code,name,kind,bloc,parent_code,valid_from,valid_to"


async def _tenant(db: Database) -> str:
    report = await onboard_as_owner(db, manifest_as("thaibinh.toml", fresh_slug("imp")))
    return report.slug


async def _import(db: Database, slug: str, path: Path):
    with db.as_owner():
        return await import_units(slug, path)


async def test_csv_import_with_parents_in_the_database_and_later_in_the_file(
    db: Database, tmp_path: Path
) -> None:
    slug = await _tenant(db)
    path = tmp_path / "units.csv"
    path.write_text(
        "\ufeff"
        + "\n".join(
            [
                HEADER,
                # the cell comes before its grassroots committee: parents may come later
                "tb.vuthu.hiep.thon-1,Chi bộ thôn Hiệp Trung,subordinate_cell,commune,"
                "tb.vuthu.hiep,01/01/2021,",
                "tb.vuthu.hiep,Đảng ủy xã Hiệp Hòa,grassroots_committee,commune,tb.vuthu,"
                "2020-10-01,",
                '"tb.vuthu.thcs","Chi bộ Trường THCS Vũ Thư, Thái Bình",grassroots_cell,education,'
                "tb.vuthu,2020-10-01,",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    report = await _import(db, slug, path)
    assert (report.created, report.unchanged, report.rows) == (3, 0, 3)
    tenant_id = (await onboard_as_owner(db, manifest_as("thaibinh.toml", slug))).tenant_id
    with tenant_context(tenant_id):
        district = await unit_by_code("tb.vuthu")
        commune = await unit_by_code("tb.vuthu.hiep")
        cell = await unit_by_code("tb.vuthu.hiep.thon-1")
        school = await unit_by_code("tb.vuthu.thcs")
    assert commune.path == f"{district.path}{commune.id}." and commune.depth == 2
    assert cell.path == f"{commune.path}{cell.id}." and cell.depth == 3
    assert cell.valid_from == dt.date(2021, 1, 1)
    assert school.name == "Chi bộ Trường THCS Vũ Thư, Thái Bình"

    again = await _import(db, slug, path)
    assert (again.created, again.unchanged) == (0, 3)


async def test_xlsx_import(db: Database, tmp_path: Path) -> None:
    slug = await _tenant(db)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["code", "name", "kind", "parent_code", "valid_from", "bloc"])
    sheet.append(
        ["tb.ca.pc02", "Đảng ủy Phòng Cảnh sát hình sự", "grassroots_committee", "tb.ca",
         dt.datetime(2021, 3, 1), "police"]
    )  # fmt: skip
    sheet.append(
        ["tb.ca.pc02.trong-an", "Chi bộ Đội Trọng án", "subordinate_cell", "tb.ca.pc02",
         "2021-03-01", "police"]
    )  # fmt: skip
    sheet.append([None, None, None, None, None, None])
    path = tmp_path / "units.xlsx"
    workbook.save(path)
    report = await _import(db, slug, path)
    assert report.created == 2


async def test_a_bad_file_reports_every_bad_row_and_writes_nothing(
    db: Database, tmp_path: Path
) -> None:
    slug = await _tenant(db)
    path = tmp_path / "bad.csv"
    path.write_text(
        "\n".join(
            [
                HEADER,
                "tb.vuthu.ok,Đảng ủy xã Đúng,grassroots_committee,commune,tb.vuthu,2020-10-01,",
                "tb.vuthu.k,Chi bộ sai loại,grasroots_cell,commune,tb.vuthu,2020-10-01,",
                "tb.vuthu.d,Chi bộ sai ngày,grassroots_cell,commune,tb.vuthu,31/02/2021,",
                "tb.vuthu.p,Chi bộ mồ côi,subordinate_cell,commune,tb.nowhere,2020-10-01,",
                "tb.vuthu.ok,Trùng mã,grassroots_committee,commune,tb.vuthu,2020-10-01,",
                ",Không có mã,grassroots_cell,commune,tb.vuthu,2020-10-01,",
                "tb.vuthu.early,Chi bộ sớm,grassroots_cell,moon,tb.vuthu,2010-01-01,2009-01-01",
                "tb.vuthu.d.sub,Chi bộ dưới dòng hỏng,subordinate_cell,commune,tb.vuthu.d,"
                "2021-05-01,",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    before = await row_counts(db)
    with pytest.raises(UnitImportError) as caught:
        await _import(db, slug, path)
    problems = caught.value.problems
    expected = [
        "line 3, column kind: unknown unit kind 'grasroots_cell'",
        "line 4, column valid_from: not a date: '31/02/2021'",
        "line 5, column parent_code: unknown parent unit 'tb.nowhere'",
        "line 6, column code: duplicate code 'tb.vuthu.ok' (first used at line 2)",
        "line 7, column code: code is empty",
        "line 8, column bloc: unknown bloc 'moon'",
        "line 8, column valid_to: valid_to 2009-01-01 is before valid_from 2010-01-01",
        "line 8, column valid_from: valid_from 2010-01-01 is before its parent 'tb.vuthu'",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in problems), (start, problems)
    assert len(problems) == len(expected), problems
    assert await row_counts(db) == before


async def test_a_file_without_the_required_columns_is_refused(db: Database, tmp_path: Path) -> None:
    slug = await _tenant(db)
    path = tmp_path / "cols.csv"
    path.write_text("code,name,colour\nx,y,red\n", encoding="utf-8")
    with pytest.raises(UnitImportError) as caught:
        await _import(db, slug, path)
    assert caught.value.problems == [
        "line 1, column colour: unknown column "
        "(expected code, name, kind, parent_code, valid_from, bloc, valid_to)",
        "line 1: missing column(s) kind, parent_code, valid_from",
    ]
