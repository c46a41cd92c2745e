"""The search on the real model with a small sentiment task whose labels are "pos" and "neg".

The bundled model reads "pos"/"neg" poorly, while label words the examples' labels stand for
("positive"/"negative", "good"/"bad") it reads well: an obviously better candidate exists.
One search run is shared by the tests of this module to keep model time small.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from engine.errors import PromptLabError
from engine.host.runtime import Runtime, TextChunk
from engine.paths import app_paths
from engine.prompt_lab.budget import SearchPlan, estimate_seconds, layout
from engine.prompt_lab.evaluate import Evaluator
from engine.prompt_lab.metrics import json_fields
from engine.prompt_lab.preset import (
    classify,
    messages_for,
    preset_from_result,
    prompt_tokens,
    request_for,
)
from engine.prompt_lab.prompts import Demo, PromptFormat
from engine.prompt_lab.results import TuneResult
from engine.prompt_lab.scorer import Scorer
from engine.prompt_lab.search import (
    CandidateScored,
    LabEvent,
    SearchFinished,
    SearchProgress,
    SearchStarted,
    tune,
)
from engine.prompt_lab.storage import LabStore
from engine.prompt_lab.tasks import Metric, Task, TaskKind, make_task

POSITIVE = [
    "I loved every minute of it.", "Wonderful and moving.", "A delight from start to finish.",
    "Great acting and a great story.", "Brilliant, funny and warm.", "The best film this year.",
    "Charming and clever.", "Superb in every way.", "A joy to watch.", "Beautifully made.",
    "An excellent, touching film.", "I would happily see it again.", "Fantastic fun.",
    "A lovely, uplifting story.", "Smart, sweet and very funny.", "A wonderful surprise.",
]
NEGATIVE = [
    "I hated every minute of it.", "Boring and dull.", "A waste of two hours.",
    "Terrible acting and a silly story.", "Awful, just awful.", "The worst film this year.",
    "Tedious and cold.", "Dreadful in every way.", "A chore to sit through.", "Badly made.",
    "A clumsy, lifeless film.", "I walked out halfway.", "Painfully unfunny.",
    "A miserable, pointless story.", "Stupid, sour and very slow.", "A horrible mess.",
]
PLAN = SearchPlan(candidates=6, keep=2, minibatch=12, validation=12)


class RecordingScorer(Scorer):
    """The real scorer, noting the text of every prompt it is asked to score."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self._local_runtime = runtime
        self.prompts: list[str] = []

    def continuation_logprobs(
        self, prompt: Sequence[int], continuations: Sequence[Sequence[int]], reusable: int
    ) -> list[list[float]]:
        self.prompts.append(self._local_runtime.detokenize(prompt))
        return super().continuation_logprobs(prompt, continuations, reusable)


@dataclass
class Run:
    task: Task
    events: list[LabEvent]
    result: TuneResult
    prompts: list[str]


def sentiment_task() -> Task:
    pairs = [pair for p, n in zip(POSITIVE, NEGATIVE, strict=True)
             for pair in ((p, "pos"), (n, "neg"))]
    return make_task("Reviews", pairs, test_fraction=0.25, seed=0)


@pytest.fixture(scope="module")
def run(runtime: Runtime) -> Run:
    task = sentiment_task()
    scorer = RecordingScorer(runtime)
    events = list(tune(runtime, task, PLAN, 5, threading.Event(), scorer=scorer))
    finished = events[-1]
    assert isinstance(finished, SearchFinished)
    return Run(task, events, finished.result, scorer.prompts)


def test_the_search_finds_the_obviously_better_label_words(run: Run) -> None:
    result = run.result
    assert result.baseline.spec.label_words == ("pos", "neg")
    assert result.winner.id != result.baseline.id
    assert result.winner.spec.label_words != ("pos", "neg")
    assert result.winner.score is not None and result.baseline.score is not None
    assert result.winner.score >= 0.9
    assert result.winner.score > result.baseline.score
    held = result.held_out
    assert held is not None and held.n == len(run.task.test) == 8
    assert held.winner_score >= held.baseline_score
    assert held.winner_score >= 0.75
    # the table has every candidate, the most trusted (whole validation split) first
    assert len(result.candidates) == 6
    assert [row.stage for row in result.candidates][:2] == [2, 2]
    assert result.candidates[0].id == result.winner.id


def test_held_out_examples_never_enter_a_prompt_before_the_final_comparison(run: Run) -> None:
    test_inputs = [e.input for e in run.task.test]
    result = run.result
    final = 2 * len(test_inputs)  # baseline and winner, once per held-out example
    for prompt in run.prompts[:-final]:
        assert not any(text in prompt for text in test_inputs)
    for prompt in run.prompts[-final:]:
        assert sum(text in prompt for text in test_inputs) == 1  # only as the input asked about
    test_ids = {e.id for e in run.task.test}
    for row in result.candidates:
        assert test_ids.isdisjoint(row.demo_ids)
        assert set(row.demo_ids) <= set(result.demo_pool_ids)
    assert test_ids.isdisjoint(result.validation_ids)
    assert set(result.validation_ids).isdisjoint(result.demo_pool_ids)


def test_progress_is_reported_at_every_pass(run: Run) -> None:
    started = run.events[0]
    assert isinstance(started, SearchStarted)
    progress = [e for e in run.events if isinstance(e, SearchProgress)]
    assert len(progress) >= started.passes_total
    done = [e.passes_done for e in progress]
    assert done == sorted(done) and done[-1] == started.passes_total
    assert progress[0].candidates_left == 6
    assert progress[-1].best_score == run.result.winner.score
    assert progress[-1].seconds_left == 0
    assert len([e for e in run.events if isinstance(e, CandidateScored)]) == 6 + 2
    history = run.result.history
    assert history and [p.passes for p in history] == sorted(p.passes for p in history)


def test_a_preset_gives_the_label_scores_of_the_search(run: Run, runtime: Runtime) -> None:
    result = run.result
    held = result.held_out
    assert held is not None
    store = LabStore.at(app_paths())
    store.save_preset(preset_from_result(result, "Reviews"))
    preset = store.load_preset("Reviews")
    assert preset.spec == result.winner.spec and preset.test_score == held.winner_score
    runtime.forget_cache()
    for outcome in held.examples[:3]:
        found = classify(runtime, preset, outcome.input)
        assert found.scores == pytest.approx(outcome.winner_label_scores, abs=1e-5)
        assert found.label == outcome.winner_answer
        assert found.confidence == pytest.approx(outcome.winner_confidence)
    assert store.runs(result.task_id) == []
    store.save_run(result)
    assert store.runs(result.task_id, result.model.fingerprint) == [result]
    assert store.runs(result.task_id, "another model") == []


def test_a_chat_preset_reads_in_a_chat_exactly_as_it_was_scored(
    run: Run, runtime: Runtime
) -> None:
    result = run.result
    demos = tuple(Demo(e.input, e.output) for e in run.task.pool[:3])
    row = dataclasses.replace(
        result.baseline, spec=dataclasses.replace(result.baseline.spec, demos=demos))
    assert row.spec.format is PromptFormat.CHAT
    preset = preset_from_result(result, "Chat reviews", candidate=row)
    text = "An odd little film."
    tokens = prompt_tokens(runtime, preset, text)
    assert runtime.tokenize_chat(messages_for(preset, text)) == tokens
    assert runtime.plan(request_for(preset, text)).tokens == tokens
    assert messages_for(preset, text)[-1].content == text


def test_stop_keeps_the_best_candidate_so_far(run: Run, runtime: Runtime) -> None:
    task = sentiment_task()
    cancel = threading.Event()
    seen = []
    last: SearchProgress | None = None
    result: TuneResult | None = None
    for event in tune(runtime, task, PLAN, 5, cancel):
        if isinstance(event, CandidateScored):
            seen.append(event.row)
            if len(seen) == 2:
                cancel.set()  # as the Stop button does, from any thread
        elif isinstance(event, SearchProgress):
            last = event
        elif isinstance(event, SearchFinished):
            result = event.result
    assert result is not None and last is not None
    assert len(seen) == 2
    assert last.passes_done == 2 * (3 + 12)  # nothing was scored after Stop
    assert result.stopped and result.held_out is None
    best = max(seen, key=lambda row: (row.gold_logprob, row.score or 0.0))
    assert result.winner == best
    assert result.winner.score is not None
    # the same seed draws and scores the same candidates as the full run did
    assert seen == [e.row for e in run.events if isinstance(e, CandidateScored)][:2]
    assert preset_from_result(result, "Stopped").test_score is None


def test_budgets_are_estimated_from_a_short_measurement(runtime: Runtime) -> None:
    task = sentiment_task()
    estimates = estimate_seconds(Evaluator(Scorer(runtime)), task)
    quick, standard, thorough = estimates.values()
    assert 0 < quick <= standard <= thorough
    assert layout(task, PLAN).passes == 6 * (3 + 12) + 2 * 8


def test_a_free_text_task_is_tuned_on_its_metric_and_its_preset_answers_alike(
    runtime: Runtime,
) -> None:
    names = ["Ada", "Ben", "Cleo", "Dan", "Eve", "Finn", "Gus", "Hana", "Ivo", "Jon", "Kai", "Lea"]
    pairs = [(f"{name} was born in {1901 + 7 * i} in a small town.", str(1901 + 7 * i))
             for i, name in enumerate(names)]
    task = make_task("Years", pairs, metric=Metric.EXACT, seed=1)
    assert task.kind is TaskKind.FREE_TEXT and len(task.test) == 3
    plan = SearchPlan(candidates=3, keep=1, minibatch=4, validation=4)
    events = list(tune(runtime, task, plan, 3, threading.Event()))
    finished = events[-1]
    assert isinstance(finished, SearchFinished)
    result = finished.result
    held = result.held_out
    assert held is not None and held.n == 3
    assert held.comparison.test == "mcnemar"  # exact match scores are right or wrong
    assert result.winner.gold_logprob < 0 and result.winner.score is not None
    assert all(row.spec.format is PromptFormat.CHAT for row in result.candidates)
    preset = preset_from_result(result, "Years")
    outcome = held.examples[0]
    request = request_for(preset, outcome.input)
    assert runtime.plan(request).tokens == prompt_tokens(runtime, preset, outcome.input)
    answer = "".join(e.text for e in runtime.stream(request, threading.Event())
                     if isinstance(e, TextChunk))
    assert answer.strip() == outcome.winner_answer


def test_a_json_extraction_task_gets_json_answers_scored_field_by_field(
    runtime: Runtime,
) -> None:
    names = ["Ada", "Ben", "Cleo", "Dan", "Eve", "Finn", "Gus", "Hana", "Ivo", "Jon", "Kai", "Lea"]
    pairs = [(f"{name} was born in {1901 + 7 * i} in a small town.",
              json.dumps({"name": name, "year": 1901 + 7 * i})) for i, name in enumerate(names)]
    task = make_task("People", pairs, seed=1)
    assert task.kind is TaskKind.FREE_TEXT and task.metric is Metric.JSON_FIELDS
    plan = SearchPlan(candidates=3, keep=1, minibatch=4, validation=4)
    finished = list(tune(runtime, task, plan, 3, threading.Event()))[-1]
    assert isinstance(finished, SearchFinished)
    held = finished.result.held_out
    assert held is not None and held.n == 3
    for outcome in held.examples:
        # Generated under the JSON grammar: an object, whatever the 135M model makes of it.
        assert isinstance(json.loads(outcome.winner_answer), dict), outcome.winner_answer
        assert outcome.winner_score == json_fields(outcome.winner_answer, outcome.expected)


def test_an_example_too_long_for_the_context_is_named_before_any_work(runtime: Runtime) -> None:
    pairs = [(text, "pos") for text in POSITIVE[:6]] + [(text, "neg") for text in NEGATIVE[:6]]
    pairs[2] = ("This goes on and on. " * 1500, "pos")
    task = make_task("Long", pairs)
    events = tune(runtime, task, PLAN, 0, threading.Event())
    with pytest.raises(PromptLabError, match=r"Example 3 makes a prompt of [0-9,]+ tokens"):
        next(events)
