"""The search: successive halving over prompt candidates, then one held-out comparison.

1. The pool is split (stratified, seeded) into validation examples and a demo pool.
2. Screening: every candidate (the zero-shot baseline first) is scored on a minibatch of the
   validation split, under each calibration mode.
3. The best quarter is scored on the whole validation split; Thorough then tries one-factor
   changes of the leaders. Free-text leaders also write greedy answers, scored by the metric.
4. The winner and the baseline are run once on the held-out test set, which nothing before
   has read, with 95% intervals and a paired test.

`tune` is a generator of events, one at least per scoring pass (~0.1-0.3 s on the bundled
model), so the engine thread can pump it in slices. Setting `cancel` stops at the next pass and
finishes with the best candidate so far, skipping the held-out comparison.
"""

from __future__ import annotations

import dataclasses
import datetime
import random
import threading
import time
import uuid
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field

from engine.api.structured import JSON_OBJECT_GRAMMAR
from engine.chat.engine import ChatEngine, model_key
from engine.errors import EngineCrashedError, NoModelLoadedError, PromptLabError
from engine.prompt_lab.budget import ANSWER_CANDIDATES, PLANS, Budget, Layout, SearchPlan, layout
from engine.prompt_lab.calibration import CONTENT_FREE_INPUTS, Calibration, log_prior
from engine.prompt_lab.evaluate import (
    Evaluator,
    Summary,
    best_summary,
    predict,
    summarise_labels,
)
from engine.prompt_lab.fingerprint import engine_fingerprint
from engine.prompt_lab.metrics import scorer_for
from engine.prompt_lab.prompts import PromptFormat, PromptSpec
from engine.prompt_lab.results import (
    CandidateRow,
    ExampleOutcome,
    HeldOut,
    HistoryPoint,
    ModelInfo,
    TuneResult,
)
from engine.prompt_lab.scorer import Scorer
from engine.prompt_lab.space import Candidate, SearchSpace
from engine.prompt_lab.stats import Interval, bootstrap_mean, compare_paired, wilson
from engine.prompt_lab.tasks import Example, Metric, Task, TaskKind, stratified_sample
from engine.text import Text

GENERATION_NOTE = (
    "Scored by generated answers: this engine gives no log-probabilities, so each candidate is "
    "judged by the task's metric on the answers it writes (no calibration, coarser and slower "
    "than scoring label probabilities on a local model).")
SCORED_BY_LOGPROBS, SCORED_BY_ANSWERS = "log-probabilities", "generated answers"
CONTEXT_MARGIN = 8  # tokens kept free beyond the longest prompt and answer
MAX_ANSWER_TOKENS = 512
_CHAT = PromptSpec(PromptFormat.CHAT, "")
_Answer = tuple[float, ...] | str  # a test example's label scores, or a free-text answer


@dataclass(frozen=True)
class SearchStarted:
    candidates: int
    validation: int
    minibatch: int
    demo_pool: int
    test: int
    passes_total: int
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class SearchProgress:
    stage: str  # "screening", "validation", "refinement", "answers" or "held-out"
    candidates_left: int
    passes_done: int
    passes_total: int
    best_score: float | None
    best_candidate: int | None
    seconds_elapsed: float
    seconds_left: float | None
    tokens_per_second: float


@dataclass(frozen=True)
class CandidateScored:
    row: CandidateRow


@dataclass(frozen=True)
class SearchFinished:
    result: TuneResult


LabEvent = SearchStarted | SearchProgress | CandidateScored | SearchFinished


@dataclass
class _Record:
    candidate: Candidate
    stage: int = 0  # 0: not done with any round; 1: screened; 2: whole validation split
    rows: dict[int, list[float]] = field(default_factory=dict)  # example id -> scores
    content_free: list[list[float]] = field(default_factory=list)
    modes: list[Summary] = field(default_factory=list)  # the score under each calibration
    summary: Summary | None = None  # the best of them
    answer_score: float | None = None  # free text: metric of greedy answers on validation


def tune(
    runtime: ChatEngine,
    task: Task,
    budget: Budget | SearchPlan,
    seed: int,
    cancel: threading.Event,
    *,
    scorer: Scorer | None = None,
) -> Iterator[LabEvent]:
    """Runs a search on the runtime's loaded model; the last event is SearchFinished."""
    plan = PLANS[budget] if isinstance(budget, Budget) else budget
    name = budget.value if isinstance(budget, Budget) else "custom"
    return _Search(runtime, task, plan, name, seed, cancel, scorer or Scorer(runtime)).run()


class _Search:
    def __init__(
        self,
        runtime: ChatEngine,
        task: Task,
        plan: SearchPlan,
        budget: str,
        seed: int,
        cancel: threading.Event,
        scorer: Scorer,
    ) -> None:
        loaded = runtime.loaded
        if loaded is None:
            raise NoModelLoadedError(Text("No model is loaded."))
        self.task, self.plan, self.budget, self.seed, self.cancel = task, plan, budget, seed, cancel
        self.model = ModelInfo(loaded.name, model_key(loaded), *engine_fingerprint(loaded),
                               loaded.n_ctx)
        # Without log-probabilities each candidate is judged on its generated answers: no
        # content-free passes (nothing to calibrate) and no separate answer stage.
        self.by_answers = not scorer.has_logprobs
        self.layout: Layout = layout(task, plan)
        if self.by_answers:
            self.layout = dataclasses.replace(self.layout, content_free=0, free_text=False)
        self.rng = random.Random(seed)
        pool = list(task.pool)
        self.validation = stratified_sample(pool, self.layout.validation, self.rng, task.labels)
        self.minibatch = stratified_sample(
            self.validation, self.layout.minibatch, random.Random(seed + 1), task.labels
        )
        rest = [e for e in self.validation if e not in self.minibatch]
        self.validation = self.minibatch + rest  # screened examples first: stage 2 adds the rest
        validation_ids = {e.id for e in self.validation}
        self.demo_pool = [e for e in pool if e.id not in validation_ids]
        self.space = SearchSpace(task, self.demo_pool, self.rng)
        self.evaluator = Evaluator(scorer)
        self.scorer = scorer
        self.classification = task.kind is TaskKind.CLASSIFICATION
        self.gold = {e.id: task.labels.index(e.output) for e in pool} if self.classification else {}
        self.prior = log_prior(task.labels, [e.output for e in pool]) if self.classification else []
        self.records: list[_Record] = []
        self.history: list[HistoryPoint] = []
        self.metric = scorer_for(task.metric, task.pattern)
        # A task whose answers are JSON gets JSON: the grammar the API's json_object uses.
        self.grammar = JSON_OBJECT_GRAMMAR if task.metric in (Metric.JSON, Metric.JSON_FIELDS) \
            else ""
        # Prompts are sized for the longest input anywhere, the held-out ones included (only
        # their length is read), so the final comparison cannot fail for want of room.
        self.longest = max(task.examples, key=lambda e: len(e.input))
        self.answer_limit = self._answer_limit()
        self.passes = 0
        self.passes_total = self.layout.passes
        self.started = 0.0
        self.stage = "screening"
        self.left = 0
        self.warnings = self._warnings()

    # --- the run -------------------------------------------------------------------------

    def run(self) -> Iterator[LabEvent]:
        started_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        tokens_before = self.scorer.decoded_tokens
        self.started = time.perf_counter()
        candidates = self._draw()
        drawn = len(candidates)  # fewer than planned when the space is small
        self.passes_total = dataclasses.replace(
            self.layout, candidates=drawn, keep=min(self.layout.keep, drawn)).passes
        yield SearchStarted(len(candidates), len(self.validation), len(self.minibatch),
                            len(self.demo_pool), len(self.task.test), self.passes_total,
                            self.warnings)
        self.records = [_Record(candidate) for candidate in candidates]
        try:
            yield from self._search()
        except EngineCrashedError as error:
            self._stop_for(error)
        search_seconds = time.perf_counter() - self.started
        winner = self._winner()
        baseline = self.records[0]
        held_out = None
        if not self.cancel.is_set() and self.task.test:
            prompts = len({baseline.candidate.spec, winner.candidate.spec})
            self.passes_total = self.passes + len(self.task.test) * prompts
            try:
                held_out = yield from self._held_out(baseline, winner)
            except EngineCrashedError as error:
                self._stop_for(error)
        yield self._progress()
        yield SearchFinished(TuneResult(
            run_id=uuid.uuid4().hex[:12],
            task_id=self.task.id,
            task_name=self.task.name,
            kind=self.task.kind,
            metric=self.task.metric,
            labels=self.task.labels,
            model=self.model,
            budget=self.budget,
            seed=self.seed,
            started_at=started_at,
            seconds=time.perf_counter() - self.started,
            search_seconds=search_seconds,
            stopped=self.cancel.is_set(),
            warnings=self.warnings,
            baseline=self._row(baseline, uncalibrated=True),
            winner=self._row(winner),
            candidates=tuple(self._row(r) for r in self._ranked(every=True)),
            held_out=held_out,
            history=tuple(self.history),
            validation_ids=tuple(e.id for e in self.validation),
            demo_pool_ids=tuple(e.id for e in self.demo_pool),
            decoded_tokens=self.scorer.decoded_tokens - tokens_before,
            answer_tokens=self.answer_limit,
            scored_by=SCORED_BY_ANSWERS if self.by_answers else SCORED_BY_LOGPROBS,
        ))

    def _search(self) -> Iterator[LabEvent]:
        yield from self._round(self.records, self.minibatch, 1, "screening")
        leaders = self._ranked()[: self.layout.keep]
        yield from self._round(leaders, self.validation, 2, "validation")
        if self.plan.refinements:
            yield from self._refine()
        if not self.classification and not self.by_answers:
            yield from self._answers()

    def _stop_for(self, crash: EngineCrashedError) -> None:
        """A crash of the engine ends the run as Stop would, with what was scored kept and
        why it stopped among the warnings (the app starts the engine again meanwhile)."""
        self.cancel = threading.Event()  # the caller's own Stop flag is left as it was
        self.cancel.set()
        reason = (str(crash).strip().splitlines() or ["The model stopped unexpectedly"])[0]
        reason = reason.rstrip(".")
        self.warnings = (*self.warnings, f"{reason}. The run stopped there: the candidates "
                         "scored before are kept and the best of them is the winner.")

    def _draw(self) -> list[Candidate]:
        """The baseline, then distinct random candidates ordered to share cached prefixes."""
        baseline = self._fitted(self.space.baseline())
        seen = {baseline.spec}
        drawn: list[Candidate] = []
        for _ in range(self.layout.candidates * 20):
            if len(drawn) + 1 >= self.layout.candidates:
                break
            candidate = self._fitted(self.space.sample())
            if candidate.spec not in seen:
                seen.add(candidate.spec)
                drawn.append(candidate)
        drawn.sort(key=lambda c: self.evaluator.renderer.prefix(c.spec))
        return [baseline, *drawn]

    def _fitted(self, candidate: Candidate) -> Candidate:
        """The candidate with as many of its demos as fit the context with any input."""
        limit = self.scorer.context_length - CONTEXT_MARGIN
        while True:
            prompt = self.evaluator.renderer.prompt(candidate.spec, self.longest.input)
            answer = max((len(self.evaluator.renderer.answer(candidate.spec, word))
                          for word in candidate.spec.label_words), default=self.answer_limit)
            if len(prompt.tokens) + answer <= limit:
                return candidate
            if not candidate.demo_ids:
                raise PromptLabError(
                    Text("Example {example} makes a prompt of {tokens:,} tokens, more than the "
                         "context window of {context_length:,} leaves: shorten it, or load the "
                         "model with a longer context.",
                         example=self.longest.id + 1, tokens=len(prompt.tokens),
                         context_length=self.scorer.context_length)
                )
            candidate = self.space.with_fewer_demos(candidate)

    def _round(
        self, records: Sequence[_Record], examples: Sequence[Example], stage: int, name: str
    ) -> Iterator[LabEvent]:
        self.stage, self.left = name, len(records)
        for record in records:
            if self.cancel.is_set():
                return
            yield from self._score(record, examples)
            if self.cancel.is_set():
                return
            record.stage = stage
            record.modes = self._summaries(record)
            record.summary = best_summary(record.modes)
            if self.by_answers and not self.classification:
                record.answer_score = record.summary.score
            self._note_best()
            yield CandidateScored(self._row(record))

    def _score(self, record: _Record, examples: Sequence[Example]) -> Iterator[LabEvent]:
        spec = record.candidate.spec
        if self.by_answers:
            for example in examples:
                if self.cancel.is_set():
                    return
                if example.id not in record.rows:
                    answer = self._generated(spec, example)
                    if self.cancel.is_set():
                        return  # a stopped answer is not a wrong one
                    record.rows[example.id] = [self.metric(answer, example.output)]
                    yield self._pass()
            return
        if self.classification and not record.content_free:
            for text in CONTENT_FREE_INPUTS:
                if self.cancel.is_set():
                    return
                record.content_free.append(self.evaluator.label_scores(spec, text))
                yield self._pass()
        for example in examples:
            if self.cancel.is_set():
                return
            if example.id in record.rows:
                continue
            if self.classification:
                record.rows[example.id] = self.evaluator.label_scores(spec, example.input)
            else:
                record.rows[example.id] = [
                    self.evaluator.likelihood(spec, example.input, example.output)
                ]
            yield self._pass()

    def _refine(self) -> Iterator[LabEvent]:
        """Thorough: one-factor changes of the leaders, kept when they beat them."""
        self.stage = "refinement"
        seen = {record.candidate.spec for record in self.records}
        without_gain = 0
        for _ in range(self.plan.refinements):
            if self.cancel.is_set() or without_gain >= self.plan.patience > 0:
                break
            parent = self.rng.choice(self._ranked()[:3]).candidate
            child = self._fitted(self.space.mutate(parent))
            if child.spec in seen:
                without_gain += 1
                self.passes_total -= self.layout.content_free + len(self.validation)
                continue
            seen.add(child.spec)
            best = self._ranked()[0].summary
            record = _Record(child)
            self.records.append(record)
            yield from self._round([record], self.validation, 2, "refinement")
            gained = best is not None and record.summary is not None and (
                record.summary.key > best.key)
            without_gain = 0 if gained else without_gain + 1
        self.passes_total = self.passes + self.layout.answer_passes + (
            2 * self.layout.test if self.classification or self.by_answers else 0)

    def _answers(self) -> Iterator[LabEvent]:
        """Free text: the leaders' greedy answers on validation, scored by the task's metric."""
        self.stage = "answers"
        leaders = [r for r in self._ranked() if r.stage == 2][:ANSWER_CANDIDATES]
        self.left = len(leaders)
        for record in leaders:
            scores = []
            for example in self.validation:
                if self.cancel.is_set():
                    return
                answer = self.evaluator.generate(
                    record.candidate.spec, example.input, self.answer_limit, self.cancel,
                    self.grammar)
                scores.append(self.metric(answer, example.output))
                yield self._pass()
            record.answer_score = sum(scores) / len(scores)
            self._note_best()
            yield CandidateScored(self._row(record))

    def _held_out(
        self, baseline: _Record, winner: _Record
    ) -> Generator[LabEvent, None, HeldOut | None]:
        """Baseline and winner on the test set, read here for the first and only time.

        The baseline is the plain zero-shot prompt, uncalibrated; the winner runs with its
        calibration. A winner with the baseline's prompt reuses its answers.
        """
        test = list(self.task.test)
        specs = list(dict.fromkeys((baseline.candidate.spec, winner.candidate.spec)))
        self.stage, self.left = "held-out", len(specs)
        raw: dict[PromptSpec, list[_Answer]] = {}
        for spec in specs:
            raw[spec] = []
            for example in test:
                if self.cancel.is_set():
                    return None
                raw[spec].append(self._test_answer(spec, example))
                yield self._pass()
        base = [self._outcome(answer, e, None)
                for answer, e in zip(raw[baseline.candidate.spec], test, strict=True)]
        best = [self._outcome(answer, e, winner)
                for answer, e in zip(raw[winner.candidate.spec], test, strict=True)]
        base_scores = [o[1] for o in base]
        win_scores = [o[1] for o in best]
        binary = all(s in (0.0, 1.0) for s in (*base_scores, *win_scores))
        n = len(test)

        def interval(scores: list[float]) -> Interval:
            return wilson(sum(scores), n) if binary else bootstrap_mean(scores, self.seed)

        return HeldOut(
            n=n,
            baseline_score=sum(base_scores) / n,
            baseline_interval=interval(base_scores),
            winner_score=sum(win_scores) / n,
            winner_interval=interval(win_scores),
            comparison=compare_paired(win_scores, base_scores, self.seed),
            examples=tuple(
                ExampleOutcome(e.id, e.input, e.output, b[0], b[1], w[0], w[1], w[2], w[3])
                for e, b, w in zip(test, base, best, strict=True)
            ),
        )

    def _generated(self, spec: PromptSpec, example: Example) -> str:
        """The greedy answer; for classification, as the task label it names."""
        if self.classification:
            return self.evaluator.generated_label(spec, example.input, self.task.labels,
                                                  self.cancel)
        return self.evaluator.generate(spec, example.input, self.answer_limit, self.cancel,
                                       self.grammar)

    def _test_answer(self, spec: PromptSpec, example: Example) -> _Answer:
        """Label log-probabilities, or the greedy answer for free text (and, without
        log-probabilities, for classification)."""
        if self.by_answers:
            return self._generated(spec, example)
        if self.classification:
            return tuple(self.evaluator.label_scores(spec, example.input))
        return self.evaluator.generate(spec, example.input, self.answer_limit, self.cancel,
                                       self.grammar)

    def _outcome(
        self, answer: _Answer, example: Example, calibrated_by: _Record | None
    ) -> tuple[str, float, float | None, tuple[float, ...]]:
        """(answer shown, score 0..1, confidence, label scores) of one test example."""
        if isinstance(answer, str):
            return answer, self.metric(answer, example.output), None, ()
        bias = self._bias(calibrated_by) if calibrated_by else [0.0] * len(answer)
        index, confidence = predict(answer, bias)
        label = self.task.labels[index]
        return label, float(label == example.output), confidence, answer

    # --- bookkeeping ---------------------------------------------------------------------

    def _summaries(self, record: _Record) -> list[Summary]:
        if self.by_answers:  # the metric on generated answers, for every kind of task
            mean = sum(row[0] for row in record.rows.values()) / max(1, len(record.rows))
            return [Summary(Calibration.NONE, mean, mean, ())]
        if self.classification:
            return summarise_labels(record.rows, self.gold, record.content_free, self.prior)
        likelihood = sum(row[0] for row in record.rows.values()) / max(1, len(record.rows))
        return [Summary(Calibration.NONE, likelihood, likelihood, ())]

    def _bias(self, record: _Record) -> list[float]:
        summary = record.summary
        return list(summary.bias) if summary else [0.0] * len(self.task.labels)

    def _key(self, record: _Record) -> tuple[float, ...]:
        """Rank: furthest round, then log loss and score (free text: the metric on answers,
        then the likelihood); on ties fewer demos, shorter text."""
        spec = record.candidate.spec
        answer = record.answer_score if record.answer_score is not None else -1.0
        unscored = (float("-inf"), float("-inf"))
        return (
            record.stage,
            answer,
            *(record.summary.key if record.summary else unscored),
            -len(spec.demos),
            -len(spec.instruction),
            -record.candidate.id,
        )

    def _ranked(self, every: bool = False) -> list[_Record]:
        scored = [r for r in self.records if every or r.summary is not None]
        return sorted(scored, key=self._key, reverse=True)

    def _winner(self) -> _Record:
        ranked = self._ranked()
        return ranked[0] if ranked else self.records[0]

    def _note_best(self) -> None:
        best = self._ranked()[0]
        score = self._score_of(best)
        if not self.history or self.history[-1].best_score != score:
            self.history.append(HistoryPoint(
                round(time.perf_counter() - self.started, 3), self.passes, score))

    def _score_of(self, record: _Record) -> float:
        """Accuracy; free text: the metric on greedy answers, else the mean likelihood."""
        if record.answer_score is not None:
            return record.answer_score
        return record.summary.score if record.summary else 0.0

    def _row(self, record: _Record, uncalibrated: bool = False) -> CandidateRow:
        """The record as a table row; `uncalibrated`: as the plain prompt, for the baseline."""
        summary = record.modes[0] if uncalibrated and record.modes else record.summary
        score = record.answer_score if record.answer_score is not None else (
            summary.score if summary and self.classification else None)
        candidate = record.candidate
        return CandidateRow(
            id=candidate.id,
            origin=candidate.origin,
            spec=candidate.spec,
            demo_ids=candidate.demo_ids,
            stage=record.stage,
            n=len(record.rows),
            score=score,
            gold_logprob=summary.gold_logprob if summary else 0.0,
            calibration=summary.calibration if summary else Calibration.NONE,
            bias=summary.bias if summary else (),
            scores_by_calibration={s.calibration.value: s.score for s in record.modes},
        )

    def _pass(self) -> SearchProgress:
        self.passes += 1
        return self._progress()

    def _progress(self) -> SearchProgress:
        elapsed = time.perf_counter() - self.started
        ranked = self._ranked()
        best = ranked[0] if ranked else None
        left = max(0, self.passes_total - self.passes)
        seconds = self.scorer.seconds
        return SearchProgress(
            stage=self.stage,
            candidates_left=self.left,
            passes_done=self.passes,
            passes_total=max(self.passes_total, self.passes),
            best_score=self._score_of(best) if best else None,
            best_candidate=best.candidate.id if best else None,
            seconds_elapsed=elapsed,
            seconds_left=elapsed / self.passes * left if self.passes >= 3 else None,
            tokens_per_second=self.scorer.decoded_tokens / seconds if seconds else 0.0,
        )

    def _answer_limit(self) -> int:
        """Free text: the most tokens a greedy answer may take (twice the longest expected)."""
        if self.classification:
            return 0
        longest = max(len(self.evaluator.renderer.answer(_CHAT, e.output)) for e in self.task.pool)
        return min(MAX_ANSWER_TOKENS, 2 * longest + 16)

    def _warnings(self) -> tuple[str, ...]:
        found = [GENERATION_NOTE] if self.by_answers else []
        if len(self.validation) < 20:
            found.append(f"Only {len(self.validation)} validation examples: the choice among "
                         "candidates is noisy. Add examples for a trustworthy result.")
        if not self.task.test:
            found.append("No held-out examples: there is no trustworthy score for the winner.")
        elif len(self.task.test) < 30:
            found.append(f"Only {len(self.task.test)} held-out examples: the interval is wide.")
        return tuple(found)
