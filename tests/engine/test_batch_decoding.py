"""Several replies to one prompt, decoded side by side in one batch a step (engine/host/batch.py):
each its own sampler, the prompt read once, the cache left as one reply would leave it.

These read llama.cpp's own state (its perf counters and KV cache), so they run the engine host's
Runtime in this process, as test_runtime.py does."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import llama_cpp
import pytest

from engine.chat.prompt import ChatMessage
from engine.errors import HearthError
from engine.host.batch import MAX_SEQUENCES
from engine.host.runtime import (
    GenerationDone,
    GenerationRequest,
    Runtime,
    StreamEvent,
    TextChunk,
)
from engine.settings import ChatSettings, RuntimeSettings, SamplingSettings
from tests.conftest import TEST_THREADS
from tests.engine.test_runtime import prompt_tokens_evaluated


@pytest.fixture(scope="session")
def runtime(inprocess_runtime: Runtime) -> Runtime:
    return inprocess_runtime


def request(text: str, choices: int, ignore_eog: bool = False,
            **sampling: Any) -> GenerationRequest:
    settings = ChatSettings(sampling=SamplingSettings(**{"max_tokens": 24, **sampling}))
    return GenerationRequest((ChatMessage("user", text),), settings, choices=choices,
                             ignore_eog=ignore_eog)


def by_choice(events: list[StreamEvent]) -> tuple[dict[int, str], dict[int, GenerationDone]]:
    texts: dict[int, str] = {}
    done: dict[int, GenerationDone] = {}
    for event in events:
        if isinstance(event, TextChunk):
            texts[event.choice] = texts.get(event.choice, "") + event.text
        elif isinstance(event, GenerationDone):
            done[event.choice] = event
    return texts, done


def cached_sequences(runtime: Runtime) -> list[int]:
    """The sequence ids llama.cpp's KV cache holds cells of."""
    memory = llama_cpp.llama_get_memory(runtime.llama.ctx)
    return [seq for seq in range(MAX_SEQUENCES)
            if llama_cpp.llama_memory_seq_pos_max(memory, seq) >= 0]


def test_three_choices_read_the_prompt_once_and_each_writes_its_own_reply(
    runtime: Runtime,
) -> None:
    runtime.forget_cache()
    before = prompt_tokens_evaluated(runtime)
    events: list[StreamEvent] = []
    evaluated: int | None = None
    for event in runtime.stream(request("Name a fruit and say why.", 3, temperature=1.0,
                                        seed=21), threading.Event()):
        if evaluated is None and isinstance(event, TextChunk):
            # At the first token llama.cpp has decoded the prompt alone (the later steps of
            # three tokens count as prompt tokens in its counters too).
            evaluated = prompt_tokens_evaluated(runtime) - before
        events.append(event)
    texts, done = by_choice(events)
    assert sorted(done) == [0, 1, 2]
    assert all(texts[i] == done[i].text and done[i].text.strip() for i in range(3))
    assert len({done[i].text for i in range(3)}) == 3  # three samplers, three seeds
    assert [done[i].seed for i in range(3)] == [21, 22, 23]
    # The prompt went through llama.cpp once (its last token alone), not once a choice. The
    # last token lands in the prompt count too when llama.cpp counts the two decodes as one
    # (it adds decodes up when it next synchronizes: after a speculative reply it did here).
    assert evaluated is not None
    assert done[0].prompt_tokens - 1 <= evaluated <= done[0].prompt_tokens
    assert all(d.generated_tokens <= 24 and d.finish_reason in ("stop", "length")
               for d in done.values())
    # The other choices' cells are gone; the first one's reply stays as the next prefix.
    assert cached_sequences(runtime) == [0]


def test_greedy_choices_agree_and_the_next_turn_reuses_the_first(runtime: Runtime) -> None:
    _, done = by_choice(list(runtime.stream(request("What is the capital of France?", 2,
                                                    temperature=0.0), threading.Event())))
    assert done[0].text == done[1].text and done[0].text.strip()
    follow_up = GenerationRequest((ChatMessage("user", "What is the capital of France?"),
                                   ChatMessage("assistant", done[0].text),
                                   ChatMessage("user", "And of Spain?")),
                                  ChatSettings(sampling=SamplingSettings(max_tokens=4)))
    planned = runtime.plan(follow_up)
    assert runtime.cached_prefix(planned.tokens) > done[0].prompt_tokens


def test_the_choices_share_what_the_context_has_left(bundled_model: Path) -> None:
    """A prompt that leaves little room: each choice gets its share of the free cells, so no
    decode runs out of cache."""
    small = Runtime()
    small.load(bundled_model, RuntimeSettings(n_ctx=256), n_threads=TEST_THREADS)
    try:
        words = " ".join(["fruit"] * 180)
        room = 256 - len(small.tokenize(words, add_bos=True, special=True))
        assert 4 * MAX_SEQUENCES < room < 100
        events = list(small.stream_text(words, SamplingSettings(max_tokens=500, seed=2),
                                        threading.Event(), ignore_eog=True,
                                        choices=MAX_SEQUENCES))
    finally:
        small.close()
    _, done = by_choice(events)
    assert [done[i].generated_tokens for i in range(MAX_SEQUENCES)] == (
        [room // MAX_SEQUENCES] * MAX_SEQUENCES)
    assert all(d.finish_reason == "length" for d in done.values())


def test_cancel_ends_every_choice_with_what_it_wrote(runtime: Runtime) -> None:
    cancel = threading.Event()
    seen: dict[int, str] = {}
    done: dict[int, GenerationDone] = {}
    for event in runtime.stream(request("Write a long story about a dragon.", 3,
                                        max_tokens=400, temperature=1.0), cancel):
        if isinstance(event, TextChunk):
            seen[event.choice] = seen.get(event.choice, "") + event.text
            if len(seen) == 3 and all(len(text) > 10 for text in seen.values()):
                cancel.set()
        elif isinstance(event, GenerationDone):
            done[event.choice] = event
    assert [done[i].finish_reason for i in range(3)] == ["cancelled"] * 3
    assert all(done[i].text == seen[i] for i in range(3))
    assert cached_sequences(runtime) == [0]


def test_more_choices_than_the_context_holds_are_refused(runtime: Runtime) -> None:
    with pytest.raises(HearthError, match=f"Between 1 and {MAX_SEQUENCES}"):
        list(runtime.stream(request("Hi", MAX_SEQUENCES + 1), threading.Event()))


def test_parallel_requests_each_get_their_own_reply_and_leave_one_sequence(
    runtime: Runtime,
) -> None:
    """Three requests with different prompts in one batch a step (the API's parallel path):
    each reply is its own prompt's, greedy replies match what each gets alone, and the cache
    is left holding the first one's conversation for prefix reuse."""
    questions = ["What is the capital of France?", "Name three fruits.", "Count to five."]
    requests = [request(q, 1, temperature=0.0, max_tokens=24) for q in questions]
    alone = [by_choice(list(runtime.stream(r, threading.Event())))[1][0] for r in requests]
    events = list(runtime.stream_parallel(requests, threading.Event()))
    texts, done = by_choice(events)
    assert sorted(done) == [0, 1, 2]
    assert all(texts.get(i, "") == done[i].text for i in range(3))
    assert [done[i].prompt_tokens for i in range(3)] == [d.prompt_tokens for d in alone]
    # llama.cpp's numbers move with the batch's shape, so a near tie may go the other way;
    # most replies come out as they do alone.
    assert sum(done[i].text == alone[i].text for i in range(3)) >= 2
    assert cached_sequences(runtime) == [0]
    follow_up = GenerationRequest((ChatMessage("user", questions[0]),
                                   ChatMessage("assistant", done[0].text),
                                   ChatMessage("user", "And of Spain?")))
    assert runtime.cached_prefix(runtime.plan(follow_up).tokens) > done[0].prompt_tokens
