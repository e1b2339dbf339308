from datetime import date

import pytest

from nguon.rules.errors import NoVersionInForce
from nguon.rules.registry import available_packages, load_package


@pytest.fixture(scope="module")
def hungyen():
    return load_package("hungyen")


def test_registered_packages():
    assert {"national", "hungyen"} <= set(available_packages())


def test_unit_kinds_and_blocs_have_vietnamese_labels(hungyen):
    for code in (
        "province_committee",
        "organisation_board",
        "district_committee",
        "police_committee",
        "military_committee",
        "bloc_committee",
        "political_training_centre",
        "grassroots_committee",
        "grassroots_cell",
        "subordinate_cell",
        "commune_committee",
        "party_agencies_committee",
        "people_committee_party_committee",
    ):
        assert hungyen.unit_kinds[code]
    assert set(hungyen.blocs) == {
        "commune",
        "agency",
        "education",
        "health",
        "enterprise",
        "industrial_zone_enterprise",
        "state_agency",
        "police",
        "military",
    }


def test_versions(hungyen):
    assert hungyen.version_on(date(2024, 6, 30)).id == "2024.1"
    assert hungyen.version_on(date(2025, 6, 30)).id == "2024.1"
    assert hungyen.version_on(date(2025, 7, 1)).id == "2025.2"
    with pytest.raises(NoVersionInForce):
        hungyen.version_on(date(2023, 12, 31))


@pytest.mark.parametrize(
    ("kind", "bloc", "on", "expected"),
    [
        (
            "subordinate_cell",
            "police",
            date(2024, 5, 1),
            ["subordinate_cell", "grassroots_committee", "police_committee"],
        ),
        ("grassroots_cell", "commune", date(2024, 5, 1), ["grassroots_cell", "district_committee"]),
        (
            "subordinate_cell",
            "enterprise",
            date(2024, 5, 1),
            ["subordinate_cell", "grassroots_committee", "district_committee"],
        ),
        (
            "subordinate_cell",
            "industrial_zone_enterprise",
            date(2024, 5, 1),
            ["subordinate_cell", "grassroots_committee", "bloc_committee"],
        ),
        (
            "grassroots_cell",
            "military",
            date(2024, 5, 1),
            ["grassroots_cell", "military_committee"],
        ),
        ("grassroots_cell", None, date(2025, 7, 1), ["grassroots_cell", "commune_committee"]),
        (
            "grassroots_cell",
            "agency",
            date(2025, 7, 1),
            ["grassroots_cell", "party_agencies_committee"],
        ),
        (
            "subordinate_cell",
            "industrial_zone_enterprise",
            date(2025, 7, 1),
            ["subordinate_cell", "grassroots_committee", "people_committee_party_committee"],
        ),
        (
            "grassroots_cell",
            "state_agency",
            date(2025, 7, 1),
            ["grassroots_cell", "people_committee_party_committee"],
        ),
    ],
)
def test_reporting_chains(hungyen, kind, bloc, on, expected):
    assert hungyen.reporting_chain(kind, bloc, on) == [
        *expected,
        "organisation_board",
        "province_committee",
    ]


def test_calendar_2024_first_review_in_q2(hungyen):
    assert [p.code for p in hungyen.calendar.periods(2024)] == ["2024-Q2", "2024-Q3", "2024-annual"]
    assert hungyen.calendar.period_for(date(2024, 3, 31)) is None
    q2 = hungyen.calendar.period_for(date(2024, 4, 1))
    assert (q2.code, q2.kind, q2.first_review) == ("2024-Q2", "survey", True)
    q3 = hungyen.calendar.period_for(date(2024, 9, 30))
    assert (q3.code, q3.kind, q3.deadline) == ("2024-Q3", "supplement", date(2024, 9, 30))
    annual = hungyen.calendar.period_for(date(2024, 10, 1))
    assert (annual.code, annual.for_year) == ("2024-annual", 2025)
    assert [p.code for p in hungyen.calendar.periods(2025)] == [
        "2025-Q1",
        "2025-Q2",
        "2025-Q3",
        "2025-annual",
    ]
    assert hungyen.calendar.periods(2023) == []


def test_parameters_and_forms(hungyen):
    assert hungyen.parameter("min_age_months", date(2024, 1, 1)) == 216
    assert hungyen.parameter("certificate_validity_months", date(2025, 7, 1)) == 60
    form = hungyen.form("admission_sources", "subordinate_cell")
    assert [c.code for c in form.columns][-2:] == ["helper", "notes"]
    assert hungyen.form("survey", "district_committee").columns[-2].header == "Chi bộ, đảng bộ"
