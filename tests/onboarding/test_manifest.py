"""The manifest: the shipped provinces read cleanly, and every mistake is reported at once."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import Counter

import pytest

from nguon.tenancy.manifest import ManifestError, ManifestUnit, load_manifest, parse_manifest
from nguon.tenancy.vocabulary import UnknownRulesPackage, vocabulary_for
from tests.onboarding.conftest import FIXTURES, TENANTS


def _walk(units: list[ManifestUnit], parent: ManifestUnit | None = None):
    for unit in units:
        yield unit, parent
        yield from _walk(unit.children, unit)


def test_hungyen_manifest_describes_the_2024_province() -> None:
    manifest = load_manifest(TENANTS / "hungyen.toml")
    units = list(_walk(manifest.units))
    kinds = Counter(unit.kind for unit, _ in units)
    assert manifest.rules_package == "hungyen"
    assert 150 <= len(units) <= 300
    assert kinds["province_committee"] == 1
    assert kinds["organisation_board"] == 1
    assert kinds["district_committee"] == 10
    assert kinds["political_training_centre"] == 10
    assert kinds["police_committee"] == kinds["military_committee"] == 1
    assert kinds["bloc_committee"] == 1
    for unit, _ in units:
        if unit.kind == "district_committee":
            centres = [c for c in unit.children if c.kind == "political_training_centre"]
            assert len(centres) == 1, unit.code
        assert unicodedata.normalize("NFC", unit.name) == unit.name
    names = {unit.name for unit, _ in units}
    assert {"Thị ủy Mỹ Hào", "Huyện ủy Phù Cừ", "Đảng ủy xã Lạc Hồng"} <= names
    assert "Đảng ủy phường Bần Yên Nhân" in names
    assert "Đảng bộ Bệnh viện Đa khoa tỉnh" in names
    assert len({unit.code for unit, _ in units}) == len(units)
    for unit, parent in units:
        if parent is not None:
            assert unit.code.startswith(parent.code + ".")


def test_thaibinh_manifest_is_a_second_2024_province() -> None:
    manifest = load_manifest(TENANTS / "thaibinh.toml")
    units = list(_walk(manifest.units))
    assert manifest.slug == "thaibinh"
    assert 150 <= len(units) <= 250
    assert len({unit.code for unit, _ in units}) == len(units)
    for unit, parent in units:
        if parent is not None:
            assert unit.code.startswith(parent.code + ".")


def test_every_mistake_in_a_manifest_is_reported_with_its_key_path() -> None:
    with pytest.raises(ManifestError) as caught:
        load_manifest(FIXTURES / "malformed.toml")
    problems = caught.value.problems
    expected = [
        "$.colour: unknown field",
        "$.slug: 'Bad Slug' must be",
        "$.name: name is empty",
        "$.units[0].children[1].code: Expected `str`, got `int`",
        "$.units[0].children[2].valid_from: Invalid RFC3339 encoded date",
        "$.units[0].children[0].children[0].kind: unknown unit kind 'grasroots_cell'",
        "$.units[0].children[0].children[0].bloc: unknown bloc 'moon'",
        "$.units[0].children[0].children[0].valid_to: valid_to 2020-12-31 is before valid_from",
        "$.units[0].children[0].children[1].code: duplicate code 't.a'",
        "$.units[0].children[0].valid_from: valid_from 2019-01-01 is before its parent 't'",
        "$.units[0].children[0].children[2].children[0].kind: a unit of kind 'grassroots_cell' "
        "cannot sit under 't.a.cell' of kind 'grassroots_cell'",
        "$.users[0].username: duplicate username (first used at $.admin)",
        "$.users[0].password_hash: not an argon2id hash",
        "$.users[0].memberships[0].unit: unknown unit 't.nowhere'",
        "$.users[0].memberships[1].role: unknown role 'emperor' "
        "(one of viewer, editor, approver, unit_admin, tenant_admin)",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in problems), (start, problems)
    assert len(problems) == len(expected), problems


def test_a_manifest_must_name_a_known_rules_package_and_one_root() -> None:
    text = (TENANTS / "thaibinh.toml").read_text(encoding="utf-8")
    text = text.replace('rules_package = "hungyen"', 'rules_package = "atlantis"')
    with pytest.raises(ManifestError) as caught:
        parse_manifest(text)
    assert caught.value.problems == ["$.rules_package: unknown rules package 'atlantis'"]


def test_toml_syntax_errors_are_reported_not_raised() -> None:
    with pytest.raises(ManifestError) as caught:
        parse_manifest('slug = "x"\n[[units]\n')
    assert caught.value.problems[0].startswith("$: not valid TOML")


def test_the_vocabulary_is_the_package_structure_of_the_day() -> None:
    vocabulary = vocabulary_for("hungyen")
    assert vocabulary.kinds["police_committee"] == "Đảng ủy Công an tỉnh"
    assert vocabulary.kinds["grassroots_cell"] == "Chi bộ cơ sở"
    assert "police" in vocabulary.blocs
    before, after = dt.date(2024, 6, 1), dt.date(2025, 7, 1)
    assert vocabulary.parent_problem("subordinate_cell", "grassroots_committee", before) is None
    assert vocabulary.parent_problem("grassroots_cell", "district_committee", before) is None
    refused = vocabulary.parent_problem("grassroots_cell", "district_committee", after)
    assert refused is not None
    assert "version 2025.2" in refused and "placement of 'grassroots_cell'" in refused
    assert vocabulary.parent_problem("subordinate_cell", "commune_committee", after) is None
    assert vocabulary.parent_problem("subordinate_cell", "commune_committee", before) is not None
    assert vocabulary.kind_problem("commune_committee", before) is not None
    assert vocabulary.kind_problem("district_committee", after) is not None
    assert vocabulary.parent_problem("province_committee", None, after) is None
    with pytest.raises(UnknownRulesPackage):
        vocabulary_for("atlantis")
