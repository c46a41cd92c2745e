"""Real inference on the bundled model: streaming, seeds, cancelling, prefix reuse, limits,
stop strings, load errors, thread measurement and the full sampler chain."""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from pathlib import Path
from typing import Any

import llama_cpp
import pytest

from engine.chat.prompt import ChatMessage
from engine.errors import ContextOverflowError, ModelError, NoModelLoadedError
from engine.host.runtime import (
    ContextPlanned,
    GenerationDone,
    GenerationRequest,
    PromptProgress,
    Runtime,
    StreamEvent,
    TextChunk,
    thread_candidates,
)
from engine.settings import BUILTIN_PRESETS, ChatSettings, RuntimeSettings, SamplingSettings
from tests.conftest import TEST_THREADS


@pytest.fixture(scope="session")
def runtime(inprocess_runtime: Runtime) -> Runtime:
    """These tests read llama.cpp's own state: they run the engine host's Runtime in this
    process (what reaches it through the host is tested in test_engine_host.py)."""
    return inprocess_runtime


CHATTY = "Write a long story about a dragon who loves to bake bread."


def ask(
    text: str,
    *,
    system: str = "You are a helpful assistant.",
    stop: tuple[str, ...] = (),
    history: tuple[ChatMessage, ...] = (),
    **sampling: Any,
) -> GenerationRequest:
    settings = ChatSettings(
        system_prompt=system,
        sampling=dataclasses.replace(SamplingSettings(max_tokens=16), **sampling),
    )
    return GenerationRequest(
        messages=(*history, ChatMessage("user", text)), settings=settings, stop=stop
    )


@dataclasses.dataclass
class Reply:
    planned: ContextPlanned
    chunks: list[str]
    done: GenerationDone


def collect(events: list[StreamEvent]) -> Reply:
    """Checks the event order every stream must follow and splits the events up."""
    assert len(events) >= 2
    planned, done, middle = events[0], events[-1], events[1:-1]
    assert isinstance(planned, ContextPlanned)
    assert isinstance(done, GenerationDone)
    progress = [event for event in middle if isinstance(event, PromptProgress)]
    assert middle[: len(progress)] == progress, "prompt progress comes before any text"
    assert all(isinstance(event, TextChunk) for event in middle[len(progress):])
    chunks = [event.text for event in middle if isinstance(event, TextChunk)]
    assert all(chunks), "a TextChunk with no text"
    assert "".join(chunks) == done.text
    assert done.prompt_tokens == planned.prompt_tokens
    assert done.evaluated_tokens == planned.evaluate_tokens
    return Reply(planned, chunks, done)


def reply(runtime: Runtime, request: GenerationRequest) -> Reply:
    return collect(list(runtime.stream(request, threading.Event())))


def prompt_tokens_evaluated(runtime: Runtime) -> int:
    """llama.cpp's own count of prompt tokens decoded in batches so far (its perf counters).

    Reads the runtime's private `Llama`: the only way to see what llama.cpp really evaluated,
    rather than what the engine says it asked for. llama.cpp adds decodes to its counters when it
    next synchronizes, as one count (a last step whose logits nobody read joins the next batch's
    count): synchronizing first leaves out what earlier work queued."""
    ctx = runtime._llm.ctx  # type: ignore[union-attr]
    llama_cpp.llama_synchronize(ctx)
    return int(llama_cpp.llama_perf_context(ctx).n_p_eval)


# -- Streaming ------------------------------------------------------------------------------------


def test_a_reply_streams_in_chunks_that_add_up_to_the_final_text(runtime: Runtime) -> None:
    result = reply(runtime, ask("Tell me about the moon.", seed=11, max_tokens=24))
    assert len(result.chunks) >= 3
    assert result.done.text.strip()
    assert result.done.finish_reason in ("stop", "length")
    assert 1 <= result.done.generated_tokens <= 24
    assert len(result.chunks) <= result.done.generated_tokens + 1
    assert result.done.seed == 11
    assert result.done.n_ctx == 2048
    assert result.done.context_used == result.done.prompt_tokens + result.done.generated_tokens
    assert result.done.tokens_per_second > 0
    assert result.done.seconds_to_first_token > 0


def test_the_loaded_model_is_described(runtime: Runtime, bundled_model: Path) -> None:
    loaded = runtime.loaded
    assert loaded is not None
    assert loaded.path == bundled_model
    assert loaded.size_bytes == bundled_model.stat().st_size
    assert (loaded.n_ctx, loaded.architecture, loaded.backend) == (2048, "llama", "CPU")
    assert loaded.n_ctx_train >= 2048
    assert loaded.has_chat_template
    assert loaded.name == bundled_model.stem


# -- Seeds ----------------------------------------------------------------------------------------


def test_a_fixed_seed_gives_the_same_reply_twice(runtime: Runtime) -> None:
    request = ask("Invent a name for a cat.", seed=1234, temperature=0.8, max_tokens=20)
    first, second = reply(runtime, request), reply(runtime, request)
    assert first.done.text.strip()
    assert second.done.text == first.done.text
    assert first.done.seed == second.done.seed == 1234


def test_random_seeds_give_different_replies(runtime: Runtime) -> None:
    request = ask("Tell me a short story.", seed=None, temperature=1.0, max_tokens=12)
    replies = [reply(runtime, request).done for _ in range(3)]
    assert len({done.seed for done in replies}) == 3
    assert len({done.text for done in replies}) >= 2


def test_temperature_zero_ignores_the_seed(runtime: Runtime) -> None:
    texts = {
        reply(runtime, ask("Name three colours.", temperature=0.0, seed=seed)).done.text
        for seed in (1, 987654321)
    }
    assert len(texts) == 1 and next(iter(texts)).strip()


# -- Cancelling -----------------------------------------------------------------------------------


def test_cancel_after_the_fifth_chunk_keeps_the_partial_text(runtime: Runtime) -> None:
    cancel = threading.Event()
    events: list[StreamEvent] = []
    chunks_seen = 0
    for event in runtime.stream(ask(CHATTY, seed=7, max_tokens=64), cancel):
        events.append(event)
        if isinstance(event, TextChunk):
            chunks_seen += 1
            if chunks_seen == 5:
                cancel.set()
    result = collect(events)
    assert result.done.finish_reason == "cancelled"
    assert len(result.chunks) == 5
    assert result.done.text.strip()
    assert 5 <= result.done.generated_tokens <= 7


def test_cancel_set_before_the_start_returns_at_once(runtime: Runtime) -> None:
    cancel = threading.Event()
    cancel.set()
    result = collect(list(runtime.stream(ask(CHATTY, seed=7, max_tokens=64), cancel)))
    assert result.done.finish_reason == "cancelled"
    assert result.done.generated_tokens == 0
    assert result.done.text == ""
    # The runtime is fine afterwards.
    assert reply(runtime, ask("Say hi.", seed=1, max_tokens=4)).done.generated_tokens >= 1


@pytest.mark.slow
def test_cancel_stops_a_long_prompt_evaluation_quickly(runtime: Runtime) -> None:
    long_text = "Summarize this list: " + " ".join(f"pear{i}" for i in range(265))
    request = ask(long_text, system="You summarize lists.", seed=3, max_tokens=64)
    prompt_length = len(runtime.tokenize_chat(
        [ChatMessage("system", "You summarize lists."), ChatMessage("user", long_text)]
    ))
    assert 900 <= prompt_length <= 1200

    cancel = threading.Event()
    fired_at: list[float] = []

    def press_stop() -> None:
        fired_at.append(time.perf_counter())
        cancel.set()

    timer = threading.Timer(0.05, press_stop)  # well inside the first 512-token batch
    try:
        started = time.perf_counter()
        stream = runtime.stream(request, cancel)
        events: list[StreamEvent] = [next(stream)]  # planned; evaluation starts on next()
        timer.start()
        events.extend(stream)
        done_at = time.perf_counter()
    finally:
        timer.cancel()
        timer.join()

    cancelled = collect(events)
    assert fired_at, "the prompt was evaluated and answered before the stop was pressed"
    assert cancelled.planned.evaluate_tokens >= 900  # it really had a long prompt to evaluate
    assert cancelled.done.finish_reason == "cancelled"
    assert cancelled.done.generated_tokens == 0 and cancelled.done.text == ""
    latency = done_at - fired_at[0]
    assert latency < 0.5, f"took {latency:.2f} s from the stop to GenerationDone"
    cancelled_wall = done_at - started

    # The same prompt again, in full: the runtime still works, and it clearly takes longer.
    started = time.perf_counter()
    full = reply(runtime, dataclasses.replace(
        request, settings=dataclasses.replace(
            request.settings, sampling=dataclasses.replace(request.settings.sampling, max_tokens=1)
        )
    ))
    full_wall = time.perf_counter() - started
    assert full.done.finish_reason == "length" and full.done.generated_tokens == 1
    assert full.planned.evaluate_tokens >= 900  # the cancelled run left no finished cache
    assert full_wall > 2 * cancelled_wall, (full_wall, cancelled_wall)
    assert full_wall > 4 * latency, (full_wall, latency)


def test_an_abandoned_stream_leaves_the_runtime_usable(runtime: Runtime) -> None:
    stream = runtime.stream(ask(CHATTY, seed=9, max_tokens=64), threading.Event())
    for event in stream:
        if isinstance(event, TextChunk):
            break
    stream.close()
    result = reply(runtime, ask("Say hi.", seed=1, max_tokens=4))
    assert result.done.generated_tokens >= 1


# -- Prefix reuse ---------------------------------------------------------------------------------


def test_the_next_turn_evaluates_only_the_new_text(runtime: Runtime) -> None:
    system = "You answer geography questions for the prefix reuse test."
    turn1 = reply(runtime, ask("What is the capital of France?", system=system, seed=1,
                               max_tokens=24))
    assert turn1.planned.evaluate_tokens > turn1.planned.prompt_tokens // 2  # a fresh prompt

    before = prompt_tokens_evaluated(runtime)
    history = (
        ChatMessage("user", "What is the capital of France?"),
        ChatMessage("assistant", turn1.done.text),
    )
    turn2 = reply(runtime, ask("And of Italy?", system=system, seed=1, max_tokens=8,
                               history=history))
    evaluated = prompt_tokens_evaluated(runtime) - before

    assert turn2.planned.prompt_tokens > turn1.planned.prompt_tokens + turn1.done.generated_tokens
    assert 1 <= turn2.planned.evaluate_tokens < 40
    assert turn2.planned.evaluate_tokens < turn2.planned.prompt_tokens // 3
    assert turn2.done.evaluated_tokens == turn2.planned.evaluate_tokens
    assert evaluated == turn2.planned.evaluate_tokens  # llama.cpp agrees
    assert turn2.done.text.strip()


# -- Limits and stop strings ----------------------------------------------------------------------


def test_max_tokens_ends_the_reply_with_length(runtime: Runtime) -> None:
    result = reply(runtime, ask(CHATTY, seed=2, max_tokens=8))
    assert result.done.finish_reason == "length"
    assert result.done.generated_tokens == 8
    assert result.done.text.strip()


def test_stop_strings_cut_the_reply(runtime: Runtime) -> None:
    full = reply(runtime, ask(CHATTY, temperature=0.0, max_tokens=32)).done.text
    assert "e" in full

    cut = reply(runtime, ask(CHATTY, temperature=0.0, max_tokens=32, stop=("e",))).done
    assert cut.finish_reason == "stop"
    assert "e" not in cut.text
    assert cut.text == full[: full.index("e")]

    # A stop string longer than one token is held back until it is complete.
    middle = len(full) // 3
    phrase = full[middle : middle + 7]
    cut = reply(runtime, ask(CHATTY, temperature=0.0, max_tokens=32, stop=("QQQQ", phrase))).done
    assert cut.finish_reason == "stop"
    assert phrase not in cut.text
    assert cut.text == full[: full.index(phrase)]


def test_an_unmatched_stop_string_keeps_the_end_of_a_finished_reply(runtime: Runtime) -> None:
    plain = reply(runtime, ask("Say hello", temperature=0.0, max_tokens=64)).done
    if plain.finish_reason != "stop":
        pytest.fail("precondition: the reply should end on its own before 64 tokens")
    with_stop = reply(runtime, ask("Say hello", temperature=0.0, max_tokens=64,
                                   stop=("@@@@@@",))).done
    assert with_stop.finish_reason == "stop"
    assert with_stop.text == plain.text


# -- Loading --------------------------------------------------------------------------------------


def bad_model(tmp_path: Path, kind: str) -> tuple[Path, str]:
    """A file (or not) that is no model, and the words its error message must contain."""
    path = tmp_path / f"{kind}.gguf"
    if kind == "random-bytes":
        path.write_bytes(os.urandom(4096).replace(b"GGUF", b"XXXX"))
        return path, "random-bytes.gguf is not a GGUF model file"
    if kind == "empty":
        path.write_bytes(b"")
        return path, "empty.gguf is empty"
    if kind == "missing":
        return path, f"Model file not found: {path}"
    if kind == "folder":
        path.mkdir()
        return path, f"{path} is a folder"
    assert kind == "gguf-magic-then-garbage"
    path.write_bytes(b"GGUF" + os.urandom(4096))
    return path, "gguf-magic-then-garbage.gguf"  # the header reader refuses it first


@pytest.mark.parametrize(
    "kind", ["random-bytes", "empty", "missing", "folder", "gguf-magic-then-garbage"]
)
def test_a_file_that_is_not_a_model_raises_model_error(tmp_path: Path, kind: str) -> None:
    path, message = bad_model(tmp_path, kind)
    runtime = Runtime()
    with pytest.raises(ModelError) as caught:
        runtime.load(path, RuntimeSettings(n_ctx=512), n_threads=1)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert runtime.loaded is None
    with pytest.raises(NoModelLoadedError):
        next(runtime.stream(ask("Hello"), threading.Event()))


def test_a_closed_runtime_refuses_to_stream(fresh_runtime: Runtime) -> None:
    assert fresh_runtime.loaded is not None
    fresh_runtime.close()
    assert fresh_runtime.loaded is None
    with pytest.raises(NoModelLoadedError, match="No model is loaded"):
        next(fresh_runtime.stream(ask("Hello"), threading.Event()))
    with pytest.raises(NoModelLoadedError):
        fresh_runtime.tokenize_chat([ChatMessage("user", "Hello")])
    fresh_runtime.close()  # closing twice is harmless


def test_threads_not_given_are_chosen_as_replies_run(bundled_model: Path) -> None:
    own = Runtime()
    try:
        own.load(bundled_model, RuntimeSettings(n_ctx=512), n_threads=None)
        first = reply(own, ask(CHATTY, seed=3, max_tokens=48))
        assert first.done.generated_tokens == 48
        loaded = own.loaded
        # Every candidate was timed on the reply's own tokens; the fastest is the one in use.
        assert loaded is not None and loaded.n_threads in thread_candidates()
        own.set_threads(1)  # pinned from here on
        assert own.loaded is not None and own.loaded.n_threads == 1
        assert reply(own, ask("Say hi.", seed=1, max_tokens=4)).done.generated_tokens >= 1
    finally:
        own.close()


# -- The sampler chain ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sampling",
    [
        SamplingSettings(dry_multiplier=0.8, xtc_probability=0.5, xtc_threshold=0.1),
        SamplingSettings(mirostat_mode=1, mirostat_tau=4.0, mirostat_eta=0.2),
        SamplingSettings(mirostat_mode=2, dry_multiplier=1.2, dry_allowed_length=3),
        SamplingSettings(top_k=0, typical_p=0.9, presence_penalty=0.5, frequency_penalty=0.5,
                         penalty_last_n=0),
        BUILTIN_PRESETS["Creative"],
        BUILTIN_PRESETS["Precise"],
    ],
    ids=["dry+xtc", "mirostat1", "mirostat2+dry", "typical+penalties", "creative", "precise"],
)
def test_every_sampler_combination_generates(runtime: Runtime, sampling: SamplingSettings) -> None:
    settings = dataclasses.replace(sampling, seed=21, max_tokens=12)
    request = GenerationRequest(
        (ChatMessage("user", "Describe the sea in one sentence."),),
        ChatSettings(sampling=settings),
    )
    result = reply(runtime, request)
    assert result.done.finish_reason in ("stop", "length")
    assert result.done.generated_tokens >= 1
    assert result.done.text.strip()


def test_dry_breaks_up_a_repetitive_reply(runtime: Runtime) -> None:
    def hellos(**sampling: Any) -> int:
        text = reply(runtime, ask("Write the word hello 30 times.", temperature=0.0,
                                  repeat_penalty=1.0, max_tokens=40, **sampling)).done.text
        return text.lower().count("hello")

    plain = hellos()
    assert plain >= 10  # greedy decoding repeats happily
    assert hellos(dry_multiplier=3.0, dry_allowed_length=2) < plain / 2


def test_a_model_that_llama_cpp_refuses_keeps_the_previous_one(
    bundled_model: Path, tmp_path: Path
) -> None:
    # A valid GGUF header with no tensors behind it: it passes the header check, then
    # llama.cpp refuses it.
    header_only = tmp_path / "header-only.gguf"
    header_only.write_bytes(bundled_model.read_bytes()[:2_000_000])
    own = Runtime()
    own.load(bundled_model, RuntimeSettings(n_ctx=512), n_threads=1)
    try:
        with pytest.raises(ModelError, match="header-only"):
            own.load(header_only, RuntimeSettings(n_ctx=512), n_threads=1)
        assert own.loaded is not None and own.loaded.path == bundled_model
        done = [e for e in own.stream(GenerationRequest(messages=(ChatMessage("user", "Hi"),),
                                                        settings=ChatSettings(sampling=SamplingSettings(max_tokens=4))),
                                      threading.Event())
                if isinstance(e, GenerationDone)]
        assert done and done[0].generated_tokens > 0
    finally:
        own.close()


def test_token_pieces_of_any_length_come_back_whole(runtime: Runtime) -> None:
    from engine.host.runtime import TokenPieces

    llm = runtime._llm
    assert llm is not None
    reader = TokenPieces(llm._model.vocab)
    reader._buffer = __import__("ctypes").create_string_buffer(1)  # force the regrow path
    text = "déjà vu — ```python\n        return  value```"
    tokens = llm.tokenize(text.encode(), add_bos=False, special=False)
    assert b"".join(reader.bytes_of(t) for t in tokens).decode() == text


def test_a_long_prompt_reports_progress_and_stops_between_batches(runtime: Runtime) -> None:
    runtime.forget_cache()
    long_text = "The tide comes in and goes out twice a day along the coast. " * 120
    request = GenerationRequest(
        messages=(ChatMessage("user", long_text),),
        settings=ChatSettings(sampling=SamplingSettings(max_tokens=4)),
    )
    cancel = threading.Event()
    progress: list[PromptProgress] = []
    done: list[GenerationDone] = []
    for event in runtime.stream(request, cancel):
        if isinstance(event, PromptProgress):
            progress.append(event)
            cancel.set()  # Stop as soon as the first batch is read
        elif isinstance(event, GenerationDone):
            done.append(event)
    assert progress and progress[0].done < progress[0].total
    assert done[0].finish_reason == "cancelled" and done[0].text == ""


def test_a_context_size_llama_cpp_rounds_up_is_never_overfilled(bundled_model: Path) -> None:
    # llama.cpp makes 384 into 512; llama-cpp-python's token buffer stays at 384.
    own = Runtime()
    own.load(bundled_model, RuntimeSettings(n_ctx=384), n_threads=TEST_THREADS)
    try:
        assert own.loaded is not None and own.loaded.n_ctx == 384
        long = "The lighthouse keeper climbed the stairs again. " * 60  # ~600 tokens
        request = GenerationRequest(messages=(ChatMessage("user", long),),
                                    settings=ChatSettings(sampling=SamplingSettings(
                                        max_tokens=8, seed=1)))
        with pytest.raises(ContextOverflowError):
            list(own.stream(request, threading.Event()))
    finally:
        own.close()
