"""The numbers that say how far to trust a score: intervals and a paired test.

The baseline and the winner are scored on the same held-out examples, so their difference is
tested on pairs (McNemar for right/wrong scores, a paired bootstrap for graded ones), which is
sharper than comparing two separate intervals.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

Z95 = 1.959963984540054
BOOTSTRAP_RESAMPLES = 2000


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True)
class PairedComparison:
    difference: float  # winner minus baseline, mean per example
    interval: Interval  # 95% paired-bootstrap interval of the difference
    p_value: float  # McNemar's exact test for right/wrong scores, else the bootstrap's
    test: str  # "mcnemar" or "paired bootstrap"
    winner_only: int  # examples the winner gets right and the baseline wrong
    baseline_only: int


def wilson(successes: float, n: int) -> Interval:
    """Wilson's 95% score interval for a proportion (good at small n and near 0 or 1)."""
    if n == 0:
        return Interval(0.0, 1.0)
    p = successes / n
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def bootstrap_mean(scores: Sequence[float], seed: int) -> Interval:
    """A 95% percentile-bootstrap interval of the mean of graded (0..1) scores."""
    if not scores:
        return Interval(0.0, 1.0)
    rng = random.Random(seed)
    n = len(scores)
    means = sorted(
        sum(scores[rng.randrange(n)] for _ in range(n)) / n for _ in range(BOOTSTRAP_RESAMPLES)
    )
    return _percentiles(means)


def mcnemar_p(winner_only: int, baseline_only: int) -> float:
    """Two-sided exact McNemar p-value: the discordant pairs against a fair coin."""
    n = winner_only + baseline_only
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(winner_only, baseline_only) + 1))
    return min(1.0, 2 * tail / (1 << n))


def compare_paired(
    winner: Sequence[float], baseline: Sequence[float], seed: int
) -> PairedComparison:
    """The winner against the baseline on the same examples (scores 0..1 per example)."""
    if len(winner) != len(baseline):
        raise ValueError("paired scores need the same examples")
    n = len(winner)
    differences = [w - b for w, b in zip(winner, baseline, strict=True)]
    rng = random.Random(seed)
    resampled = sorted(
        sum(differences[rng.randrange(n)] for _ in range(n)) / n
        for _ in range(BOOTSTRAP_RESAMPLES)
    ) if n else [0.0]
    interval = _percentiles(resampled)
    winner_only = sum(1 for w, b in zip(winner, baseline, strict=True) if w > b)
    baseline_only = sum(1 for w, b in zip(winner, baseline, strict=True) if w < b)
    binary = all(score in (0.0, 1.0) for score in (*winner, *baseline))
    if binary:
        p_value, test = mcnemar_p(winner_only, baseline_only), "mcnemar"
    else:
        # Two-sided: how often the resampled mean difference falls on the other side of 0.
        below = sum(1 for value in resampled if value <= 0) / len(resampled)
        above = sum(1 for value in resampled if value >= 0) / len(resampled)
        p_value, test = min(1.0, 2 * min(below, above)), "paired bootstrap"
    return PairedComparison(
        difference=sum(differences) / n if n else 0.0,
        interval=interval,
        p_value=p_value,
        test=test,
        winner_only=winner_only,
        baseline_only=baseline_only,
    )


def _percentiles(sorted_values: Sequence[float]) -> Interval:
    last = len(sorted_values) - 1
    return Interval(sorted_values[round(0.025 * last)], sorted_values[round(0.975 * last)])
