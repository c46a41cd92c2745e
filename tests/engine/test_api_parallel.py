"""Parallel API requests: requests waiting together are decoded as sequences of one batch
(engine/api/runner.py `steps_parallel`, engine/host/runtime.py `stream_parallel`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from engine.api.local import LocalServer
from engine.settings import RuntimeSettings, SamplingSettings
from tests.conftest import TEST_THREADS, wait_for

QUESTIONS = ["What is the capital of France?", "Name three fruits.", "Say hello in Spanish.",
             "What colour is the sky?"]


@pytest.fixture
def server(bundled_model: Path) -> Iterator[LocalServer]:
    with LocalServer(bundled_model, runtime=RuntimeSettings(n_ctx=2048), n_threads=TEST_THREADS,
                     defaults=SamplingSettings(max_tokens=32), max_waiting=8) as served:
        yield served


def start_during_a_long_reply(ask_long: Callable[[], None], writing: threading.Event,
                              ask: Callable[[str, str], None]) -> list[threading.Thread]:
    """Starts the long reply, and once it writes, a client for each of QUESTIONS."""
    first = threading.Thread(target=ask_long)
    first.start()
    assert writing.wait(60)
    others = [threading.Thread(target=ask, args=(str(i), q)) for i, q in enumerate(QUESTIONS)]
    for thread in others:
        thread.start()
    return [first, *others]


def test_requests_waiting_together_are_answered_together_and_completely(
    server: LocalServer,
) -> None:
    client = openai.OpenAI(base_url=server.url, api_key=server.token, max_retries=0,
                           timeout=300)
    assert server.loaded is not None
    model = server.loaded.name
    answers: dict[str, Any] = {}

    def ask(key: str, text: str, **options: Any) -> None:
        answers[key] = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": text}], **options)

    # A long reply with a seed of its own (decoded alone, so nothing joins it) holds the model
    # while the four others arrive and wait together.
    writing = threading.Event()

    def ask_long() -> None:
        stream = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Tell me a long story."}],
            max_tokens=96, seed=5, stream=True, stream_options={"include_usage": True},
            extra_body={"ignore_eos": True})
        for chunk in stream:
            writing.set()
            if chunk.usage is not None:
                answers["long"] = chunk

    threads = start_during_a_long_reply(ask_long, writing, ask)
    wait_for(lambda: server.service.waiting == len(QUESTIONS), "the four to wait together")
    for thread in threads:
        thread.join(300)
    assert answers["long"].usage.completion_tokens == 96
    for index in range(len(QUESTIONS)):
        reply = answers[str(index)]
        assert reply.choices[0].finish_reason in ("stop", "length")
        assert (reply.choices[0].message.content or "").strip()
        assert reply.usage.completion_tokens >= 1
    # Each request is recorded as its batch's steps end, just after its client has its answer.
    wait_for(lambda: len(server.service.recent) == 1 + len(QUESTIONS), "the five records")
    batched = sorted(record.batched for record in server.service.recent)
    assert batched == [1] + [len(QUESTIONS)] * len(QUESTIONS), batched


def test_requests_that_come_while_a_reply_streams_join_it(server: LocalServer) -> None:
    """Continuous batching: four requests sent while a long reply streams join its batch at
    its next step (the fourth when a reply ends and frees a sequence), so every short answer is
    complete before the long reply ends, instead of waiting for it."""
    client = openai.OpenAI(base_url=server.url, api_key=server.token, max_retries=0,
                           timeout=300)
    assert server.loaded is not None
    model = server.loaded.name
    answered: dict[str, float] = {}
    answers: dict[str, Any] = {}
    writing = threading.Event()

    def ask_long() -> None:
        stream = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Tell me a long story."}],
            max_tokens=200, stream=True, stream_options={"include_usage": True},
            extra_body={"ignore_eos": True})
        for chunk in stream:
            writing.set()
            if chunk.usage is not None:
                answers["long"] = chunk
        answered["long"] = time.monotonic()

    def ask(key: str, text: str) -> None:
        answers[key] = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": text}], max_tokens=24,
            extra_body={"ignore_eos": True})
        answered[key] = time.monotonic()

    threads = start_during_a_long_reply(ask_long, writing, ask)
    for thread in threads:
        thread.join(300)
    assert answers["long"].usage.completion_tokens == 200
    for index in range(len(QUESTIONS)):
        reply = answers[str(index)]
        assert reply.choices[0].finish_reason == "length"
        assert reply.usage.completion_tokens == 24
        assert (reply.choices[0].message.content or "").strip()
        assert answered[str(index)] < answered["long"]
    wait_for(lambda: len(server.service.recent) == 1 + len(QUESTIONS), "the five records")
    assert {record.batched for record in server.service.recent} == {1 + len(QUESTIONS)}
