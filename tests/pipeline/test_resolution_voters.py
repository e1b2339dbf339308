"""A resolution's refusal names who voted it: a cell's full members, a committee's
executive committee members (never "đảng viên" for a commune committee's vote)."""

from __future__ import annotations

import datetime as dt

import pytest

from nguon.errors import InvalidInput
from nguon.pipeline.resolutions import check_thresholds, voters_of
from nguon.pipeline.schemas import ResolutionIn
from nguon.rules.registry import load_package

FEW_PRESENT = ResolutionIn(
    number="05-NQ/ĐU",
    adopted_on=dt.date(2026, 11, 20),
    members_total=15,
    members_present=6,
    members_agreeing=6,
)


@pytest.mark.parametrize(
    ("kind", "expected", "never"),
    [
        ("subordinate_cell", "Không đủ số đảng viên dự họp", "ủy viên"),
        ("grassroots_cell", "Không đủ số đảng viên dự họp", "ủy viên"),
        ("grassroots_committee", "Không đủ số ủy viên dự họp", "đảng viên"),
        ("district_committee", "Không đủ số ủy viên dự họp", "đảng viên"),
    ],
)
def test_a_refused_resolution_names_the_body_that_voted(
    kind: str, expected: str, never: str
) -> None:
    package = load_package("hungyen")
    with pytest.raises(InvalidInput) as refused:
        check_thresholds(package, FEW_PRESENT, voters_of(package, kind))
    assert refused.value.field == "resolution.members_present"
    assert expected in str(refused.value)
    assert never not in str(refused.value).split(" / ")[0]
