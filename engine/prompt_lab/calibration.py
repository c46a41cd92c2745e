"""Calibration of label scores: removing a prompt's bias towards some labels.

A small model often prefers one label word whatever the input. Each mode estimates that bias
as a vector over labels and subtracts it from the label log-probabilities:
- contextual (Zhao et al., 2021): the label distribution for content-free inputs ("N/A", ...);
- validation mean: the mean label distribution over validation examples, so that predictions
  follow the labels' base rates.
Which mode (if any) helps depends on the prompt, so the search tries all of them. Scores are
compared as log-probabilities normalised over the labels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import StrEnum

CONTENT_FREE_INPUTS = ("N/A", "[MASK]", "")


class Calibration(StrEnum):
    NONE = "none"
    CONTEXTUAL = "contextual"
    VALIDATION_MEAN = "validation_mean"


def normalise(scores: Sequence[float]) -> list[float]:
    """Log-probabilities over the labels only (log-softmax of the labels' scores)."""
    top = max(scores)
    total = math.log(sum(math.exp(score - top) for score in scores)) + top
    return [score - total for score in scores]


def log_prior(labels: Sequence[str], outputs: Sequence[str]) -> list[float]:
    """Log base rates of the labels among `outputs` (add-one smoothed)."""
    counts = [sum(1 for output in outputs if output == label) + 1 for label in labels]
    total = sum(counts)
    return [math.log(count / total) for count in counts]


def contextual_bias(content_free: Sequence[Sequence[float]], prior: Sequence[float]) -> list[float]:
    """The bias from label scores of content-free inputs: log of their mean distribution."""
    rows = [normalise(row) for row in content_free]
    mean = [sum(math.exp(row[i]) for row in rows) / len(rows) for i in range(len(prior))]
    return [math.log(max(p, 1e-12)) - base for p, base in zip(mean, prior, strict=True)]


def mean_bias(rows: Sequence[Sequence[float]], prior: Sequence[float]) -> list[float]:
    """The bias from normalised label scores of validation examples: their mean."""
    normalised = [normalise(row) for row in rows]
    return [
        sum(row[i] for row in normalised) / len(normalised) - prior[i] for i in range(len(prior))
    ]


def leave_one_out_biases(
    rows: Sequence[Sequence[float]], prior: Sequence[float]
) -> list[list[float]]:
    """For each example, the mean bias of all the others: scoring an example never uses it."""
    if len(rows) < 2:
        return [[0.0] * len(prior) for _ in rows]
    normalised = [normalise(row) for row in rows]
    totals = [sum(row[i] for row in normalised) for i in range(len(prior))]
    count = len(rows) - 1
    return [
        [(totals[i] - row[i]) / count - prior[i] for i in range(len(prior))] for row in normalised
    ]


def calibrated(scores: Sequence[float], bias: Sequence[float]) -> list[float]:
    """Normalised label log-probabilities after removing `bias`, normalised again."""
    return normalise([s - b for s, b in zip(normalise(scores), bias, strict=True)])
