"""A package or a case that could mislead is refused, naming the file and the line."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from nguon.cli import main
from nguon.rules.cases import CaseFileError, load_cases
from nguon.rules.errors import PackageLoadError
from nguon.rules.facts import CandidateFacts, UnitFacts
from nguon.rules.registry import load_package
from nguon.rules.service import evaluate_plain

FIXTURES = Path(__file__).parent / "fixtures"
CASE = "case 'Quần chúng đủ điều kiện khảo sát'"

GOOD_CASE = """\
cases:
  - name: Quần chúng đủ điều kiện khảo sát
    date: 2025-05-15
    unit: {kind: grassroots_cell, bloc: commune}
    candidate: {date_of_birth: 1995-03-10, political_standard: passed}
    expect:
      survey_list: {outcome: eligible, reasons: []}
"""


def _refusals(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "cases.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CaseFileError) as refused:
        load_cases(path, load_package("hungyen"))
    return refused.value.problems


def test_a_well_formed_case_loads_with_its_line_and_expectation_count(tmp_path):
    path = tmp_path / "cases.yaml"
    path.write_text(GOOD_CASE, encoding="utf-8")
    (case,) = load_cases(path, load_package("hungyen"))
    assert case.line == 2
    assert case.expectations == 2  # the outcome and the exact (empty) list of reasons


@pytest.mark.parametrize(
    ("original", "broken", "expected"),
    [
        ("    expect:", "    expcet:", "cases.yaml:6: unknown key 'expcet'"),
        (
            "political_standard: passed}",
            "political_standard: passed, helper: true}",
            "cases.yaml:5: unknown key 'helper' in the candidate of case",
        ),
        (
            "    date: 2025-05-15",
            "    on: 2025-05-15",
            "cases.yaml:3: unknown key 'on' (write 'date:'",
        ),
        (
            "bloc: commune}",
            "bloc: hospital}",
            "cases.yaml:4: case 'Quần chúng đủ điều kiện khảo sát': unknown bloc 'hospital'",
        ),
        (
            "      survey_list: {",
            "      survey_lsit: {",
            "cases.yaml:7: case 'Quần chúng đủ điều kiện khảo sát': unknown decision 'survey_lsit'",
        ),
        (
            "outcome: eligible",
            "outcome: elligible",
            f"cases.yaml:7: {CASE}: survey_list: unknown outcome 'elligible'",
        ),
        (
            "reasons: []",
            "reasons: [age_too_low]",
            f"cases.yaml:7: {CASE}: survey_list: unknown reason 'age_too_low'",
        ),
        (
            "kind: grassroots_cell",
            "kind: village_cell",
            f"cases.yaml:4: {CASE}: unknown unit kind 'village_cell'",
        ),
    ],
)
def test_a_misleading_case_is_refused_with_file_and_line(tmp_path, original, broken, expected):
    assert original in GOOD_CASE
    problems = _refusals(tmp_path, GOOD_CASE.replace(original, broken))
    assert any(problem.startswith(expected) for problem in problems), problems


def test_an_empty_expectation_is_refused_with_file_and_line(tmp_path):
    text = GOOD_CASE.split("    expect:")[0] + "    expect: {}\n"
    problems = _refusals(tmp_path, text)
    assert problems == [
        "cases.yaml:6: case 'Quần chúng đủ điều kiện khảo sát': "
        "'expect' is empty: it would check nothing"
    ]
    text = GOOD_CASE.split("    expect:")[0]
    problems = _refusals(tmp_path, text)
    assert problems == [
        "cases.yaml:2: case 'Quần chúng đủ điều kiện khảo sát' checks nothing: "
        "give 'expect', 'period', 'chain', 'deadlines' or 'deadline_status'"
    ]


def test_rules_test_fails_on_a_case_that_checks_nothing_and_counts_expectations(
    tmp_path, monkeypatch
):
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    assert (
        runner.invoke(
            main, ["rules", "new", "draft", "--dir", "d", "--title", "Tỉnh Nháp"]
        ).exit_code
        == 0
    )
    passing = runner.invoke(main, ["rules", "test", "d/draft"])
    assert passing.exit_code == 0, passing.output
    assert "ok   first.yaml:3: Quần chúng đủ điều kiện khảo sát (3 expectations)" in passing.output
    assert "1 of 1 cases pass, 3 expectations checked" in passing.output
    case = Path("d/draft/cases/first.yaml")
    case.write_text(case.read_text("utf-8").replace("    expect:", "    expcet:"), "utf-8")
    failing = runner.invoke(main, ["rules", "test", "d/draft"])
    assert failing.exit_code == 1
    assert "FAIL draft: first.yaml:7: unknown key 'expcet'" in failing.output


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            "out_of_version_citation",
            "rules.toml:2: rule 'r1': cites clause 'g.1' (document 'g'), which is not in "
            "force from 2024-07-01 to open (version 'b')",
        ),
        (
            "out_of_version_citation",
            "rules.toml:10: rule 'r2': cites clause 'g2.1' (document 'g2'), which is not in "
            "force from 2024-01-01 to 2024-07-01 (version 'a')",
        ),
        (
            "unknown_bloc_chain",
            "structure.toml:19: chain 'hospital': names bloc 'hospital' that does not exist "
            "(known: commune)",
        ),
    ],
)
def test_out_of_version_citations_and_unknown_blocs_are_refused(fixture, expected):
    with pytest.raises(PackageLoadError) as refused:
        load_package(FIXTURES / fixture)
    assert expected in refused.value.problems[0:10], refused.value.problems


def test_a_rule_citing_several_texts_needs_none_out_of_force(tmp_path):
    folder = tmp_path / "p"
    shutil.copytree(FIXTURES / "out_of_version_citation", folder)
    rules = (folder / "rules.toml").read_text("utf-8")
    (folder / "rules.toml").write_text(rules[rules.index('[[rule]]\nid = "r3"') :], "utf-8")
    package = load_package(folder)
    rule = next(r for r in package.rules if r.id == "r3")
    assert package.citations_on(rule, date(2024, 3, 1)) == ("g.1",)
    assert package.citations_on(rule, date(2024, 9, 1)) == ("g2.1",)


def test_misspelled_key_in_a_package_file_is_refused_with_line(tmp_path):
    folder = tmp_path / "p"
    shutil.copytree(FIXTURES / "good", folder)
    rules = (folder / "rules.toml").read_text("utf-8")
    (folder / "rules.toml").write_text(rules.replace("outcome =", "versoins = []\noutcome ="))
    with pytest.raises(PackageLoadError) as refused:
        load_package(folder)
    line = (folder / "rules.toml").read_text("utf-8").splitlines().index("versoins = []") + 1
    assert refused.value.problems[0] == (
        f"rules.toml:{line}: rule #1: unknown key `versoins`; did you mean `versions`?"
    )


def test_placement_of_a_kind_outside_its_versions_is_refused(tmp_path):
    folder = tmp_path / "p"
    shutil.copytree(FIXTURES / "good", folder)
    structure = (folder / "structure.toml").read_text("utf-8")
    structure = structure.replace(
        'code = "grassroots_cell"\nlabel = "Chi bộ cơ sở"',
        'code = "grassroots_cell"\nlabel = "Chi bộ cơ sở"\nversions = ["b"]',
    )
    structure += """
[[placement]]
kind = "province_committee"
top = true
[[placement]]
kind = "organisation_board"
parents = ["province_committee"]
[[placement]]
kind = "grassroots_cell"
parents = ["province_committee"]
"""
    (folder / "structure.toml").write_text(structure, "utf-8")
    with pytest.raises(PackageLoadError) as refused:
        load_package(folder)
    assert any(
        p.startswith(
            "structure.toml:23: placement of 'grassroots_cell': names kind "
            "'grassroots_cell', which does not exist in version 'a': let unit_kind "
            "'grassroots_cell' apply in 'a' (`since`, or the versions in its `versions = [...]`)"
        )
        for p in refused.value.problems
    ), refused.value.problems


def test_national_rules_cite_the_text_in_force_on_each_date():
    package = load_package("hungyen")
    kid = CandidateFacts(person_ref="k", date_of_birth=date(2010, 1, 1))
    unit = UnitFacts(kind="grassroots_cell", bloc="commune")
    national = load_package("national")
    age_rule = next(rule for rule in national.rules if rule.id == "age_below_minimum")
    assert national.citations_on(age_rule, date(2021, 8, 15)) == ("qd24.age",)
    assert national.citations_on(age_rule, date(2022, 8, 15)) == ("qd24.age", "hd01.1.1.age")
    cited = {}
    for day in (date(2024, 5, 1), date(2025, 3, 1), date(2025, 8, 1)):
        result = evaluate_plain(package, [kid], unit, day, ["survey_list"])[0]
        reason = next(
            r for r in result.decisions["survey_list"].reasons if r.code == "age_below_minimum"
        )
        cited[day] = reason.clause_id
    assert cited == {
        date(2024, 5, 1): "qd24.age",
        date(2025, 3, 1): "qd232.age",
        date(2025, 8, 1): "qd294.age",
    }
    for rule in package.rules:
        for day in (date(2025, 8, 1), date(2025, 3, 1)):
            for clause_id in package.citations_on(rule, day):
                document = package.clauses[clause_id].document
                assert (
                    document not in {"hd01", "qd24"}
                    or day < date(2025, 1, 20)
                    or (document == "hd01" and day < date(2025, 7, 1))
                ), (rule.id, day, clause_id)


def test_every_inference_is_marked_and_explained():
    package = load_package("hungyen")
    rules = {rule.id: rule for rule in package.rules}
    assert rules["course_already_completed"].inferred
    assert rules["stage_to_admitted_not_in_progress"].inferred
    assert all(rule.inference for rule in package.rules if rule.inferred)
    assert package.inference_note("course_already_completed", "hy06.b2").startswith("Bước 2")
    assert package.inference_note("age_below_minimum", "qd294.age") == ""
    assert package.inference_note("age_above_maximum", "hd06tw.over60")  # the clause is L


def test_explain_shows_parameter_values_with_version_and_source_and_inferences():
    result = CliRunner().invoke(
        main,
        [
            "rules",
            "explain",
            "hungyen",
            "--set",
            "date_of_birth=1995-03-10",
            "--set",
            "political_standard=passed",
            "--set",
            "certificate_date=2023-01-01",
            "--date",
            "2025-08-01",
        ],
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "min_age_months = 216 (national version 2025.2, since 2021-07-30)" in out
    assert "certificate_validity_months = 60 (national version 2025.2, since 2025-07-01)" in out
    assert "source (M): Hướng dẫn 06-HD/TW mục 5.4 (60 tháng)" in out
    assert "when age_months < $min_age_months (216)" in out
    assert "qd294.age — 294-QĐ/TW, Tuổi đời" in out
    assert "hd01." not in out and "qd24." not in out
    assert "INFERENCE (confidence L): Bước 2 lập danh sách" in out
    on_2024 = CliRunner().invoke(
        main,
        [
            "rules",
            "explain",
            "hungyen",
            "--set",
            "date_of_birth=1995-03-10",
            "--date",
            "2024-05-01",
        ],
    )
    assert (
        "certificate_validity_months = 60 "
        "(national version 2021.1, since 2021-07-30 to 2025-06-30 (its last day))" in on_2024.output
    )
    assert "hd01.certificate — 01-HD/TW" in on_2024.output


def test_the_basis_panel_marks_an_inference():
    from nguon.portal.candidates import reason_view

    package = load_package("hungyen")
    inferred = reason_view(package, "hy06.b2", "Đã học.", "course_already_completed")
    assert inferred.inference.startswith("Bước 2 lập danh sách")
    plain = reason_view(package, "qd294.age", "Chưa đủ 18 tuổi.", "age_below_minimum")
    assert plain.inference == ""


def test_explain_refuses_an_unknown_bloc_instead_of_reviewing_invalid_facts():
    result = CliRunner().invoke(
        main,
        [
            "rules",
            "explain",
            "hungyen",
            "--set",
            "date_of_birth=1990-01-01",
            "--set",
            "bloc=hospital",
        ],
    )
    assert result.exit_code != 0
    assert "unknown unit bloc 'hospital' in hungyen" in result.output


def test_every_problem_of_a_case_file_is_reported_in_one_run(tmp_path):
    """Rule-author trial: a misspelled key and an empty expectation were reported one per
    run; both are listed at once, in the same case or in two cases."""
    second = GOOD_CASE.split("cases:\n")[1].replace("khảo sát", "khảo sát (2)")
    text = (
        GOOD_CASE.replace(
            "    date: 2025-05-15", "    date: 2025-05-15\n    dat: 2025-05-16"
        ).split("    expect:")[0]
        + "    expect: {}\n"
        + second.replace("political_standard: passed}", "political_standard: passed, helpr: 1}")
    )
    problems = _refusals(tmp_path, text)
    assert problems[0].startswith("cases.yaml:4: unknown key 'dat'"), problems
    assert problems[1] == f"cases.yaml:7: {CASE}: 'expect' is empty: it would check nothing"
    assert problems[2].startswith("cases.yaml:11: unknown key 'helpr'"), problems
    assert len(problems) == 3, problems
