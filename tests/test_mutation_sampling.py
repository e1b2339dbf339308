"""bench/mutation.py's sampled runs: which mutants a sample takes, and what its score says."""

from __future__ import annotations

from collections import Counter

import pytest

from bench.mutation import Count, Mutant, batches, sample, tally, wilson

NAMES = [f"nguon.rules.service.x_evaluate__mutmut_{i}" for i in range(1, 501)]


def test_a_sample_is_the_same_for_the_same_seed_and_differs_for_another() -> None:
    first = sample(NAMES, 50, seed=17)
    assert first == sample(list(reversed(NAMES)), 50, seed=17)
    assert len(first) == 50 and set(first) <= set(NAMES) and first == sorted(first)
    assert sample(NAMES, 50, seed=18) != first


def test_a_group_smaller_than_the_sample_runs_whole() -> None:
    assert sample(NAMES[:30], 50) == sorted(NAMES[:30])
    assert sample(NAMES[:30] * 2, 50) == sorted(NAMES[:30])
    assert sample(NAMES, 0) == []


def test_removing_a_mutant_changes_the_sample_by_one_at_most() -> None:
    before = set(sample(NAMES, 50))
    removed = sorted(before)[0]
    after = set(sample([n for n in NAMES if n != removed], 50))
    assert len(after) == 50
    assert len(before - after) == 1 and len(after - before) == 1
    outside = next(n for n in NAMES if n not in before)
    assert set(sample([n for n in NAMES if n != outside], 50)) == before


def test_every_mutant_is_as_likely_to_be_chosen() -> None:
    chosen: Counter[str] = Counter()
    for seed in range(400):
        chosen.update(sample(NAMES[:40], 10, seed=seed))
    # 400 draws of 10 of 40: each name 100 times expected; a binomial's 4.5 sigma is ±39.
    assert set(chosen) == set(NAMES[:40])
    assert all(60 <= n <= 140 for n in chosen.values()), chosen.most_common(3)


@pytest.mark.parametrize(
    ("killed", "scored", "low", "high"),
    [
        (81, 100, 72.2, 87.5),  # the textbook example: 0.81 ± ~0.08, skewed towards 0.5
        (100, 100, 96.3, 100.0),  # all killed: the interval still admits a few survivors
        (0, 10, 0.0, 27.8),
        (45, 50, 78.6, 95.7),
    ],
)
def test_the_wilson_interval_of_a_sampled_score(
    killed: int, scored: int, low: float, high: float
) -> None:
    got = wilson(killed, scored)
    assert got == pytest.approx((low, high), abs=0.05)
    assert got[0] <= 100.0 * killed / scored <= got[1]


def test_a_sample_with_nothing_scored_says_nothing() -> None:
    assert wilson(0, 0) == (0.0, 100.0)
    assert Count({"not checked": 5}).interval == (0.0, 100.0)


def test_the_score_of_a_sample_leaves_out_what_was_not_run() -> None:
    mutants = [
        Mutant("a__mutmut_1", "nguon/rules/road.py", "killed"),
        Mutant("a__mutmut_2", "nguon/rules/road.py", "survived"),
        Mutant("b__mutmut_1", "nguon/rules/cli.py", "killed"),
        Mutant("b__mutmut_2", "nguon/rules/cli.py", "no tests"),
        Mutant("b__mutmut_3", "nguon/rules/cli.py", "timeout"),
        Mutant("b__mutmut_4", "nguon/rules/cli.py", "not checked"),
        Mutant("b__mutmut_5", "nguon/rules/cli.py", "suspicious"),
    ]
    total, by_module = tally(mutants)
    assert (total.killed, total.survived, total.other, total.scored) == (2, 1, 2, 5)
    assert total.percent == 40.0
    assert list(by_module) == ["nguon/rules/cli.py", "nguon/rules/road.py"]
    assert by_module["nguon/rules/road.py"].percent == 50.0
    assert by_module["nguon/rules/cli.py"].scored == 3


def test_names_are_given_to_mutmut_in_batches_a_command_line_holds() -> None:
    runs = batches(NAMES, length=1000)
    assert [n for run in runs for n in run] == NAMES
    assert all(sum(len(n) + 1 for n in run) <= 1000 for run in runs)
    assert batches(["x" * 2000], length=1000) == [["x" * 2000]]
    assert batches([]) == []
