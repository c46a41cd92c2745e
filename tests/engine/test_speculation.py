"""Speculative decoding with prompt-lookup drafts (engine/host/speculation.py): the drafts, the
switch that keeps them where they pay, and the token loop that verifies them (runtime.py).

The token loop's tests read llama.cpp's own state, so they run the engine host's Runtime in
this process, as test_runtime.py does."""

from __future__ import annotations

import threading
from typing import Protocol

import llama_cpp
import numpy as np
import pytest

from engine.chat.prompt import ChatMessage
from engine.host.batch import BatchDecoder
from engine.host.logprobs import TokenLogprob
from engine.host.runtime import (
    GenerationDone,
    GenerationRequest,
    Runtime,
    StreamEvent,
    TextChunk,
)
from engine.host.speculation import (
    DRAFT_MAX,
    WINDOW_DRAFTS,
    PromptLookup,
    Speculation,
    Speculator,
)
from engine.settings import ChatSettings, SamplingSettings

CODE = """def word_counts(text):
    counts = {}
    for word in text.split():
        word = word.lower().strip(".,!?")
        if word:
            counts[word] = counts.get(word, 0) + 1
    return counts


def top_words(text, n=3):
    counts = word_counts(text)
    ordered = sorted(counts.items(), key=lambda item: item[1], reverse=True)
    return ordered[:n]
"""
DOCUMENT = ("The lighthouse at Marsh Point was built in 1871 from granite quarried on the "
            "island. Its lamp burned whale oil until 1890, then kerosene until 1932, when the "
            "keeper's house was wired and an electric lamp was fitted. The last keeper left in "
            "1968; since then the light has run by itself, checked twice a year.")
TURNS = {
    "code edit": "Rename word_counts to count_words in this code and show all of it:\n\n" + CODE,
    "document": DOCUMENT + "\n\nQuote the sentence that says when the lamp became electric.",
    "rewrite": "Rewrite this, keeping every fact, in the same words where you can:\n\n"
               + DOCUMENT,
    "free chat": "What should I plant in a small shady garden?",
}


@pytest.fixture(scope="session")
def runtime(inprocess_runtime: Runtime) -> Runtime:
    return inprocess_runtime


# -- The drafts ----------------------------------------------------------------------------------


def test_a_draft_is_what_followed_the_latest_earlier_match_of_the_longest_ngram() -> None:
    lookup = PromptLookup([1, 2, 3, 4, 5, 9, 2, 3, 7, 8])
    assert lookup.draft() == []  # "7 8" and "8" were not seen before
    lookup.append(1)
    lookup.append(2)
    lookup.append(3)  # "1 2 3" was seen at the start, "2 3" later too: the longest match wins
    assert lookup.draft(3) == [4, 5, 9]
    lookup.append(7)  # "2 3 7" matches the later "2 3" only
    assert lookup.draft() == [8, 1, 2, 3, 7]


def test_no_draft_of_a_single_repeated_token_without_an_earlier_match() -> None:
    lookup = PromptLookup([5])
    lookup.append(6)
    assert lookup.draft() == []


# -- What is fed -------------------------------------------------------------------------------

CPU_COSTS = (1.0, 1.67, 2.28, 2.73, 3.38, 3.91, 4.48, 6.27, 6.73)  # measured, Qwen 1.5B here
PROMPT = list(range(100, 140))


def test_drafts_are_fed_once_proposals_were_kept_and_stop_once_they_are_refused() -> None:
    speculator = Speculator("auto", PROMPT, CPU_COSTS)
    assert speculator.draft(DRAFT_MAX) == []  # the prompt's end was not seen before
    fed = []
    for token in PROMPT[:30]:  # the model copies its prompt
        fed.append(len(speculator.draft(DRAFT_MAX)))
        speculator.written(token)
    # The first proposal (after "100 101") is followed unfed until it is judged; then drafts
    # of the length that pays best on these costs are fed.
    assert max(fed[:10]) == 0 and min(fed[11:]) > 0
    assert max(fed) < DRAFT_MAX  # nine-token batches cost too much here for eight drafts
    for n in range(WINDOW_DRAFTS):  # now every proposal is refused at once
        speculator.written(100)
        speculator.written(101)
        speculator.draft(DRAFT_MAX)
        speculator.written(300 + n)
    speculator.written(100)
    speculator.written(101)
    assert speculator.draft(DRAFT_MAX) == []  # a proposal, but not worth feeding


def test_cheap_batches_make_long_drafts_worth_feeding() -> None:
    flat = Speculator("auto", PROMPT, (1.0,) + (1.05,) * DRAFT_MAX)
    for token in PROMPT[:12]:
        flat.draft(DRAFT_MAX)
        flat.written(token)
    assert flat.best_length() == DRAFT_MAX


def test_always_feeds_every_proposal_and_off_none() -> None:
    always, off = Speculator("always", PROMPT, ()), Speculator("off", PROMPT, CPU_COSTS)
    for speculator in (always, off):
        speculator.written(100)
        speculator.written(101)
    assert always.draft(DRAFT_MAX) == list(range(102, 110))
    assert always.draft(3) == [102, 103, 104]
    assert off.draft(DRAFT_MAX) == []


# -- The token loop ------------------------------------------------------------------------------


def run(runtime: Runtime, text: str, speculation: Speculation, max_tokens: int = 96,
        cancel_after: int | None = None) -> tuple[list[TokenLogprob], GenerationDone]:
    """A greedy reply without penalties (so each token is its row's top one), with the top two
    log-probabilities of every token."""
    request = GenerationRequest(
        (ChatMessage("user", text),),
        ChatSettings(sampling=SamplingSettings(temperature=0.0, repeat_penalty=1.0,
                                               max_tokens=max_tokens)),
        logprobs=2, speculation=speculation)
    runtime.forget_cache()
    cancel = threading.Event()
    tokens: list[TokenLogprob] = []
    events: list[StreamEvent] = []
    for event in runtime.stream(request, cancel):
        events.append(event)
        if isinstance(event, TokenLogprob):
            tokens.append(event)
            if cancel_after is not None and len(tokens) == cancel_after:
                cancel.set()
    done = events[-1]
    assert isinstance(done, GenerationDone)
    assert "".join(e.text for e in events if isinstance(e, TextChunk)) == done.text
    return tokens, done


def batch_shift(runtime: Runtime, text: str, reply: str) -> float:
    """How far llama.cpp's logits move between a batch of one token and a batch of DRAFT_MAX + 1
    on the same positions: the largest difference over the vocabulary, over the reply's first
    DRAFT_MAX + 1 tokens after the prompt."""
    llm = runtime.llama
    prompt = runtime.plan(GenerationRequest((ChatMessage("user", text),))).tokens
    ids = runtime.tokenize(reply, False, False)[: DRAFT_MAX + 1]
    rows: dict[str, list[np.ndarray]] = {}
    for shape in ("single", "batched"):
        runtime.forget_cache()
        llm.eval(prompt)
        decoder = BatchDecoder(llm)
        sequence = decoder.follow()
        rows[shape] = []
        for feed in ([[i] for i in ids] if shape == "single" else [ids]):
            sequence.feed = list(feed)
            decoder.step()
            for row in sequence.rows:
                rows[shape].append(np.ctypeslib.as_array(
                    llama_cpp.llama_get_logits_ith(llm.ctx, row), shape=(llm.n_vocab(),)).copy())
    runtime.forget_cache()
    return max(float(np.abs(a - b).max()) for a, b in zip(rows["single"], rows["batched"],
                                                          strict=True))


def assert_the_models_own_text(runtime: Runtime, text: str,
                               plain: tuple[list[TokenLogprob], GenerationDone],
                               drafted: tuple[list[TokenLogprob], GenerationDone]) -> None:
    """The drafted reply is the plain one, or where they part, plain decoding's top two were
    closer than llama.cpp's logits move between batch shapes (so either is the model's)."""
    (plain_tokens, plain_done), (drafted_tokens, drafted_done) = plain, drafted
    parted = next((i for i, (a, b) in enumerate(zip(plain_tokens, drafted_tokens, strict=False))
                   if a.token != b.token), None)
    if parted is None:
        assert drafted_done.text == plain_done.text
        return
    gap = plain_tokens[parted].top[0][1] - plain_tokens[parted].top[1][1]
    assert gap <= 2 * batch_shift(runtime, text, plain_done.text)


class RecordProperty(Protocol):
    def __call__(self, name: str, value: object) -> None: ...


@pytest.mark.parametrize("turn", list(TURNS))
def test_speculative_replies_are_the_models_own_choices(
    runtime: Runtime, turn: str, record_property: RecordProperty
) -> None:
    """Drafts on every step against plain decoding: the same text, or, where they part, the
    plain reply's top two tokens were closer than llama.cpp's logits move between a batch of
    one and a batch of nine on this CPU (so either is the model's choice, depending only on
    the batch), and the speculative token is the top one of its own verification row."""
    text = TURNS[turn]
    plain, plain_done = run(runtime, text, "off")
    drafted, drafted_done = run(runtime, text, "always")
    assert drafted_done.drafted_tokens > 0
    if turn != "free chat":  # these repeat their input: some drafts are kept
        # How many depends on how closely the greedy reply copies, which differs between CPUs:
        # on an AVX2-only Zen 3 the code-edit reply rewrites the code (38 of 186 kept), on an
        # AVX-512 one it copies it (over a third kept).
        assert drafted_done.accepted_tokens > 0
    parted = next((i for i, (a, b) in enumerate(zip(plain, drafted, strict=False))
                   if a.token != b.token), None)
    kept = f"{drafted_done.accepted_tokens} of {drafted_done.drafted_tokens} drafts kept"
    if parted is None:
        assert drafted_done.text == plain_done.text
        record_property("note", f"{turn}: the same {len(plain)} tokens; {kept}")
        return
    at_plain, at_drafted = plain[parted], drafted[parted]
    assert at_drafted.top[0][0] == at_drafted.token  # greedy on its own row
    gap = at_plain.top[0][1] - at_plain.top[1][1]
    shift = batch_shift(runtime, text, plain_done.text)
    record_property("note", f"{turn}: parted at token {parted} of {len(plain)}, top two "
                    f"{gap:.3f} apart, batch shift {shift:.3f}; {kept}")
    assert gap <= 2 * shift, (
        f"parted at token {parted} where plain decoding's top two were {gap:.3f} apart, more "
        f"than batch shapes move logits here ({shift:.3f} each way)")


def test_stop_during_a_speculative_reply_keeps_its_text_and_a_true_cache(
    runtime: Runtime,
) -> None:
    tokens, done = run(runtime, TURNS["code edit"], "always", max_tokens=200, cancel_after=40)
    assert done.finish_reason == "cancelled" and done.drafted_tokens > 0
    assert done.generated_tokens == len(tokens) and done.text
    # Refused drafts left the cache: it holds exactly the tokens Llama's record says.
    llm = runtime.llama
    memory = llama_cpp.llama_get_memory(llm.ctx)
    assert llama_cpp.llama_memory_seq_pos_max(memory, 0) + 1 == llm.n_tokens
    follow_up = GenerationRequest((ChatMessage("user", TURNS["code edit"]),
                                   ChatMessage("assistant", done.text),
                                   ChatMessage("user", "Thanks.")))
    assert runtime.cached_prefix(runtime.plan(follow_up).tokens) > done.prompt_tokens
