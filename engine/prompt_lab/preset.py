"""A tuned prompt saved as a preset a chat can use, exactly as it was scored.

The preset holds the winner's prompt (format, instruction, demos, label words) with its
calibration bias, its scores, and the model it was measured on. `chat_request` and
`prompt_tokens` render it through the same code as the search, so the model reads the same
tokens; `classify` scores the label words the way the search did and returns the label with
its probability.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.chat.engine import ChatEngine
from engine.chat.prompt import ChatMessage
from engine.errors import PromptLabError
from engine.host.local import LocalRuntime
from engine.host.runtime import GenerationRequest
from engine.prompt_lab.calibration import Calibration
from engine.prompt_lab.evaluate import GREEDY, Evaluator, chat_request, predict
from engine.prompt_lab.fingerprint import engine_fingerprint
from engine.prompt_lab.prompts import PromptFormat, PromptRenderer, PromptSpec, chat_messages
from engine.prompt_lab.results import CandidateRow, TuneResult, spec_from_dict
from engine.prompt_lab.scorer import Scorer
from engine.prompt_lab.tasks import Metric, TaskKind
from engine.settings import SamplingSettings
from engine.text import Text

PRESET_VERSION = 1
LABEL_ANSWER_TOKENS = 16  # a classification preset's reply in a chat: a label word


@dataclass(frozen=True)
class LabPreset:
    name: str
    task_name: str
    kind: TaskKind
    metric: Metric
    spec: PromptSpec
    labels: tuple[str, ...]  # the task's labels; spec.label_words are what the model writes
    calibration: Calibration
    bias: tuple[float, ...]  # subtracted from the normalised label log-probabilities
    sampling: SamplingSettings  # greedy, as the search generated its answers
    max_tokens: int
    model_name: str
    model_fingerprint: str
    run_id: str
    test_score: float | None  # held-out score of the winner, with its size
    test_n: int
    validation_score: float | None
    version: int = PRESET_VERSION

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LabPreset:
        """Reads a saved preset; raises PromptLabError on a malformed one."""
        try:
            return cls(
                name=str(data["name"]),
                task_name=str(data["task_name"]),
                kind=TaskKind(data["kind"]),
                metric=Metric(data["metric"]),
                spec=spec_from_dict(data["spec"]),
                labels=tuple(str(label) for label in data["labels"]),
                calibration=Calibration(data["calibration"]),
                bias=tuple(float(b) for b in data["bias"]),
                sampling=SamplingSettings(**data["sampling"]),
                max_tokens=int(data["max_tokens"]),
                model_name=str(data["model_name"]),
                model_fingerprint=str(data["model_fingerprint"]),
                run_id=str(data["run_id"]),
                test_score=None if data["test_score"] is None else float(data["test_score"]),
                test_n=int(data["test_n"]),
                validation_score=(None if data["validation_score"] is None
                                  else float(data["validation_score"])),
                version=int(data.get("version", PRESET_VERSION)),
            )
        except (KeyError, TypeError, ValueError, IndexError) as error:
            raise PromptLabError(Text("This preset is damaged ({error}).", error=error)) from None


@dataclass(frozen=True)
class Classification:
    label: str
    confidence: float  # the label's probability among the labels, after calibration
    scores: tuple[float, ...]  # raw log-probability of each label word, as in the search


def preset_from_result(
    result: TuneResult, name: str, candidate: CandidateRow | None = None
) -> LabPreset:
    """The run's winner (or another of its candidates) as a preset.

    A stopped run's winner is the best candidate so far; only the winner has a held-out score.
    """
    winner = candidate or result.winner
    held = result.held_out if winner.id == result.winner.id else None
    return LabPreset(
        name=name.strip() or result.task_name,
        task_name=result.task_name,
        kind=result.kind,
        metric=result.metric,
        spec=winner.spec,
        labels=result.labels,
        calibration=winner.calibration,
        bias=winner.bias if result.kind is TaskKind.CLASSIFICATION else (),
        sampling=GREEDY,
        max_tokens=result.answer_tokens or LABEL_ANSWER_TOKENS,
        model_name=result.model.name,
        model_fingerprint=result.model.fingerprint,
        run_id=result.run_id,
        test_score=held.winner_score if held else None,
        test_n=held.n if held else 0,
        validation_score=winner.score,
    )


def messages_for(preset: LabPreset, text: str) -> tuple[ChatMessage, ...]:
    """The conversation the model reads for `text`: system prompt, demos, then `text`."""
    _require_chat(preset)
    return chat_messages(preset.spec, text)


def request_for(preset: LabPreset, text: str) -> GenerationRequest:
    """A chat request for `text` with the preset's system prompt, demos and settings."""
    _require_chat(preset)
    return chat_request(preset.spec, text, preset.sampling, preset.max_tokens)


def prompt_tokens(runtime: LocalRuntime, preset: LabPreset, text: str) -> list[int]:
    """The exact tokens the model reads for `text`, in either format."""
    return PromptRenderer(Scorer(runtime)).prompt(preset.spec, text).tokens


def classify(
    runtime: LocalRuntime, preset: LabPreset, text: str, scorer: Scorer | None = None
) -> Classification:
    """The label for `text` and its probability, scored as in the search (no sampling)."""
    if preset.kind is not TaskKind.CLASSIFICATION:
        raise PromptLabError(Text("{name} is not a classification preset.", name=preset.name))
    scores = Evaluator(scorer or Scorer(runtime)).label_scores(preset.spec, text)
    index, confidence = predict(scores, preset.bias)
    return Classification(preset.labels[index], confidence, tuple(scores))


def model_warning(runtime: ChatEngine, preset: LabPreset) -> str | None:
    """A line to show when the loaded model is not the one the preset was measured on."""
    loaded = runtime.loaded
    if loaded is None or engine_fingerprint(loaded)[0] == preset.model_fingerprint:
        return None
    return (f"{preset.name} was tuned on {preset.model_name}, not {loaded.name}: its scores "
            "may not hold. Tune it again on this model to be sure.")


def _require_chat(preset: LabPreset) -> None:
    if preset.spec.format is not PromptFormat.CHAT:
        raise PromptLabError(
            Text("{name} is a plain completion prompt, not a chat: use it to classify.",
                 name=preset.name)
        )
