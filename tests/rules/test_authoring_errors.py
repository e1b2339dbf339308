"""A rule author's mistake is answered with what to fix, where, and nothing else: a typo
in one file is one line (not fifty about the files that depend on it), a TOML syntax error
names its line and column, a value or key not allowed lists what is and the closest one,
and a package that does not load still has its case files checked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from nguon.cli import main
from nguon.rules.errors import PackageLoadError
from nguon.rules.registry import clear_cache, load_package

FIRST_FILES = "(the checks between files run once every file above can be read: fix these first)"


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A fresh package from the scaffold, as an author starts one."""
    made = CliRunner().invoke(
        main, ["rules", "new", "thaibinh", "--title", "Tỉnh Thái Bình", "--dir", str(tmp_path)]
    )
    assert made.exit_code == 0, made.output
    return tmp_path / "thaibinh"


def _edit(path: Path, old: str, new: str) -> int:
    """Replace the first ``old`` by ``new``; the 1-based line where ``new`` starts."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    at = text.index(old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[:at].count("\n") + 1


def _refused(folder: Path) -> list[str]:
    with pytest.raises(PackageLoadError) as refused:
        load_package(folder)
    return refused.value.problems


def test_a_typo_in_structure_is_one_line_at_the_key_with_the_key_meant(package: Path) -> None:
    line = _edit(
        package / "structure.toml",
        'code = "grassroots_cell"\n',
        'code = "grassroots_cell"\nversoins = ["2026.1"]\n',
    )
    assert _refused(package) == [
        f"structure.toml:{line + 1}: unit_kind #4: unknown key `versoins`; "
        "did you mean `versions`?",
        FIRST_FILES,
    ]


def test_toml_syntax_errors_of_every_file_are_named_by_line_and_column(package: Path) -> None:
    structure = _edit(package / "structure.toml", 'label = "Chi bộ cơ sở"', 'label = "Chi bộ cơ sở')
    rules = _edit(package / "rules.toml", "[[rule]]\n", "[[rule]]\nbad = = 1\n")
    assert _refused(package) == [
        f"structure.toml:{structure}:22: TOML syntax: Illegal character '\\n'",
        f"rules.toml:{rules + 1}:7: TOML syntax: Invalid value",
        FIRST_FILES,
    ]


def test_a_value_not_allowed_lists_the_allowed_ones_and_the_closest(package: Path) -> None:
    text = (package / "rules.toml").read_text(encoding="utf-8")
    outcome = next(line for line in text.splitlines() if line.startswith("outcome = "))
    line = _edit(package / "rules.toml", outcome, 'outcome = "not_eligble"')
    problems = _refused(package)
    assert problems[0] == (
        f"rules.toml:{line}: rule #1: `outcome` cannot be 'not_eligble' "
        "(allowed: eligible, not_eligible, needs_review); did you mean `not_eligible`?"
    )


def test_an_unknown_fact_says_the_closest_known_one(package: Path) -> None:
    text = (package / "rules.toml").read_text(encoding="utf-8")
    fact = re.search(r'fact = "(\w+)"', text)
    assert fact is not None
    _edit(package / "rules.toml", fact.group(0), f'fact = "{fact.group(1)[:-1]}"')
    problems = _refused(package)
    wanted = f"unknown fact '{fact.group(1)[:-1]}'; did you mean '{fact.group(1)}'?"
    assert any(problem.endswith(wanted) for problem in problems), problems


def test_case_files_are_checked_when_the_package_does_not_load(package: Path) -> None:
    _edit(
        package / "structure.toml",
        'code = "grassroots_cell"\n',
        'code = "grassroots_cell"\nx = 1\n',
    )
    line = _edit(package / "cases" / "first.yaml", "expect:", "expcet:")
    result = CliRunner().invoke(main, ["rules", "test", str(package)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(
        line.startswith(f"FAIL {package}: rules package 'thaibinh' refused") for line in lines
    )
    assert (
        f"FAIL {package}: cases/first.yaml:{line}: unknown key 'expcet'; did you mean `expect`?"
        in lines
    )
    assert lines[-1].endswith("(their decisions, reasons and codes are checked once it loads)")


def _three_versions(package: Path) -> None:
    """The scaffold's one version 2026.1, then 2026.2 and a draft 2027.1 after it."""
    manifest = package / "manifest.toml"
    text = manifest.read_text(encoding="utf-8")
    text = text.replace(
        "valid_from = 2026-01-01\n", "valid_from = 2026-01-01\nvalid_to = 2026-07-01\n", 1
    )
    text += (
        '\n[[version]]\nid = "2026.2"\nvalid_from = 2026-07-01\nvalid_to = 2027-01-01\n'
        'documents = ["guidance"]\n'
        '\n[[version]]\nid = "2027.1"\nvalid_from = 2027-01-01\nstatus = "draft"\n'
        'documents = ["guidance"]\n'
    )
    manifest.write_text(text, encoding="utf-8")


def test_since_carries_an_entry_into_every_later_version(package: Path) -> None:
    _three_versions(package)
    structure = package / "structure.toml"
    text = structure.read_text(encoding="utf-8")
    # Every entry from the second version on; one placement only up to it.
    text = text.replace(
        'code = "grassroots_cell"\n', 'code = "grassroots_cell"\nsince = "2026.1"\n'
    )
    structure.write_text(text, encoding="utf-8")
    loaded = load_package(package)
    kind = next(k for k in loaded.unit_kind_specs.values() if k.code == "grassroots_cell")
    assert kind.versions == ["2026.1", "2026.2", "2027.1"]
    assert kind.since is None


def test_until_alone_runs_from_the_first_version(package: Path) -> None:
    """Step 2 of "Publish a new version": an entry that stops gets `until`, nothing else."""
    _three_versions(package)
    _edit(
        package / "structure.toml",
        'code = "grassroots_cell"\n',
        'code = "grassroots_cell"\nuntil = "2026.2"\n',
    )
    problems = _refused(package)
    # The kind now ends with 2026.2: what still names it in 2027.1 is refused, nothing else.
    assert problems and all("does not exist in version '2027.1'" in p for p in problems)


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ('since = "2026.2"\nuntil = "2026.1"', "`until` 2026.1 comes before `since` 2026.2"),
        (
            'since = "2026.3"',
            "names version '2026.3' that does not exist (known: 2026.1, "
            "2026.2, 2027.1); did you mean '2026.2'?",
        ),
        (
            'until = "2026.4"',
            "names version '2026.4' that does not exist (known: 2026.1, "
            "2026.2, 2027.1); did you mean '2026.2'?",
        ),
        (
            'since = "2026.1"\nversions = ["2026.1"]',
            "gives both `versions` and `since`/`until`: keep one",
        ),
    ],
)
def test_a_span_that_cannot_be_read_is_refused_with_its_line(
    package: Path, written: str, problem: str
) -> None:
    _three_versions(package)
    line = _edit(
        package / "structure.toml",
        'code = "grassroots_cell"\n',
        f'code = "grassroots_cell"\n{written}\n',
    )
    assert f"structure.toml:{line - 1}: unit_kind #4: {problem}" in _refused(package)


@pytest.mark.parametrize(
    ("derived", "given"),
    [("has_certificate: true", "certificate_date"), ("age_months: 240", "date_of_birth")],
)
def test_a_derived_fact_in_a_case_names_what_to_write_instead(
    package: Path, derived: str, given: str
) -> None:
    line = _edit(package / "cases" / "first.yaml", "date_of_birth:", f"{derived}, date_of_birth:")
    result = CliRunner().invoke(main, ["rules", "test", str(package)])
    assert result.exit_code == 1
    key = derived.split(":")[0]
    wanted = f"'{key}' is worked out from candidate: {given}: write that instead"
    assert any(
        f"first.yaml:{line}: unknown key '{key}'" in shown and shown.endswith(wanted)
        for shown in result.output.splitlines()
    ), result.output


def test_a_version_diff_says_why_each_example_changed_with_its_clause(package: Path) -> None:
    _three_versions(package)
    manifest = package / "manifest.toml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8")
        + '\n[[parameter]]\nname = "certificate_validity_months"\noverride = true\n'
        "[[parameter.value]]\nvalue = 60\nvalid_from = 2021-07-30\nvalid_to = 2027-01-01\n"
        'reference = "Hướng dẫn 06-HD/TW mục 5.4"\nconfidence = "M"\n'
        "[[parameter.value]]\nvalue = 36\nvalid_from = 2027-01-01\n"
        'reference = "Hướng dẫn của tỉnh, mục 3"\nconfidence = "H"\n',
        encoding="utf-8",
    )
    args = [f"{package}@2026.2", f"{package}@2027.1", "--synthetic", "200"]
    result = CliRunner().invoke(main, ["rules", "diff", *args, "--date", "2027-03-01"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    first = lines.index("examples:") + 1
    assert re.fullmatch(r"  p\d+ on 2027-03-01: \w+ \w+ -> not_eligible", lines[first])
    assert lines[first + 1].startswith("      + certificate_expired: Giấy chứng nhận")
    assert lines[first + 1].endswith("[hd06tw.5.4: 06-HD/TW, Mục 5.4]")


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("expect:\n", "'expect' has nothing under it: give each decision's outcome"),
        (
            "expect:\n      survey_list:\n",
            "first.yaml:8: a decision under 'expect' has no outcome: write it as "
            "'survey_list: eligible'",
        ),
    ],
)
def test_an_empty_expectation_names_the_key_and_the_way_to_write_it(
    package: Path, written: str, said: str
) -> None:
    cases = package / "cases" / "first.yaml"
    text = cases.read_text(encoding="utf-8")
    start = text.index("    expect:")
    end = text.index("    chain:")
    cases.write_text(text[:start] + "    " + written + text[end:], encoding="utf-8")
    result = CliRunner().invoke(main, ["rules", "test", str(package)])
    assert result.exit_code == 1
    assert any(said in line and "first.yaml:" in line for line in result.output.splitlines()), (
        result.output
    )


def test_a_case_with_a_unit_kind_that_does_not_exist_yet_is_refused(package: Path) -> None:
    _three_versions(package)
    structure = package / "structure.toml"
    structure.write_text(
        structure.read_text(encoding="utf-8")
        + '\n[[unit_kind]]\ncode = "commune_committee"\nlabel = "Đảng ủy xã"\n'
        'holds_people = true\nsince = "2026.2"\n'
        '\n[[placement]]\nkind = "commune_committee"\nparents = ["province_committee"]\n'
        'since = "2026.2"\n'
        '\n[[chain]]\nid = "commune"\nkind = "commune_committee"\n'
        'path = ["commune_committee", "organisation_board", "province_committee"]\n'
        'clause = "guidance.lists"\nsince = "2026.2"\n',
        encoding="utf-8",
    )
    _edit(package / "cases" / "first.yaml", "kind: grassroots_cell", "kind: commune_committee")
    result = CliRunner().invoke(main, ["rules", "test", str(package)])
    assert result.exit_code == 1
    assert (
        "first.yaml:5: case 'Quần chúng đủ điều kiện khảo sát': unit kind 'commune_committee'"
        " does not exist on 2026-05-15 (version 2026.1)"
    ) in result.output, result.output


def test_a_diff_over_cases_of_several_versions_names_each_version_and_its_drafts(
    package: Path,
) -> None:
    _three_versions(package)
    cases = package / "cases" / "first.yaml"
    text = cases.read_text(encoding="utf-8")
    later = text.split("cases:\n", 1)[1].replace("date: 2026-05-15", "date: 2027-03-10")
    cases.write_text(text + later.replace("khảo sát", "khảo sát năm 2027"), encoding="utf-8")
    result = CliRunner().invoke(
        main, ["rules", "diff", "hungyen", str(package), "--cases", str(cases)]
    )
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("compared 2 candidates: hungyen 2025.2 -> thaibinh 2026.1, 2027.1")
    assert "2027.1 (draft, bản dự thảo" in first


def test_a_top_level_typo_in_the_manifest_is_named_at_its_line(package: Path) -> None:
    line = _edit(package / "manifest.toml", 'extends = "national"', 'extend = "national"')
    assert (
        f"manifest.toml:{line}: top level: unknown key `extend`; did you mean `extends`?"
        in _refused(package)
    )


def test_a_deadline_of_an_unknown_step_names_the_steps_there_are(package: Path) -> None:
    _edit(
        package / "cases" / "first.yaml",
        "    chain:",
        "    deadlines: {admission_decisions: 2027-01-01}\n    chain:",
    )
    result = CliRunner().invoke(main, ["rules", "test", str(package)])
    assert result.exit_code == 1
    said = (
        "deadlines: unknown step 'admission_decisions' "
        "(one of admission_decision, probation_end, recognition)"
    )
    assert any(said in line and "first.yaml:" in line for line in result.output.splitlines()), (
        result.output
    )


def test_a_new_package_of_a_province_with_an_underscore_gets_a_hyphenated_slug(
    tmp_path: Path,
) -> None:
    made = CliRunner().invoke(
        main, ["rules", "new", "ba_ria", "--title", "Tỉnh Bà Rịa", "--dir", str(tmp_path)]
    )
    assert made.exit_code == 0, made.output
    tenant = (tmp_path / "ba_ria" / "tenant.toml").read_text(encoding="utf-8")
    assert 'slug = "ba-ria"' in tenant
    assert 'username = "admin.ba-ria"' in tenant


def test_an_unknown_key_inside_an_expectation_is_named_at_its_line(package: Path) -> None:
    line = _edit(package / "cases" / "first.yaml", "reasons: []}", "reason: []}")
    result = CliRunner().invoke(main, ["rules", "test", str(package)])
    assert result.exit_code == 1
    assert f"first.yaml:{line}: unknown key 'reason'" in result.output, result.output


@pytest.mark.parametrize(
    ("file", "old", "new", "said"),
    [
        (
            "manifest.toml",
            "date = 2026-01-01",
            "date = 2026-01-01\nvalid_to = 2025-12-31",
            "manifest.toml:7: document 'guidance': is replaced before it is dated",
        ),
        (
            "manifest.toml",
            'documents = ["guidance"]',
            'documents = ["guidance", "guidanse"]',
            "manifest.toml:15: version '2026.1': names document 'guidanse' that does not exist"
            " (known: dieu-le, guidance, hd01, hd01-2016, hd06tw, qd126, qd232, qd24, qd294,"
            " qd58); did you mean 'guidance'?",
        ),
        (
            "manifest.toml",
            '# [[parameter]]\n# name = "certificate_validity_months"\n# override = true\n',
            '[[parameter]]\nname = "certificate_validity_months"\n'
            '[[parameter.value]]\nvalue = 60\nvalid_from = 2021-07-30\nconfidence = "M"\n'
            'reference = "Hướng dẫn 06-HD/TW mục 5.4"\n',
            "manifest.toml:23: parameter 'certificate_validity_months': exists in the baseline:"
            " set override = true",
        ),
        (
            "structure.toml",
            'kind = "province_committee"\ntop = true',
            'kind = "province_committee"',
            "structure.toml:41: placement of 'province_committee': names no parent kind and is not"
            " at the top",
        ),
        (
            "structure.toml",
            'kind = "grassroots_cell"\npath = ["grassroots_cell", "organisation_board",'
            ' "province_committee"]\nclause = "guidance.lists"',
            'kind = "grassroots_cell"\npath = ["grassroots_cell", "organisation_board",'
            ' "province_committee"]\nclause = "hd01-2016.over60"',
            "structure.toml:64: chain 'cell': cites clause 'hd01-2016.over60' (document"
            " 'hd01-2016'), which is not in force from 2026-01-01 to open (version '2026.1')",
        ),
    ],
)
def test_each_manifest_and_structure_mistake_is_named_at_its_item(
    package: Path, file: str, old: str, new: str, said: str
) -> None:
    _edit(package / file, old, new)
    assert said in _refused(package)


def test_a_calendar_exception_cites_only_a_clause_in_force_in_its_year(package: Path) -> None:
    exception = "\n[[calendar.exception]]\nyear = 2026\nfirst_review_quarter = 2\nclause = "
    quarters = "supplement_quarters = [1, 2, 3]"
    line = _edit(package / "calendar.toml", quarters, quarters + exception + '"guidance.lists"')
    assert load_package(package).id == "thaibinh"
    clear_cache()  # the registry keeps a loaded folder
    _edit(package / "calendar.toml", '"guidance.lists"', '"hd01-2016.over60"')
    assert _refused(package) == [
        f"calendar.toml:{line + 1}: calendar exception 2026: cites clause 'hd01-2016.over60'"
        " (document 'hd01-2016'), which is not in force from 2026-01-01 to 2027-01-01"
        " (version '2026.1')"
    ]
