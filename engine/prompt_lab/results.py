"""What a tuning run found, as plain data that is saved as JSON and read back.

A run keeps everything a person needs to judge it: each candidate's validation scores, the
winner against the zero-shot baseline on the held-out set with intervals and a paired test,
per-example outcomes of both, the best score over the search, and what it was measured on
(model fingerprint, budget, seed, time).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.prompt_lab.calibration import Calibration
from engine.prompt_lab.prompts import Demo, PromptFormat, PromptSpec
from engine.prompt_lab.stats import Interval, PairedComparison
from engine.prompt_lab.tasks import Metric, TaskKind

RESULT_VERSION = 1


@dataclass(frozen=True)
class CandidateRow:
    id: int
    origin: str
    spec: PromptSpec
    demo_ids: tuple[int, ...]
    stage: int  # 1: scored on the first minibatch only; 2: on all validation examples
    n: int  # validation examples scored
    # Validation accuracy, or for free text the metric on greedy answers (0..1); None before
    # a round ends, and for free-text candidates whose answers were not generated.
    score: float | None
    # What candidates are ranked by: the mean log-probability of the right label after
    # calibration (log loss); free text: of the expected output, per token.
    gold_logprob: float
    calibration: Calibration
    bias: tuple[float, ...]  # subtracted from normalised label log-probabilities
    scores_by_calibration: dict[str, float]


@dataclass(frozen=True)
class ExampleOutcome:
    example_id: int
    input: str
    expected: str
    baseline_answer: str
    baseline_score: float  # 0..1
    winner_answer: str
    winner_score: float
    winner_confidence: float | None  # classification: the winner's probability of its label
    winner_label_scores: tuple[float, ...] = ()  # raw label log-probabilities, as classify() gives


@dataclass(frozen=True)
class HeldOut:
    n: int
    baseline_score: float
    baseline_interval: Interval
    winner_score: float
    winner_interval: Interval
    comparison: PairedComparison
    examples: tuple[ExampleOutcome, ...]


@dataclass(frozen=True)
class HistoryPoint:
    seconds: float
    passes: int
    best_score: float


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: str
    fingerprint: str
    fingerprint_method: str
    n_ctx: int


@dataclass(frozen=True)
class TuneResult:
    run_id: str
    task_id: str
    task_name: str
    kind: TaskKind
    metric: Metric
    labels: tuple[str, ...]
    model: ModelInfo
    budget: str
    seed: int
    started_at: str  # ISO 8601, UTC
    seconds: float  # the whole run
    search_seconds: float  # candidates only, before the held-out comparison
    stopped: bool  # Stop was pressed: the winner is the best so far, no held-out comparison
    warnings: tuple[str, ...]
    baseline: CandidateRow
    winner: CandidateRow
    candidates: tuple[CandidateRow, ...]
    held_out: HeldOut | None
    history: tuple[HistoryPoint, ...]
    validation_ids: tuple[int, ...]
    demo_pool_ids: tuple[int, ...]
    decoded_tokens: int
    answer_tokens: int  # free text: the longest greedy answer allowed, in tokens
    version: int = RESULT_VERSION
    # "log-probabilities" (a local model), or "generated answers" (a remote engine, which
    # gives none: candidates judged by the task's metric on what they write)
    scored_by: str = "log-probabilities"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TuneResult:
        """Reads a saved run; raises KeyError, TypeError or ValueError on a malformed one."""
        held = data["held_out"]
        return cls(
            run_id=str(data["run_id"]),
            task_id=str(data["task_id"]),
            task_name=str(data["task_name"]),
            kind=TaskKind(data["kind"]),
            metric=Metric(data["metric"]),
            labels=tuple(data["labels"]),
            model=ModelInfo(**data["model"]),
            budget=str(data["budget"]),
            seed=int(data["seed"]),
            started_at=str(data["started_at"]),
            seconds=float(data["seconds"]),
            search_seconds=float(data["search_seconds"]),
            stopped=bool(data["stopped"]),
            warnings=tuple(data["warnings"]),
            baseline=row_from_dict(data["baseline"]),
            winner=row_from_dict(data["winner"]),
            candidates=tuple(row_from_dict(row) for row in data["candidates"]),
            held_out=None if held is None else _held_out(held),
            history=tuple(HistoryPoint(**point) for point in data["history"]),
            validation_ids=tuple(data["validation_ids"]),
            demo_pool_ids=tuple(data["demo_pool_ids"]),
            decoded_tokens=int(data["decoded_tokens"]),
            answer_tokens=int(data["answer_tokens"]),
            version=int(data.get("version", RESULT_VERSION)),
            scored_by=str(data.get("scored_by", "log-probabilities")),
        )


def spec_from_dict(data: Mapping[str, Any]) -> PromptSpec:
    return PromptSpec(
        format=PromptFormat(data["format"]),
        instruction=str(data["instruction"]),
        demos=tuple(Demo(str(d["input"]), str(d["output"])) for d in data["demos"]),
        label_words=tuple(str(word) for word in data["label_words"]),
        fields=(str(data["fields"][0]), str(data["fields"][1])),
    )


def row_from_dict(data: Mapping[str, Any]) -> CandidateRow:
    return CandidateRow(
        id=int(data["id"]),
        origin=str(data["origin"]),
        spec=spec_from_dict(data["spec"]),
        demo_ids=tuple(int(i) for i in data["demo_ids"]),
        stage=int(data["stage"]),
        n=int(data["n"]),
        score=None if data["score"] is None else float(data["score"]),
        gold_logprob=float(data["gold_logprob"]),
        calibration=Calibration(data["calibration"]),
        bias=tuple(float(b) for b in data["bias"]),
        scores_by_calibration={str(k): float(v) for k, v in data["scores_by_calibration"].items()},
    )


def _held_out(data: Mapping[str, Any]) -> HeldOut:
    comparison = dict(data["comparison"])
    comparison["interval"] = Interval(**comparison["interval"])
    return HeldOut(
        n=int(data["n"]),
        baseline_score=float(data["baseline_score"]),
        baseline_interval=Interval(**data["baseline_interval"]),
        winner_score=float(data["winner_score"]),
        winner_interval=Interval(**data["winner_interval"]),
        comparison=PairedComparison(**comparison),
        examples=tuple(
            ExampleOutcome(**{**e, "winner_label_scores": tuple(e["winner_label_scores"])})
            for e in data["examples"]
        ),
    )
