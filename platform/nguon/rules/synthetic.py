"""Synthetic candidates for benchmarks, soak runs and ``nguon rules diff`` (random,
reproducible; optionally some malformed)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from nguon.rules.facts import EDUCATION_LEVELS, POLITICAL_STANDARDS, STAGES, CandidateFacts


def candidate(rng: random.Random, n: int, on: date, malformed: float = 0.0) -> CandidateFacts:
    certificate = on - timedelta(days=rng.randint(0, 2400)) if rng.random() < 0.4 else None
    facts = CandidateFacts(
        person_ref=f"p{n}",
        date_of_birth=on - timedelta(days=rng.randint(15 * 365, 66 * 365)),
        sex=rng.choice(("male", "female")),
        education=rng.choice(EDUCATION_LEVELS),
        hardship_area=rng.random() < 0.2,
        political_standard=rng.choice(POLITICAL_STANDARDS),
        is_party_member=rng.random() < 0.05,
        youth_union_member=rng.random() < 0.5,
        provincial_consent_over_60=rng.random() < 0.3,
        certificate_date=certificate,
        stage=rng.choice(STAGES),
        helper_assigned=rng.random() < 0.5,
        introducers=rng.randint(0, 3),
    )
    if rng.random() < malformed:
        broken = rng.choice(("education", "stage", "date_of_birth", "introducers"))
        values = {
            "education": "phd?",
            "stage": "unknown",
            "introducers": -1,
            "date_of_birth": on + timedelta(days=3),
        }
        facts = CandidateFacts(
            **{**{f: getattr(facts, f) for f in facts.__struct_fields__}, broken: values[broken]}
        )
    return facts


def synthetic_candidates(
    count: int, on: date, seed: int = 7, malformed: float = 0.0
) -> list[CandidateFacts]:
    rng = random.Random(seed)
    return [candidate(rng, n, on, malformed) for n in range(count)]
