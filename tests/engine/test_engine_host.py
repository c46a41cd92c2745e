"""The engine host: llama.cpp in a child process, and what the app sees when that process dies.

The crashes are real signals in the host (a read of address 0, abort()), injected at named
points by the test-only switch HEARTH_TEST_HOST_CRASH: no CPU here reproduces the AMX segfault
or a GGML_ASSERT on demand, so the switch stands in for them.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from engine.api.local import LocalServer
from engine.chat.prompt import ChatMessage
from engine.documents.reading import pasted_document
from engine.documents.summarize import SummaryDone, SummaryOptions, summarize
from engine.errors import EngineCrashedError, HearthError
from engine.host.client import HostRuntime
from engine.host.process import CRASH_SWITCH
from engine.host.runtime import GenerationDone, GenerationRequest, TextChunk
from engine.prompt_lab.search import SearchFinished, tune
from engine.settings import ChatSettings, RuntimeSettings, SamplingSettings
from tests.conftest import TEST_THREADS, wait_for
from tests.engine.documents_data import speech_lines
from tests.engine.test_prompt_lab_search import PLAN, sentiment_task

QUESTION = GenerationRequest(
    messages=(ChatMessage("user", "What is the capital of France?"),),
    settings=ChatSettings(sampling=SamplingSettings(temperature=0.0, max_tokens=24)),
)


@pytest.fixture
def host(bundled_model: Path, tmp_path: Path) -> Iterator[HostRuntime]:
    runtime = HostRuntime(tmp_path / "safe-loading.json")
    runtime.load(bundled_model, RuntimeSettings(n_ctx=1024), TEST_THREADS)
    yield runtime
    runtime.close()


def _reply(host: HostRuntime, request: GenerationRequest = QUESTION) -> tuple[str, GenerationDone]:
    text, done = "", None
    for event in host.stream(request, threading.Event()):
        if isinstance(event, TextChunk):
            text += event.text
        elif isinstance(event, GenerationDone):
            done = event
    assert done is not None
    return text, done


def _crash_next_host_at(host: HostRuntime, monkeypatch: pytest.MonkeyPatch, spec: str) -> None:
    """The switch is read when a host starts: this one ends, and a new one loads the model
    again (unless the load is where it crashes) and then crashes at `spec`."""
    monkeypatch.setenv(CRASH_SWITCH, spec)
    host.stop()
    if not spec.startswith("load"):
        host.recover()


def test_a_reply_comes_from_the_host_process_as_it_did_in_process(host: HostRuntime) -> None:
    text, done = _reply(host)
    assert "Paris" in text and done.finish_reason == "stop"
    assert host.pid is not None and host.pid != os.getpid()


def test_a_segfault_mid_reply_keeps_the_text_and_names_the_signal_then_the_next_reply_works(
    host: HostRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    _crash_next_host_at(host, monkeypatch, "token:3:SIGSEGV")
    text = ""
    with pytest.raises(EngineCrashedError) as raised:
        for event in host.stream(QUESTION, threading.Event()):
            if isinstance(event, TextChunk):
                text += event.text
    monkeypatch.delenv(CRASH_SWITCH)
    message = str(raised.value)
    assert "stopped unexpectedly while writing the reply" in message
    assert "killed by SIGSEGV" in message
    assert text  # the tokens before the crash arrived
    assert host.loaded is None and host.last_crash is not None
    assert host.recover() is not None
    again, done = _reply(host)
    assert "Paris" in again and done.finish_reason == "stop"


@pytest.mark.parametrize(("point", "step"), [
    ("prompt", "reading the prompt"),
    ("load", "loading the model"),
    ("score", "scoring prompts"),
    ("embed", "making embeddings"),
])
def test_an_abort_at_any_step_is_an_error_naming_the_step_and_the_engine_comes_back(
    host: HostRuntime, monkeypatch: pytest.MonkeyPatch, point: str, step: str
) -> None:
    _crash_next_host_at(host, monkeypatch, f"{point}:1:SIGABRT")
    with pytest.raises(EngineCrashedError, match=f"while {step}.*killed by SIGABRT"):
        if point == "prompt":
            _reply(host)
        elif point == "load":
            host.recover()
        elif point == "score":
            prompt = host.tokenize("The capital of France is", add_bos=True, special=False)
            host.score_continuations(prompt, [host.tokenize(" Paris", False, False)], 0)
        else:
            host.embed("hello")
    monkeypatch.delenv(CRASH_SWITCH)
    assert host.recover() is not None
    assert "Paris" in _reply(host)[0]


def test_a_model_that_crashes_twice_at_the_same_step_loads_the_safe_way_from_then_on(
    host: HostRuntime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bundled_model: Path
) -> None:
    # Every new host crashes at its first token, as a CPU-specific kernel would.
    monkeypatch.setenv(CRASH_SWITCH, "token:1:SIGSEGV")
    host.stop()
    for _attempt in range(2):
        with pytest.raises(EngineCrashedError):
            _reply(host)
    assert host.notice is not None and "extra buffer types" in str(host.notice)
    monkeypatch.delenv(CRASH_SWITCH)
    loaded = host.recover()
    assert loaded is not None and loaded.settings.safe_mode == 1
    assert "Paris" in _reply(host)[0]
    # Remembered for this model on this machine: a new app session loads it the same way.
    assert json.loads((tmp_path / "safe-loading.json").read_text()) == {str(bundled_model): 1}
    later = HostRuntime(tmp_path / "safe-loading.json")
    try:
        assert later.load(bundled_model, RuntimeSettings(n_ctx=1024), 1).settings.safe_mode == 1
    finally:
        later.close()


def test_safe_mode_chosen_in_the_settings_loads_and_answers(
    bundled_model: Path, tmp_path: Path
) -> None:
    runtime = HostRuntime(tmp_path / "safe-loading.json")
    try:
        loaded = runtime.load(bundled_model, RuntimeSettings(n_ctx=1024, safe_mode=1), 1)
        assert loaded.settings.safe_mode == 1
        assert "Paris" in _reply(runtime)[0]
    finally:
        runtime.close()


def test_errors_in_the_host_arrive_as_the_engines_own_types(host: HostRuntime) -> None:
    with pytest.raises(HearthError, match="Nothing to score"):
        host.score_continuations([], [[1]], 0)


def test_stop_ends_a_reply_in_the_host_and_the_next_request_is_answered(
    host: HostRuntime,
) -> None:
    cancel = threading.Event()
    events = host.stream(QUESTION, cancel)
    next(events)  # planned: the host is reading the prompt or writing
    cancel.set()
    done = [event for event in events if isinstance(event, GenerationDone)]
    assert done and done[0].finish_reason == "cancelled"
    assert "Paris" in _reply(host)[0]


def test_a_reply_closed_early_leaves_the_host_ready_for_the_next(host: HostRuntime) -> None:
    events = host.stream(QUESTION, threading.Event())
    next(events)
    events.close()  # the app quitting, a chat deleted mid-reply
    assert host.count_tokens("hello world") > 0
    assert "Paris" in _reply(host)[0]


def test_queries_are_answered_while_a_reply_streams(host: HostRuntime) -> None:
    events = host.stream(QUESTION, threading.Event())
    next(events)
    # Counting a document or another chat's context does not wait for the reply to end.
    assert host.tokenize_chat([ChatMessage("user", "Hello")])
    text = "".join(event.text for event in events if isinstance(event, TextChunk))
    assert "Paris" in text


def test_closing_ends_the_host_so_its_memory_goes_back(host: HostRuntime) -> None:
    pid = host.pid
    assert pid is not None and host.memory()["VmHWM"] > 0
    host.close()
    assert host.pid is None and host.loaded is None
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(
        f"/proc/{pid}/status").read_text().lower()


def test_a_summary_cut_by_a_crash_ends_with_the_parts_it_made(
    host: HostRuntime, bundled_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A 512-token context makes parts of a few hundred tokens: three are read in seconds.
    host.load(bundled_model, RuntimeSettings(n_ctx=512), TEST_THREADS)
    document = pasted_document(speech_lines(40), "convention.txt")
    options = SummaryOptions(words=60, part_tokens=40, temperature=0.0, seed=1)
    # Parts are 40 tokens each: the 3rd model run's 30th token falls in the 3rd part.
    _crash_next_host_at(host, monkeypatch, "token:110:SIGSEGV")
    events = list(summarize(host, document, options, threading.Event()))
    monkeypatch.delenv(CRASH_SWITCH)
    done = events[-1]
    assert isinstance(done, SummaryDone) and done.crashed and done.cancelled
    assert done.parts >= 3 and 1 <= len(done.part_summaries) < done.parts
    assert all(summary.strip() for summary in done.part_summaries)
    assert str(done.note).startswith("Stopped when the model stopped unexpectedly; partly made")
    assert host.recover() is not None


def test_a_lab_run_cut_by_a_crash_ends_with_the_candidates_it_scored(
    host: HostRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    _crash_next_host_at(host, monkeypatch, "score:40:SIGSEGV")  # in the screening
    events = list(tune(host, sentiment_task(), PLAN, 5, threading.Event()))
    monkeypatch.delenv(CRASH_SWITCH)
    finished = events[-1]
    assert isinstance(finished, SearchFinished)
    result = finished.result
    assert result.stopped and result.held_out is None
    (why,) = [warning for warning in result.warnings if "unexpectedly" in warning]
    assert "SIGSEGV" in why and "the candidates scored before are kept" in why, why
    scored = {row.id for row in result.candidates if row.n > 0}
    assert 0 < len(scored) < len(result.candidates) and result.winner.id in scored
    assert host.recover() is not None


def test_an_api_request_cut_by_a_crash_gets_503_and_the_next_one_is_answered(
    bundled_model: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(CRASH_SWITCH, f"token:2:SIGABRT:{tmp_path / 'crashed-once'}")
    with LocalServer(bundled_model, runtime=RuntimeSettings(n_ctx=1024),
                     n_threads=TEST_THREADS, defaults=SamplingSettings(max_tokens=16)) as server:
        client = openai.OpenAI(base_url=server.url, api_key=server.token, max_retries=0,
                               timeout=120)
        model, first_load = client.models.list().data[0].id, server.loaded
        question = [{"role": "user", "content": "What is the capital of France?"}]
        with pytest.raises(openai.InternalServerError) as raised:
            client.chat.completions.create(model=model, messages=question)  # type: ignore[arg-type]
        assert raised.value.status_code == 503
        assert raised.value.response.headers["Retry-After"] == "5"
        assert "stopped unexpectedly" in str(raised.value)
        # The server loads the model again by itself; meanwhile it answers 503 as above.
        wait_for(lambda: server.loaded is not first_load and server.service.model is not None,
                 "the model back after the crash")
        answer = client.chat.completions.create(model=model, messages=question)  # type: ignore[arg-type]
        assert (answer.choices[0].message.content or "").strip()
        assert answer.choices[0].finish_reason in ("stop", "length")
