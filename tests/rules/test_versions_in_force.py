"""Rules and forms that apply in some versions of a package only: each applies on the days
of its versions, and a version named that the package does not have is refused."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from nguon.rules.errors import PackageLoadError
from nguon.rules.registry import load_package

FIXTURES = Path(__file__).parent / "fixtures"
IN_A = dt.date(2024, 3, 1)  # version "a": 2024-01-01 to 2024-07-01
IN_B = dt.date(2024, 9, 1)  # version "b": from 2024-07-01

FORMS = """
[[column]]
code = "seq"
header = "STT"
[[column]]
code = "full_name"
header = "Họ và tên"
[[column]]
code = "notes"
header = "Ghi chú"
[[form]]
step = "survey"
levels = ["grassroots_cell"]
title = "Danh sách theo mẫu cũ"
sheet = "Mẫu cũ"
columns = ["seq", "full_name"]
versions = ["a"]

[[form]]
step = "survey"
levels = ["grassroots_cell"]
title = "Danh sách theo mẫu mới"
sheet = "Mẫu mới"
columns = ["seq", "full_name", "notes"]
versions = ["b"]
"""


def _package(tmp_path: Path, rules_extra: str = "", forms: str = "") -> Path:
    folder = tmp_path / "versioned"
    shutil.copytree(FIXTURES / "good", folder)
    rules = folder / "rules.toml"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text.replace('id = "r1"\n', f'id = "r1"\n{rules_extra}', 1), "utf-8")
    if forms:
        (folder / "forms.toml").write_text(forms, encoding="utf-8")
    return folder


def test_a_rule_of_one_version_applies_on_that_versions_days_only(tmp_path: Path) -> None:
    package = load_package(_package(tmp_path, 'versions = ["a"]\n'))
    assert "r1" in {rule.id for rule in package.snapshot(IN_A).rules}
    assert "r1" not in {rule.id for rule in package.snapshot(IN_B).rules}


def test_a_form_of_one_version_is_the_one_printed_on_that_versions_days(
    tmp_path: Path,
) -> None:
    package = load_package(_package(tmp_path, forms=FORMS))
    assert package.form("survey", "grassroots_cell", IN_A).title == "Danh sách theo mẫu cũ"
    assert package.form("survey", "grassroots_cell", IN_B).title == "Danh sách theo mẫu mới"
    assert package.form("survey", "grassroots_cell", IN_B).sheet == "Mẫu mới"


def test_a_rule_naming_a_version_the_package_lacks_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PackageLoadError) as refused:
        load_package(_package(tmp_path, 'versions = ["c"]\n'))
    assert "rules.toml:1: rule 'r1': names version 'c' that does not exist" in str(refused.value)


def test_a_rule_naming_a_decision_that_does_not_exist_is_refused_at_its_line(
    tmp_path: Path,
) -> None:
    folder = _package(tmp_path)
    rules = folder / "rules.toml"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text.replace('"survey_list"', '"survey_lists"', 1), encoding="utf-8")
    with pytest.raises(PackageLoadError) as refused:
        load_package(folder)
    assert "rules.toml:1: rule 'r1': names decision 'survey_lists' that does not exist" in str(
        refused.value
    )
