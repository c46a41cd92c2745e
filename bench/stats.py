"""Statistics for the benchmark's speed gates: a median with its percentile-bootstrap interval.

A gate compares interleaved runs of two sides as paired ratios (one ratio per alternation) and
passes on their median; the interval says how far that median could move on another day of
the same machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

RESAMPLES = 10_000


@dataclass(frozen=True)
class MedianInterval:
    median: float
    low: float  # the 2.5th percentile of the bootstrap medians
    high: float  # the 97.5th
    samples: int

    def as_dict(self) -> dict[str, float]:
        return {"median": round(self.median, 4), "ci95_low": round(self.low, 4),
                "ci95_high": round(self.high, 4), "samples": self.samples}


def bootstrap_median(values: Sequence[float], seed: int = 0, resamples: int = RESAMPLES,
                     level: float = 0.95) -> MedianInterval:
    """The median of `values` and its percentile-bootstrap interval (resampling the values,
    each one a pair's ratio, with replacement)."""
    if not values:
        raise ValueError("no values to bootstrap")
    data = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(data), size=(resamples, len(data)))
    medians = np.median(data[picks], axis=1)
    tail = (1.0 - level) / 2 * 100
    low, high = np.percentile(medians, [tail, 100 - tail])
    return MedianInterval(float(np.median(data)), float(low), float(high), len(data))
