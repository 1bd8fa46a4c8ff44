"""Intervals cover a known rate ~95 % of the time at our sizes; paired tests are exact and seeded."""

from __future__ import annotations

import numpy as np
import pytest

from regllm_lf.evaluation.intervals import bootstrap_interval, mcnemar, paired_test, sign_flip

REPETITIONS = 1000


def coverage(draw, true_mean: float, n: int, seed: int = 1) -> float:  # noqa: ANN001 - a sampler
    rng = np.random.default_rng(seed)
    hits = 0
    for repetition in range(REPETITIONS):
        low, high = bootstrap_interval(list(draw(rng, n)), seed=repetition)
        hits += low <= true_mean <= high
    return hits / REPETITIONS


@pytest.mark.parametrize(
    ("rate", "n"),
    [(0.5, 30), (0.8, 31), (0.95, 30), (0.9, 15)],  # our set sizes; 0.95 is where a plain bootstrap covers ~77 %
)
def test_binary_rate_coverage(rate: float, n: int) -> None:
    measured = coverage(lambda rng, size: (rng.random(size) < rate).astype(float), rate, n)
    assert 0.93 <= measured <= 0.99, measured


def test_graded_score_coverage() -> None:
    """Per-question scores of 0, 0,5 or 1 (e.g. citation recall over two references); mean 0,85."""
    levels, weights = np.array([1.0, 0.5, 0.0]), [0.75, 0.2, 0.05]
    measured = coverage(lambda rng, size: rng.choice(levels, size=size, p=weights), 0.85, 29)
    assert 0.93 <= measured <= 0.99, measured


def test_interval_is_seeded_and_contains_the_mean() -> None:
    values = [1.0] * 20 + [0.0] * 11
    assert bootstrap_interval(values, seed=7) == bootstrap_interval(values, seed=7)
    low, high = bootstrap_interval(values)
    assert low < 20 / 31 < high
    assert bootstrap_interval([]) is None
    low, high = bootstrap_interval([1.0] * 31)  # all correct is not certainty
    assert high == 1.0 and 0.85 < low < 0.95


def test_mcnemar_is_the_exact_binomial_on_discordant_pairs() -> None:
    # 10 questions gained, 0 lost: p = 2 * 0.5**10
    assert mcnemar([0.0] * 10 + [1.0] * 5, [1.0] * 15) == pytest.approx(2 * 0.5**10)
    assert mcnemar([1.0, 0.0], [0.0, 1.0]) == 1.0
    test = paired_test([0.0] * 10, [1.0] * 10)
    assert test.test == "mcnemar" and test.significant and test.delta == 1.0
    assert not paired_test([0.0] * 5, [1.0] * 5).significant  # p = 0.0625 with five questions


def test_permutation_test_for_graded_scores() -> None:
    # four differences of +0.5: 2 of 16 sign patterns reach |sum| 2 -> p = 0.125
    assert sign_flip([0.5, 0.5, 0.5, 0.5, 0.0]) == pytest.approx(0.125)
    test = paired_test([0.5] * 20, [1.0] * 20)
    assert test.test == "permutation" and test.significant  # Monte Carlo beyond 16 differences
    assert paired_test([0.5] * 20, [1.0] * 20, seed=3).p_value == pytest.approx(test.p_value, abs=1e-3)
    assert paired_test([], []) is None
