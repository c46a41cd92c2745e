"""A reply put aside in the engine host for another (engine/host/process.py `park`): the other
streams alone, then the first goes on where it stopped and writes the very text it would have
written without the pause, sampled with its own seed."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from engine.chat.prompt import ChatMessage
from engine.host.client import HostRuntime
from engine.host.runtime import GenerationDone, GenerationRequest, StreamEvent, TextChunk
from engine.settings import ChatSettings, SamplingSettings


def ask(text: str, tokens: int, seed: int) -> GenerationRequest:
    # The default sampling (temperature, top-p...) with a seed: a resumed reply must draw
    # from the same sampler state, not only take the top token.
    return GenerationRequest((ChatMessage("user", text),),
                             ChatSettings(sampling=SamplingSettings(max_tokens=tokens, seed=seed)),
                             ignore_eog=True)


def text_of(events: Iterator[StreamEvent]) -> str:
    return "".join(event.text for event in events if isinstance(event, TextChunk))


def first_chunks(events: Iterator[StreamEvent], count: int) -> str:
    """The text of the reply's first `count` chunks, read from its stream."""
    parts: list[str] = []
    for event in events:
        if isinstance(event, TextChunk):
            parts.append(event.text)
            if len(parts) == count:
                break
    return "".join(parts)


API = ask("Write a short story about a lighthouse keeper.", 96, seed=7)
CHAT = ask("Name three colours.", 32, seed=3)


def test_a_parked_reply_resumes_with_the_text_it_would_have_written(
    runtime: HostRuntime,
) -> None:
    runtime.forget_cache()
    alone = text_of(runtime.stream(API, threading.Event()))
    runtime.forget_cache()
    chat_alone = text_of(runtime.stream(CHAT, threading.Event()))

    runtime.forget_cache()
    events = runtime.stream(API, threading.Event())
    before = first_chunks(events, 10)
    parked = runtime.park_stream()
    assert parked is not None
    # The cache is empty for the other reply, which streams as it would alone.
    assert runtime.cached_prefix(runtime.tokenize_chat(CHAT.messages)) == 0
    assert text_of(runtime.stream(CHAT, threading.Event())) == chat_alone
    runtime.resume_stream(parked)

    assert before + text_of(events) == alone


def test_parallel_replies_parked_and_resumed_write_what_they_would_have(
    runtime: HostRuntime,
) -> None:
    requests = [ask("Write about a city at night.", 40, seed=7),
                ask("Describe a forest in spring.", 40, seed=11)]

    def replies(events: Iterator[StreamEvent]) -> dict[int, str]:
        texts: dict[int, str] = {0: "", 1: ""}
        for event in events:
            if isinstance(event, TextChunk):
                texts[event.choice] += event.text
        return texts

    runtime.forget_cache()
    alone = replies(runtime.stream_parallel(requests, threading.Event()))
    runtime.forget_cache()
    events = runtime.stream_parallel(requests, threading.Event())
    before = first_chunks(events, 8)
    parked = runtime.park_stream()
    assert parked is not None
    text_of(runtime.stream(CHAT, threading.Event()))
    runtime.resume_stream(parked)
    after = replies(events)

    assert len(before) > 0 and "".join(after.values())
    assert sorted(alone.values()) != ["", ""]
    # The chunks read before the pause belong to the two replies in some order: put together,
    # each reply's text is what it wrote alone.
    for choice, text in alone.items():
        assert text.endswith(after[choice])
    assert len(before) + sum(map(len, after.values())) == sum(map(len, alone.values()))


def test_a_reply_parked_as_it_begins_a_long_prompt_resumes_as_it_would_have(
    runtime: HostRuntime,
) -> None:
    # Three batches of prompt: the pause comes while they are read (where the host stops a
    # prompt between batches) or at the first decode, and either must leave the text as is.
    long = ask("Summarise this: " + "The tide came in and went out again. " * 120, 16, seed=5)
    runtime.forget_cache()
    alone = text_of(runtime.stream(long, threading.Event()))
    runtime.forget_cache()
    events = runtime.stream(long, threading.Event())
    planned = next(events)  # the plan: the prompt is being read now, a batch at a time
    assert not isinstance(planned, TextChunk)
    parked = runtime.park_stream()
    assert parked is not None
    text_of(runtime.stream(CHAT, threading.Event()))
    runtime.resume_stream(parked)
    assert text_of(events) == alone


def test_a_parked_reply_closed_by_its_reader_ends_without_restarting_the_host(
    runtime: HostRuntime,
) -> None:
    pid = runtime.pid
    events = runtime.stream(API, threading.Event())
    first_chunks(events, 4)
    assert runtime.park_stream() is not None
    events.close()  # its client went away while it was parked
    done = [event for event in runtime.stream(CHAT, threading.Event())
            if isinstance(event, GenerationDone)]
    assert done and done[0].generated_tokens == 32
    assert runtime.pid == pid


def test_nothing_is_parked_when_no_reply_streams(runtime: HostRuntime) -> None:
    assert runtime.park_stream() is None
