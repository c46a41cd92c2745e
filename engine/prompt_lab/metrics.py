"""Scores of one free-text answer against the expected output, each from 0 to 1."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence

from engine.prompt_lab.tasks import Metric

_PUNCTUATION = " .,:;!?\"'()[]{}*_`"
CHRF_ORDER = 6
CHRF_BETA = 2.0


def normalise(text: str) -> str:
    """Case, surrounding space and runs of whitespace do not count."""
    return " ".join(text.split()).casefold()


def exact_match(answer: str, expected: str) -> float:
    return float(normalise(answer) == normalise(expected))


def contains(answer: str, expected: str) -> float:
    return float(normalise(expected) in normalise(answer))


def matches(answer: str, pattern: str) -> float:
    """1 when the whole answer (without surrounding space) matches the regular expression."""
    try:
        return float(re.fullmatch(pattern, answer.strip(), flags=re.DOTALL) is not None)
    except re.error:
        return 0.0


def valid_json(answer: str) -> float:
    try:
        json.loads(answer.strip())
    except ValueError:
        return 0.0
    return 1.0


def json_fields(answer: str, expected: str) -> float:
    """The share of the expected JSON's fields (leaves, by their path) that the answer has with
    the same value; text compared as `normalise` does, 2 and 2.0 alike. 0 for an answer that is
    not JSON."""
    try:
        got, wanted = json.loads(answer.strip()), json.loads(expected)
    except ValueError:
        return 0.0
    leaves = dict(_leaves(wanted))
    if not leaves:
        return float(got == wanted)
    found = dict(_leaves(got))
    return sum(_same(found.get(path, _MISSING), value)
               for path, value in leaves.items()) / len(leaves)


_MISSING = object()


def _leaves(value: object, path: tuple[object, ...] = ()) -> Iterator[tuple[tuple[object, ...],
                                                                          object]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def _same(got: object, wanted: object) -> bool:
    if isinstance(wanted, str) and isinstance(got, str):
        return normalise(got) == normalise(wanted)
    if isinstance(wanted, bool) or isinstance(got, bool):
        return got is wanted
    return got == wanted


def rouge_l(answer: str, expected: str) -> float:
    """ROUGE-L F1: the longest common subsequence of words, as precision and recall."""
    candidate, reference = normalise(answer).split(), normalise(expected).split()
    if not candidate or not reference:
        return float(candidate == reference)
    previous = [0] * (len(reference) + 1)
    for word in candidate:
        current = [0]
        for index, other in enumerate(reference):
            current.append(previous[index] + 1 if word == other
                           else max(previous[index + 1], current[index]))
        previous = current
    common = previous[-1]
    if common == 0:
        return 0.0
    precision, recall = common / len(candidate), common / len(reference)
    return 2 * precision * recall / (precision + recall)


def chrf(answer: str, expected: str) -> float:
    """chrF (Popović 2015): character n-gram F-score, n = 1..6, recall weighted (beta 2)."""
    candidate, reference = "".join(answer.split()), "".join(expected.split())
    if not candidate or not reference:
        return float(candidate == reference)
    precisions, recalls = [], []
    for n in range(1, CHRF_ORDER + 1):
        found, wanted = _ngrams(candidate, n), _ngrams(reference, n)
        if not found or not wanted:
            continue
        overlap = sum((found & wanted).values())
        precisions.append(overlap / sum(found.values()))
        recalls.append(overlap / sum(wanted.values()))
    if not precisions:
        return 0.0
    precision, recall = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
    if precision + recall == 0:
        return 0.0
    beta2 = CHRF_BETA * CHRF_BETA
    return (1 + beta2) * precision * recall / (beta2 * precision + recall)


def scorer_for(metric: Metric, pattern: str = "") -> Callable[[str, str], float]:
    """The function that scores (answer, expected) for a free-text metric."""
    if metric is Metric.REGEX:
        return lambda answer, _expected: matches(answer, pattern)
    if metric is Metric.JSON:
        return lambda answer, _expected: valid_json(answer)
    table: dict[Metric, Callable[[str, str], float]] = {
        Metric.JSON_FIELDS: json_fields,
        Metric.ACCURACY: exact_match,
        Metric.EXACT: exact_match,
        Metric.CONTAINS: contains,
        Metric.ROUGE_L: rouge_l,
        Metric.CHRF: chrf,
    }
    return table[metric]


def _ngrams(text: str, n: int) -> Counter[str]:
    return Counter(text[index : index + n] for index in range(len(text) - n + 1))


def match_label(answer: str, words: Sequence[str]) -> int | None:
    """Which label word a generated answer gives: the whole answer ("Positive."), or the only
    label word in it ("negative, because ..."); None when it names none, or several."""
    text = normalise(answer).strip(_PUNCTUATION)
    names = [normalise(word).strip(_PUNCTUATION) for word in words]
    if text in names:
        return names.index(text)
    found = [i for i, name in enumerate(names)
             if name and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text)]
    return found[0] if len(found) == 1 else None
