"""Teacher-forced scoring on the real model: right numbers, cache-independent, prefix reused."""

from __future__ import annotations

from pathlib import Path

import pytest
from llama_cpp import Llama

from engine.chat.prompt import ChatMessage
from engine.host.runtime import Runtime
from engine.prompt_lab.evaluate import Evaluator
from engine.prompt_lab.prompts import Demo, PromptFormat, PromptSpec
from engine.prompt_lab.scorer import Scorer

SPEC = PromptSpec(
    PromptFormat.CHAT,
    "Classify the review as positive or negative.",
    (Demo("What a lovely film.", "positive"), Demo("Dull and far too long.", "negative")),
    ("positive", "negative"),
)


def test_log_probabilities_match_llama_cpp_with_every_logit_kept(
    runtime: Runtime, bundled_model: Path
) -> None:
    scorer = Scorer(runtime)
    prompt = scorer.chat_tokens([ChatMessage("system", "Answer in one word."),
                                 ChatMessage("user", "What is the capital of France?")])
    answers = [scorer.text_tokens(word, at_start=False) for word in ("Paris", "rotten tomatoes")]
    assert len(answers[1]) > 1  # a multi-token answer is teacher-forced token by token
    found = scorer.continuation_logprobs(prompt, answers, reusable=0)

    reference = Llama(model_path=str(bundled_model), n_ctx=256, logits_all=True, verbose=False,
                      n_threads=1)
    try:
        for answer, scores in zip(answers, found, strict=True):
            reference.reset()
            reference.eval(prompt + answer)
            logprobs = Llama.logits_to_logprobs(reference.scores[: len(prompt) + len(answer)])
            expected = [float(logprobs[len(prompt) - 1 + i, token])
                        for i, token in enumerate(answer)]
            assert scores == pytest.approx(expected, abs=1e-4)
    finally:
        reference.close()


def test_scores_do_not_depend_on_what_was_cached_before(runtime: Runtime) -> None:
    evaluator = Evaluator(Scorer(runtime))
    runtime.forget_cache()
    alone = evaluator.label_scores(SPEC, "A warm, funny and clever story.")
    evaluator.label_scores(SPEC, "I walked out after an hour.")
    after_another = evaluator.label_scores(SPEC, "A warm, funny and clever story.")
    again = evaluator.label_scores(SPEC, "A warm, funny and clever story.")
    assert alone == after_another == again


def test_a_shared_prefix_is_decoded_once(runtime: Runtime) -> None:
    scorer = Scorer(runtime)
    evaluator = Evaluator(scorer)
    runtime.forget_cache()
    evaluator.label_scores(SPEC, "Superb.")
    first = scorer.decoded_tokens
    text = "Not worth the ticket."
    evaluator.label_scores(SPEC, text)
    second = scorer.decoded_tokens - first
    prompt = evaluator.renderer.prompt(SPEC, text)
    assert prompt.reusable > 30  # the instruction and both demos
    # Only the new input (and the end of its turn) plus the second token of a label is decoded.
    extra = max(len(evaluator.renderer.answer(SPEC, w)) for w in SPEC.label_words) - 1
    assert second <= len(prompt.tokens) - prompt.reusable + extra
    # and the Runtime's own prefix bookkeeping stays true to the KV cache
    assert runtime.cached_prefix(prompt.tokens) >= prompt.reusable
