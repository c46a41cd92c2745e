"""A Prompt Lab task: what the model should do, shown by examples (input -> expected output).

Examples are split once, when the task is made, into a pool the search may use (for demos and
validation) and a held-out test set that only the final comparison reads. The split is
stratified by label, so a rare label is represented on both sides.
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from engine.errors import PromptLabError
from engine.text import Text

MAX_LABELS = 12  # more distinct outputs than this reads as free text, not a label set
MAX_LABEL_CHARS = 40
DEFAULT_TEST_FRACTION = 0.25


class TaskKind(StrEnum):
    CLASSIFICATION = "classification"
    FREE_TEXT = "free_text"


class Metric(StrEnum):
    """How one answer is scored against the expected output (0..1)."""

    ACCURACY = "accuracy"  # classification: the likeliest label is the expected one
    EXACT = "exact_match"
    CONTAINS = "contains"
    REGEX = "regex"
    JSON = "valid_json"
    JSON_FIELDS = "json_fields"  # extraction: the share of the expected JSON's fields matched
    ROUGE_L = "rouge_l"
    CHRF = "chrf"


class Split(StrEnum):
    POOL = "pool"  # the search may show it as a demo or score on it
    TEST = "test"  # held out: read once, by the final comparison


@dataclass(frozen=True)
class Example:
    id: int
    input: str
    output: str
    split: Split = Split.POOL


@dataclass(frozen=True)
class Task:
    id: str
    name: str
    kind: TaskKind
    examples: tuple[Example, ...]
    labels: tuple[str, ...] = ()  # classification only, in the order they are shown
    instruction: str = ""  # the person's own instruction, if any
    metric: Metric = Metric.ACCURACY
    pattern: str = ""  # the regular expression an answer must match (Metric.REGEX)

    @property
    def pool(self) -> tuple[Example, ...]:
        return tuple(example for example in self.examples if example.split is Split.POOL)

    @property
    def test(self) -> tuple[Example, ...]:
        return tuple(example for example in self.examples if example.split is Split.TEST)


def infer_labels(outputs: Sequence[str]) -> tuple[str, ...]:
    """The label set when the outputs come from a small set, else () for free text.

    A set is small when it has at most MAX_LABELS short values and most labels repeat: with
    fewer than two examples per distinct output on average, the outputs are free text.
    """
    distinct = list(dict.fromkeys(outputs))
    if not 2 <= len(distinct) <= MAX_LABELS or len(distinct) * 2 > len(outputs):
        return ()
    if any(not label.strip() or len(label) > MAX_LABEL_CHARS or "\n" in label
           for label in distinct):
        return ()
    return tuple(distinct)


def make_task(
    name: str,
    pairs: Sequence[tuple[str, str]],
    *,
    kind: TaskKind | None = None,
    labels: Sequence[str] | None = None,
    instruction: str = "",
    metric: Metric | None = None,
    pattern: str = "",
    test_fraction: float = DEFAULT_TEST_FRACTION,
    seed: int = 0,
    task_id: str | None = None,
) -> Task:
    """A new task from (input, output) pairs, split into pool and test; raises PromptLabError.

    Kind and labels are inferred from the outputs unless given; given labels must cover
    every output.
    """
    if not name.strip():
        raise PromptLabError(Text("A task needs a name."))
    if len(pairs) < 2:
        raise PromptLabError(Text("A task needs at least two examples."))
    outputs = [output for _, output in pairs]
    chosen = tuple(dict.fromkeys(labels)) if labels else infer_labels(outputs)
    kind = kind or (TaskKind.CLASSIFICATION if chosen else TaskKind.FREE_TEXT)
    if kind is TaskKind.CLASSIFICATION:
        if len(chosen) < 2:
            raise PromptLabError(Text("A classification task needs at least two labels."))
        for number, output in enumerate(outputs, start=1):
            if output not in chosen:
                raise PromptLabError(
                    Text("Example {number}: output {output!r} is not one of the labels ({names}).",
                         number=number, output=output, names=', '.join(chosen))
                )
        metric = Metric.ACCURACY
    else:
        chosen = ()
        if metric in (None, Metric.ACCURACY):
            metric = Metric.JSON_FIELDS if all(map(_is_json_object, outputs)) else Metric.CHRF
    if metric is Metric.REGEX:
        _check_pattern(pattern)
    examples = [Example(index, text, output) for index, (text, output) in enumerate(pairs)]
    task = Task(
        id=task_id or uuid.uuid4().hex[:12], name=name.strip(), kind=kind, examples=tuple(examples),
        labels=chosen, instruction=instruction.strip(), metric=metric, pattern=pattern,
    )
    return with_split(task, test_fraction, seed)


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def with_split(task: Task, test_fraction: float, seed: int) -> Task:
    """The task with every example assigned to pool or test, stratified by label."""
    if not 0.0 <= test_fraction < 1.0:
        raise PromptLabError(Text("The test fraction must be at least 0 and below 1."))
    rng = random.Random(seed)
    test_ids = {
        example.id for group in _groups(task) for example in _take_test(group, test_fraction, rng)
    }
    examples = tuple(
        replace(example, split=Split.TEST if example.id in test_ids else Split.POOL)
        for example in task.examples
    )
    return replace(task, examples=examples)


def stratified_sample(
    examples: Sequence[Example], count: int, rng: random.Random, labels: Sequence[str] = ()
) -> list[Example]:
    """`count` examples with each label in proportion (largest remainders), in random order."""
    if count >= len(examples):
        chosen = list(examples)
    elif not labels:
        chosen = rng.sample(list(examples), count)
    else:
        groups = [[e for e in examples if e.output == label] for label in labels]
        shares = [count * len(group) / len(examples) for group in groups]
        sizes = [int(share) for share in shares]
        by_remainder = sorted(range(len(groups)), key=lambda i: sizes[i] - shares[i])
        for index in by_remainder[: count - sum(sizes)]:
            sizes[index] += 1
        chosen = [e for group, size in zip(groups, sizes, strict=True)
                  for e in rng.sample(group, min(size, len(group)))]
    rng.shuffle(chosen)
    return chosen


def _check_pattern(pattern: str) -> None:
    if not pattern:
        raise PromptLabError(Text("The regular-expression metric needs a pattern."))
    try:
        re.compile(pattern)
    except re.error as error:
        raise PromptLabError(Text("The pattern is not a valid regular expression: {error}.",
                                  error=error)) from None


def _groups(task: Task) -> Iterable[list[Example]]:
    if task.kind is TaskKind.FREE_TEXT:
        return [list(task.examples)]
    return [[e for e in task.examples if e.output == label] for label in task.labels]


def _take_test(group: list[Example], fraction: float, rng: random.Random) -> list[Example]:
    """Test examples from one label's group; a group of two or more keeps one on each side."""
    count = round(len(group) * fraction)
    if fraction > 0 and len(group) >= 2:
        count = min(max(count, 1), len(group) - 1)
    return rng.sample(group, count) if count else []


def task_to_dict(task: Task) -> dict[str, Any]:
    return dataclasses.asdict(task)


def task_from_dict(data: Mapping[str, Any]) -> Task:
    """Reads a saved task; raises PromptLabError on a malformed one."""
    try:
        return Task(
            id=str(data["id"]),
            name=str(data["name"]),
            kind=TaskKind(data["kind"]),
            examples=tuple(
                Example(int(e["id"]), str(e["input"]), str(e["output"]), Split(e["split"]))
                for e in data["examples"]
            ),
            labels=tuple(str(label) for label in data["labels"]),
            instruction=str(data["instruction"]),
            metric=Metric(data["metric"]),
            pattern=str(data["pattern"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise PromptLabError(Text("This task file is damaged ({error}).", error=error)) from None
