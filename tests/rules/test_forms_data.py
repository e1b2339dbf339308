"""The printed forms' data in a rules package: sheet names, document types and the issuers'
abbreviations of document symbols, checked when the package loads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nguon.rules.errors import PackageLoadError
from nguon.rules.registry import load_package

HUNGYEN = Path(__file__).resolve().parents[2] / "rules" / "hungyen"


@pytest.mark.parametrize(
    ("kind", "name", "code"),
    [
        ("subordinate_cell", "Chi bộ thôn Ngọc Đà", "CB"),
        ("grassroots_cell", "Chi bộ Trường THPT Văn Lâm", "CB"),
        ("commune_committee", "Đảng ủy xã Như Quỳnh", "ĐU"),
        ("police_committee", "Đảng ủy Công an tỉnh", "ĐU"),
        ("district_committee", "Huyện ủy Văn Lâm", "HU"),
        ("district_committee", "Thị ủy Mỹ Hào", "TU"),
        ("district_committee", "Thành ủy Hưng Yên", "TU"),
        ("organisation_board", "Ban Tổ chức Tỉnh ủy", "BTCTU"),
        ("political_training_centre", "Trung tâm Chính trị huyện Văn Lâm", ""),
    ],
)
def test_each_issuer_has_its_abbreviation(kind: str, name: str, code: str) -> None:
    assert load_package("hungyen").issuer_code(kind, name) == code


def test_every_form_names_its_sheet_in_vietnamese() -> None:
    package = load_package("hungyen")
    sheets = {(spec.step, spec.levels[0]): spec.sheet for spec, _ in package.forms}
    assert sheets[("survey", "grassroots_cell")] == "Danh sách bước 1"
    assert sheets[("admission_sources", "grassroots_committee")] == "Tổng hợp bước 3"
    assert all(spec.document_type == "DS" for spec, _ in package.forms)


# The appended [[issuer]] starts two lines below the bundled file's last line.
ISSUER_LINE = len((HUNGYEN / "forms.toml").read_text(encoding="utf-8").splitlines()) + 2


def _package_with(tmp_path: Path, forms_extra: str) -> Path:
    folder = tmp_path / "hungyen"
    shutil.copytree(HUNGYEN, folder)
    forms = folder / "forms.toml"
    forms.write_text(forms.read_text(encoding="utf-8") + forms_extra, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            '\n[[issuer]]\nkinds = ["village_committee"]\ncode = "X"\n',
            f"forms.toml:{ISSUER_LINE}: issuer 'X': "
            "names unit kind 'village_committee' that does not exist",
        ),
        (
            '\n[[form]]\nstep = "survey"\nlevels = ["grassroots_cell"]\ntitle = "T"\n'
            'columns = ["seq"]\nsheet = "Danh sách: bước 1"\n',
            "form 'survey' (grassroots_cell): sheet 'Danh sách: bước 1'",
        ),
        (
            '\n[[form]]\nstep = "survey"\nlevels = ["grassroots_cell"]\ntitle = "T"\n'
            f'columns = ["seq"]\nsheet = "{"x" * 32}"\n',
            "at most 31 characters",
        ),
    ],
)
def test_bad_form_data_is_refused_naming_file_and_item(
    tmp_path: Path, extra: str, expected: str
) -> None:
    with pytest.raises(PackageLoadError) as refused:
        load_package(_package_with(tmp_path, extra))
    assert expected in str(refused.value)
