from pathlib import Path

import pytest

from nguon.rules.errors import PackageLoadError
from nguon.rules.registry import load_package

FIXTURES = Path(__file__).parent / "fixtures"


def test_good_fixture_loads():
    assert load_package(FIXTURES / "good").id == "fixture_good"


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("gap", "manifest.toml:16: version 'b': leaves a gap after version 'a'"),
        ("overlap", "manifest.toml:16: version 'b': overlaps version 'a'"),
        ("unknown_clause", "rules.toml:1: rule 'r1': names clause 'g.99' that does not exist"),
        (
            "unknown_unit_kind_chain",
            "structure.toml:11: chain 'cell': "
            "names unit kind 'district_committee' that does not exist",
        ),
        (
            "unknown_unit_kind_rule",
            "rules.toml:1: rule 'r1': 'district_committee' is not a known unit_kind code",
        ),
        ("unknown_fact", "rules.toml:1: rule 'r1': unknown fact 'favourite_colour'"),
        (
            "parameters_gap",
            "manifest.toml:21: parameter 'min_age_months': does not cover version 'b'",
        ),
    ],
)
def test_broken_package_is_refused_naming_file_line_and_item(fixture, expected):
    with pytest.raises(PackageLoadError) as refused:
        load_package(FIXTURES / fixture)
    assert expected in str(refused.value)


def test_overriding_a_baseline_rule_needs_the_flag():
    with pytest.raises(PackageLoadError) as refused:
        load_package(FIXTURES / "override_unflagged")
    assert "rules.toml:1: rule 'age_below_minimum': exists already: set override = true" in str(
        refused.value
    )


def test_override_and_disable_are_applied():
    package = load_package(FIXTURES / "override_ok")
    rules = {rule.id: rule for rule in package.rules}
    assert rules["age_below_minimum"].outcome == "needs_review"
    assert rules["age_below_minimum"].package == "fixture_override_ok"
    assert "political_standard_unchecked" not in rules


def test_a_version_without_a_chain_is_refused(tmp_path: Path) -> None:
    """Rule-author trial: a version whose lists had no chain passed ``nguon rules check``."""
    import shutil

    folder = tmp_path / "nochain"
    shutil.copytree(FIXTURES / "good", folder)
    structure = folder / "structure.toml"
    text = structure.read_text(encoding="utf-8")
    structure.write_text(
        text.replace('path = ["grassroots_cell",', 'versions = ["a"]\npath = ["grassroots_cell",'),
        encoding="utf-8",
    )
    with pytest.raises(PackageLoadError) as refused:
        load_package(folder)
    # Named at the kind's own line, with the lines of its chains and both ways out.
    assert refused.value.problems == [
        "structure.toml:1: unit_kind 'grassroots_cell': exists in version 'b' but no [[chain]] "
        "of 'grassroots_cell' applies in it, so its lists would have nowhere to go: let a chain "
        "of 'grassroots_cell' (lines 11) apply in 'b' (`since`, or 'b' in its `versions`), or "
        "leave 'b' out of this kind's versions"
    ]
