"""Search budgets and their estimated time, measured on this machine with this model.

A budget is a number of candidates and validation examples, not a time: the search stays
deterministic for a seed whatever the machine's load. The time shown for it comes from a short
measurement (about two seconds of real scoring passes) times the passes the budget plans.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from dataclasses import dataclass
from enum import StrEnum

from engine.errors import PromptLabError
from engine.prompt_lab.calibration import CONTENT_FREE_INPUTS
from engine.prompt_lab.evaluate import Evaluator
from engine.prompt_lab.prompts import PromptFormat, PromptSpec
from engine.prompt_lab.space import DEMO_COUNTS
from engine.prompt_lab.tasks import Task, TaskKind
from engine.text import Text

MEASURE_SECONDS = 2.0
WARM_UP_PASSES = 2
GENERATED_TOKEN_COST = 4  # prompt tokens' worth of time per generated token (1 thread)
MIN_POOL = 4
ANSWER_PROBE_TOKENS = 16  # a remote engine's timing answer: about a label or a short reply
ANSWER_CANDIDATES = 3  # free text: the leaders whose greedy answers are scored on validation


class Budget(StrEnum):
    QUICK = "quick"
    STANDARD = "standard"
    THOROUGH = "thorough"


@dataclass(frozen=True)
class SearchPlan:
    candidates: int  # drawn, the baseline included
    keep: int  # survivors of the first round, scored on the whole validation split
    minibatch: int  # validation examples of the first round
    validation: int  # size of the validation split, at most
    refinements: int = 0  # one-factor changes of the leaders, each on the whole split
    patience: int = 0  # refinements without a gain before the search stops early


PLANS: dict[Budget, SearchPlan] = {
    Budget.QUICK: SearchPlan(candidates=12, keep=3, minibatch=24, validation=48),
    Budget.STANDARD: SearchPlan(candidates=24, keep=6, minibatch=24, validation=64),
    Budget.THOROUGH: SearchPlan(candidates=48, keep=12, minibatch=32, validation=96,
                                refinements=48, patience=16),
}


@dataclass(frozen=True)
class Layout:
    """How a plan applies to one task: the actual counts, and the passes they take."""

    candidates: int
    keep: int
    minibatch: int
    validation: int
    demo_pool: int
    test: int
    refinements: int
    content_free: int  # extra passes per candidate for contextual calibration

    free_text: bool

    @property
    def scoring_passes(self) -> int:
        """Forward passes over one prompt each, the held-out comparison included."""
        return (
            self.candidates * (self.content_free + self.minibatch)
            + self.keep * (self.validation - self.minibatch)
            + self.refinements * (self.content_free + self.validation)
            + (0 if self.free_text else 2 * self.test)
        )

    @property
    def answer_passes(self) -> int:
        """Free text: greedy answers of the leaders on validation and of both on the test set."""
        if not self.free_text:
            return 0
        leaders = min(ANSWER_CANDIDATES, self.keep + self.refinements)
        return leaders * self.validation + 2 * self.test

    @property
    def passes(self) -> int:
        return self.scoring_passes + self.answer_passes


def layout(task: Task, plan: SearchPlan) -> Layout:
    """The plan cut to the task's size; raises PromptLabError when the pool is too small.

    Half the pool at most goes to validation, the rest is the demo pool. Candidates are capped
    at about half the validation size: with more, the best of them wins by luck.
    """
    pool = len(task.pool)
    if pool < MIN_POOL:
        raise PromptLabError(
            Text("Tuning needs at least {min_pool} examples outside the test set; this task has "
                 "{pool}.",
                 min_pool=MIN_POOL, pool=pool)
        )
    validation = min(plan.validation, pool // 2)
    candidates = max(2, min(plan.candidates, max(6, validation // 2)))
    return Layout(
        candidates=candidates,
        keep=max(1, min(plan.keep, math.ceil(candidates / 4))),
        minibatch=min(plan.minibatch, validation),
        validation=validation,
        demo_pool=pool - validation,
        test=len(task.test),
        refinements=plan.refinements,
        content_free=len(CONTENT_FREE_INPUTS) if task.kind is TaskKind.CLASSIFICATION else 0,
        free_text=task.kind is TaskKind.FREE_TEXT,
    )


def estimate_seconds(evaluator: Evaluator, task: Task) -> dict[Budget, float]:
    """Each budget's expected wall time, from about two seconds of real scoring passes."""
    spec = _probe_spec(task)
    pool = task.pool
    if not pool:
        raise PromptLabError(Text("This task has no examples outside the test set."))
    scorer = evaluator.scorer

    def score(index: int) -> None:
        example = pool[index % len(pool)]
        if not scorer.has_logprobs:  # a remote engine: the search generates answers
            evaluator.generate(spec, example.input, ANSWER_PROBE_TOKENS, threading.Event())
        elif task.kind is TaskKind.CLASSIFICATION:
            evaluator.label_scores(spec, example.input)
        else:
            evaluator.likelihood(spec, example.input, example.output)

    for index in range(WARM_UP_PASSES):  # the prompt's prefix, and a try of each thread count
        score(index)
    tokens_before, seconds_before = scorer.decoded_tokens, scorer.seconds
    started = time.perf_counter()
    passes = 0
    while passes < 3 or (time.perf_counter() - started < MEASURE_SECONDS and passes < 16):
        score(WARM_UP_PASSES + passes)
        passes += 1
    per_pass = (time.perf_counter() - started) / passes
    tokens = max(1, scorer.decoded_tokens - tokens_before)
    per_token = (scorer.seconds - seconds_before) / tokens
    example_tokens = tokens / passes
    mean_demos = sum(DEMO_COUNTS) / len(DEMO_COUNTS)
    # An answer is a prompt pass plus its tokens, each about GENERATED_TOKEN_COST prompt
    # tokens on a CPU; answers run about as long as the expected outputs (~4 characters each).
    answer_tokens = sum(len(e.output) for e in pool) / len(pool) / 4
    answer_seconds = per_pass + answer_tokens * GENERATED_TOKEN_COST * per_token
    estimates = {}
    for budget, plan in PLANS.items():
        counts = layout(task, plan)
        if not scorer.has_logprobs:  # every pass is an answer, as long as the probe's
            counts = dataclasses.replace(counts, content_free=0, free_text=False)
            estimates[budget] = counts.passes * per_pass
            continue
        prefix_tokens = (counts.candidates + counts.refinements) * mean_demos * example_tokens
        estimates[budget] = (
            counts.scoring_passes * per_pass
            + counts.answer_passes * answer_seconds
            + prefix_tokens * per_token
        )
    return estimates


def _probe_spec(task: Task) -> PromptSpec:
    words = task.labels
    instruction = task.instruction or "Answer with the label only."
    return PromptSpec(PromptFormat.CHAT, instruction, (), words)
