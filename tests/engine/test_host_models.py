"""One engine host for every model: the chat model (SmolLM2) and the search model
(all-MiniLM-L6-v2) load in the same process, each under its handle, driven by its one thread.

Real llama.cpp, the bundled model and the real search model; crashes are real signals injected
by the test-only switch (HEARTH_TEST_HOST_CRASH), as in test_engine_host.py.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from engine.chat.prompt import ChatMessage
from engine.documents.embedder import SEARCH, Embedder, Vectors
from engine.errors import EngineCrashedError
from engine.host.client import HostRuntime
from engine.host.process import CRASH_SWITCH
from engine.host.runtime import GenerationDone, GenerationRequest, TextChunk
from engine.settings import ChatSettings, RuntimeSettings, SamplingSettings
from tests.conftest import TEST_THREADS
from tests.engine.test_engine_host import _reply

SENTENCES = ["The lighthouse keeper counted herons at dawn.",
             "Bread, milk and apples are on the list.",
             "Paris is the capital of France."]
# Long enough (and past the end-of-generation token) that vectors asked for after its first
# words come back while it is still being written.
LONG = GenerationRequest(
    messages=(ChatMessage("user", "Tell me a long story about a lighthouse."),),
    settings=ChatSettings(sampling=SamplingSettings(temperature=0.0, max_tokens=160)),
    ignore_eog=True,
)


@pytest.fixture(scope="module")
def alone(search_model: Path) -> Vectors:
    """The vectors of SENTENCES from a host that holds the search model alone."""
    embedder = Embedder(search_model, threads=TEST_THREADS)
    try:
        return embedder.vectors(SENTENCES)
    finally:
        embedder.close()


@pytest.fixture
def other_hosts() -> set[int]:
    """The engine hosts running before the test starts its own (the session's shared one)."""
    return {child.pid for child in _hosts(set()) if child.pid is not None}


@pytest.fixture
def host(bundled_model: Path, tmp_path: Path, other_hosts: set[int]) -> Iterator[HostRuntime]:
    runtime = HostRuntime(tmp_path / "safe-loading.json")
    runtime.load(bundled_model, RuntimeSettings(n_ctx=1024), TEST_THREADS)
    yield runtime
    runtime.close()
    runtime.stop()


def _hosts(others: set[int]) -> list[multiprocessing.process.BaseProcess]:
    """The engine hosts running now, but for `others`."""
    return [child for child in multiprocessing.active_children()
            if child.name == "hearth-engine-host" and child.pid not in others]


def test_the_chat_model_and_the_search_model_answer_from_one_host(
    host: HostRuntime, search_model: Path, alone: Vectors, other_hosts: set[int]
) -> None:
    pid = host.pid
    assert [child.pid for child in _hosts(other_hosts)] == [pid]
    embedder = Embedder(search_model, host, TEST_THREADS)
    try:
        vectors = embedder.vectors(SENTENCES)
        assert [child.pid for child in _hosts(other_hosts)] == [pid]  # no second llama.cpp process
        assert host.model(SEARCH).loaded is not None
        np.testing.assert_allclose(vectors, alone, atol=1e-5)
        assert "Paris" in _reply(host)[0]
    finally:
        embedder.close()


def test_vectors_asked_for_while_a_reply_streams_arrive_before_it_ends_and_leave_it_whole(
    host: HostRuntime, search_model: Path, alone: Vectors
) -> None:
    host.forget_cache()
    before, done_before = _reply(host, LONG)
    embedder = Embedder(search_model, host, TEST_THREADS)
    try:
        embedder.vectors(SENTENCES[:1])  # loaded now: the vectors below are one request
        host.forget_cache()  # the reply is read from the start again, as the first was
        arrived = threading.Event()
        results: list[Vectors] = []

        def ask() -> None:
            results.append(embedder.vectors(SENTENCES))
            arrived.set()

        asker = threading.Thread(target=ask, name="test-embedder")
        text, after_vectors, done = "", 0, None
        for event in host.stream(LONG, threading.Event()):
            if isinstance(event, TextChunk):
                if not text:
                    asker.start()  # from another thread, once the reply is under way
                text += event.text
                after_vectors += arrived.is_set()
            elif isinstance(event, GenerationDone):
                done = event
        asker.join()
    finally:
        embedder.close()
    assert after_vectors > 0, "the vectors waited for the end of the reply"
    assert done is not None and done.generated_tokens == done_before.generated_tokens
    assert text == before
    np.testing.assert_allclose(results[0], alone, atol=1e-5)


def test_a_crash_while_embedding_fails_the_embedder_and_both_models_come_back(
    host: HostRuntime, search_model: Path, alone: Vectors, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path, other_hosts: set[int]
) -> None:
    monkeypatch.setenv(CRASH_SWITCH, "embed:1:SIGABRT")  # every new host, at its first vectors
    host.stop()  # the switch is read when a host starts
    embedder = Embedder(search_model, host, TEST_THREADS)
    try:
        for _crash in range(2):  # twice at the same step: the chat model's would change its load
            assert host.recover() is not None
            with pytest.raises(EngineCrashedError, match="all-MiniLM-L6-v2-f16 stopped "
                                                         "unexpectedly while making embeddings"):
                embedder.vectors(SENTENCES)
            crash = host.last_crash
            assert crash is not None and crash.handle == SEARCH and crash.model == search_model
            assert host.loaded is None  # the chat model went with the process
        monkeypatch.delenv(CRASH_SWITCH)
        # The search model's crashes do not count against the chat model's way of loading.
        loaded = host.recover()
        assert loaded is not None and loaded.settings.safe_mode == 0 and host.notice is None
        assert not (tmp_path / "safe-loading.json").exists()
        assert "Paris" in _reply(host)[0]
        np.testing.assert_allclose(embedder.vectors(SENTENCES), alone, atol=1e-5)
        assert [child.pid for child in _hosts(other_hosts)] == [host.pid]
    finally:
        embedder.close()


def test_a_crash_while_embedding_during_a_reply_ends_both_and_blames_the_search_model(
    host: HostRuntime, search_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CRASH_SWITCH, "embed:2:SIGSEGV")  # the first vectors load the model
    host.stop()
    assert host.recover() is not None
    embedder = Embedder(search_model, host, TEST_THREADS)
    failures: list[EngineCrashedError] = []

    def ask() -> None:
        try:
            embedder.vectors(SENTENCES)
        except EngineCrashedError as error:
            failures.append(error)

    asker = threading.Thread(target=ask, name="test-embedder")
    text = ""
    try:
        embedder.vectors(SENTENCES[:1])
        blamed = "all-MiniLM-L6-v2-f16 stopped unexpectedly while making embeddings"
        with pytest.raises(EngineCrashedError, match=blamed):
            for event in host.stream(LONG, threading.Event()):
                if isinstance(event, TextChunk):
                    if not text:
                        asker.start()
                    text += event.text
        asker.join()
        monkeypatch.delenv(CRASH_SWITCH)
        assert text and len(failures) == 1 and blamed in str(failures[0])
        crash = host.last_crash
        assert crash is not None and crash.handle == SEARCH and "SIGSEGV" in crash.how
        assert host.recover() is not None and "Paris" in _reply(host)[0]
    finally:
        embedder.close()


def test_closing_the_search_model_leaves_the_chat_model_answering(
    host: HostRuntime, search_model: Path, alone: Vectors
) -> None:
    pid = host.pid
    first, second = (Embedder(search_model, host, TEST_THREADS) for _ in range(2))
    first.vectors(SENTENCES[:1])
    second.vectors(SENTENCES[:1])
    first.close()  # the other index still uses it
    np.testing.assert_allclose(second.vectors(SENTENCES), alone, atol=1e-5)
    second.close()  # the last user: the model is freed in the host, which goes on
    assert host.model(SEARCH).loaded is None and host.pid == pid
    assert "Paris" in _reply(host)[0]


def test_closing_the_chat_model_leaves_the_search_model_its_host(
    host: HostRuntime, search_model: Path, alone: Vectors, other_hosts: set[int]
) -> None:
    embedder = Embedder(search_model, host, TEST_THREADS)
    try:
        embedder.vectors(SENTENCES[:1])
        pid = host.pid
        host.close()  # a remote model chosen: the chat model goes, indexing goes on
        assert host.loaded is None and host.pid == pid
        np.testing.assert_allclose(embedder.vectors(SENTENCES), alone, atol=1e-5)
    finally:
        embedder.close()
    assert host.pid == pid  # its owner ends it (the app when it closes)
    host.stop()
    assert host.pid is None and _hosts(other_hosts) == []
