"""Dates typed by people in ``nguon rules``: ISO or dd/mm/yyyy; anything else is one line
naming the option and the value, exit code 2, no traceback (rule-author trial)."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from nguon import clock
from nguon.cli import main


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["rules", "explain", "hungyen", "--date", "2026-02-30"], "--date '2026-02-30'"),
        (["rules", "explain", "hungyen", "--date", "tomorrow"], "--date 'tomorrow'"),
        (
            ["rules", "explain", "hungyen", "--set", "date_of_birth=1995-13-01"],
            "--set date_of_birth= '1995-13-01'",
        ),
        (["rules", "whatif", "no-such", "hungyen", "--on", "2027-1-1"], "--on '2027-1-1'"),
        (
            ["rules", "publish", "no-such", "hungyen@2027.1", "--effective", "13/13/2027"],
            "--effective '13/13/2027'",
        ),
    ],
)
def test_a_bad_date_is_one_line_naming_the_option(
    args: list[str], named: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A database named (never opened): the date is refused before anything connects.
    monkeypatch.setenv("NGUON_DATABASE_URL", "sqlite:////nonexistent/nguon.sqlite")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], result.output


@pytest.mark.parametrize("typed", ["1995-02-01", "01/02/1995", "1/2/1995"])
def test_iso_and_vietnamese_dates_are_read(typed: str) -> None:
    result = CliRunner().invoke(
        main,
        ["rules", "explain", "hungyen", "--set", f"date_of_birth={typed}", "--date", "1/1/2027"],
    )
    assert result.exit_code in (0, 1), result.output  # 1: the facts are incomplete, not a crash
    assert "hungyen version" in result.output and "on 2027-01-01" in result.output


def test_today_is_the_day_in_vietnam(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "utc_now", lambda: dt.datetime(2026, 12, 31, 18, 0, tzinfo=dt.UTC))
    assert clock.today_in_vietnam() == dt.date(2027, 1, 1)


def test_the_portals_today_is_the_day_in_vietnam(monkeypatch: pytest.MonkeyPatch) -> None:
    from nguon.portal import members

    monkeypatch.setattr(clock, "utc_now", lambda: dt.datetime(2026, 12, 31, 18, 0, tzinfo=dt.UTC))
    assert members._today_text() == "01/01/2027"
    errors: dict[str, str] = {}
    # 01/01/2027 is today in Hưng Yên, not a day in the future.
    assert members.day_field({"d": "01/01/2027"}, "d", errors, "ngày") == dt.date(2027, 1, 1)
    assert errors == {}


def test_a_day_that_does_not_exist_is_called_so_not_a_wrong_form() -> None:
    result = CliRunner().invoke(main, ["rules", "explain", "hungyen", "--date", "2027-02-30"])
    assert result.exit_code == 2
    assert "is a day that does not exist" in result.output and "write YYYY" not in result.output


def test_an_impossible_date_in_a_case_file_is_located_not_a_traceback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from nguon.rules.cases import CaseFileError, load_cases

    cases = tmp_path / "impossible.yaml"
    cases.write_text(
        "cases:\n"
        "  - name: ngày không có\n"
        "    date: 2027-02-30\n"
        "    person: {date_of_birth: 1995-13-10}\n"
        "    expect: {survey_list: eligible}\n",
        encoding="utf-8",
    )
    with pytest.raises(CaseFileError) as refused:
        load_cases(cases)
    assert refused.value.problems == [
        "impossible.yaml:3: 2027-02-30 is not a date that exists (write YYYY-MM-DD, a real day)",
        "impossible.yaml:4: 1995-13-10 is not a date that exists (write YYYY-MM-DD, a real day)",
    ]
