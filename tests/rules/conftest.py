"""Fixtures of the rules tests."""

from __future__ import annotations

from datetime import date

import pytest

from nguon.rules.facts import CandidateFacts, UnitFacts


@pytest.fixture
def cell() -> UnitFacts:
    return UnitFacts(kind="grassroots_cell", bloc="commune")


@pytest.fixture
def good_candidate() -> CandidateFacts:
    return CandidateFacts(
        person_ref="good", date_of_birth=date(1995, 3, 10), political_standard="passed"
    )
