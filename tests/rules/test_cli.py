from pathlib import Path

from click.testing import CliRunner, Result

from nguon.cli import main

FIXTURES = Path(__file__).parent / "fixtures"


def explain(*facts: str, on: str) -> Result:
    """`nguon rules explain hungyen --set FACT… --date ON`."""
    sets = [part for fact in facts for part in ("--set", fact)]
    return CliRunner().invoke(main, ["rules", "explain", "hungyen", *sets, "--date", on])


def test_rules_test_passes_for_registered_packages():
    result = CliRunner().invoke(main, ["rules", "test"])
    assert result.exit_code == 0, result.output
    assert "hungyen: package loads; " in result.output


def test_rules_test_fails_naming_file_and_case(tmp_path, monkeypatch):
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    assert (
        runner.invoke(
            main, ["rules", "new", "draft", "--dir", "d", "--title", "Tỉnh Nháp"]
        ).exit_code
        == 0
    )
    case = Path("d/draft/cases/first.yaml")
    case.write_text(
        case.read_text("utf-8").replace("outcome: eligible", "outcome: not_eligible"), "utf-8"
    )
    result = runner.invoke(main, ["rules", "test", "d/draft"])
    assert result.exit_code == 1
    assert "first.yaml:3: case 'Quần chúng đủ điều kiện khảo sát'" in result.output


def test_rules_test_refuses_broken_package():
    result = CliRunner().invoke(main, ["rules", "test", str(FIXTURES / "gap")])
    assert result.exit_code == 1
    assert "manifest.toml:16: version 'b': leaves a gap" in result.output


def test_explain_shows_fired_rule_and_clause():
    result = explain("date_of_birth=2007-05-15", "political_standard=passed", on="2025-05-14")
    assert result.exit_code == 0, result.output
    assert "[FIRED] age_below_minimum" in result.output
    assert "đủ 18 tuổi đến đủ 60 tuổi" in result.output
    assert "course_nominee_list: not_eligible" in result.output
    assert "survey_list: eligible" in result.output  # 18 by the end of the year it serves


def test_explain_reads_each_operator_as_its_sign() -> None:
    from nguon.rules.conditions import Group, Leaf, describe

    signs = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥", "in": "in"}
    signs["not_in"] = "not in"
    for op, sign in signs.items():
        assert describe(Leaf("education", op, "upper_secondary")) == (
            f"education {sign} upper_secondary"
        )
    either = Group("any", (Leaf("sex", "not_in", ["male"]), Leaf("age_months", "lt", 216)))
    assert describe(either) == "(sex not in ['male'] OR age_months < 216)"
    assert describe(Leaf("age_months", "lt", "$min_age_months"), {"min_age_months": 216}) == (
        "age_months < $min_age_months (216)"
    )


def test_explain_gives_an_inferred_rules_own_note() -> None:
    result = explain("date_of_birth=2007-05-15", on="2025-05-14")
    assert result.exit_code == 0, result.output
    assert (
        "INFERENCE (confidence L): Tuổi được tính 'tại thời điểm chi bộ xét kết nạp', không phải"
        " ngày lập danh sách khảo sát." in result.output
    )
