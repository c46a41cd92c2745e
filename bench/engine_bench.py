"""Engine measurements: generation, prompt processing, multi-turn, chat switching, Stop.

Everything goes through Hearth's own `Runtime.stream` (and `ChatService` for chats), the code
the app runs, on the same model and thread count as the llama-bench reference.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from engine.chat.prompt import ChatMessage
from engine.chat.service import ChatService, Turn, TurnEnded
from engine.chat.store import ChatStore
from engine.config import AppConfig
from engine.host.runtime import (
    ContextPlanned,
    GenerationDone,
    GenerationRequest,
    Runtime,
    StreamEvent,
    TextChunk,
)
from engine.settings import ChatSettings, SamplingSettings

FILLER = (
    "The history of the lighthouse begins with fires lit on hills to guide ships home. "
    "Later, towers of stone carried lamps of oil, and lenses focused their light far out to sea. "
)


def _settings(max_tokens: int) -> ChatSettings:
    # Exactly `max_tokens` tokens: the loop guard would cut a reply that runs on past its end.
    return ChatSettings(system_prompt="", sampling=SamplingSettings(max_tokens=max_tokens, seed=1,
                                                                    loop_guard=0))


def _done(events: Iterator[StreamEvent]) -> GenerationDone:
    for event in events:
        if isinstance(event, GenerationDone):
            return event
    raise RuntimeError("the stream ended without a result")


def text_of_tokens(runtime: Runtime, tokens: int) -> str:
    """A user message whose chat prompt is `tokens` tokens long (within a few)."""
    text = FILLER * (tokens // 20 + 2)
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        size = len(runtime.tokenize_chat([ChatMessage("user", text[:middle])]))
        if size <= tokens:
            low = middle
        else:
            high = middle - 1
    return text[:low]


def generation_rate(runtime: Runtime, reply_tokens: int) -> float:
    """Tokens/s of the token loop for a reply of exactly `reply_tokens` tokens."""
    runtime.forget_cache()
    request = GenerationRequest(
        messages=(ChatMessage("user", "Tell me a very long story about the sea."),),
        settings=_settings(reply_tokens),
        ignore_eog=True,
    )
    done = _done(runtime.stream(request, threading.Event()))
    if done.generated_tokens != reply_tokens:
        raise RuntimeError(f"asked {reply_tokens} tokens, got {done.generated_tokens}")
    return done.tokens_per_second


def prompt_rate(runtime: Runtime, prompt_tokens: int) -> float:
    """Tokens/s of evaluating a fresh prompt of about `prompt_tokens` tokens."""
    text = text_of_tokens(runtime, prompt_tokens)
    runtime.forget_cache()
    request = GenerationRequest(messages=(ChatMessage("user", text),), settings=_settings(1))
    done = _done(runtime.stream(request, threading.Event()))
    return done.evaluated_tokens / done.seconds_to_first_token


@dataclass(frozen=True)
class TurnTiming:
    turn: int
    seconds_to_first_token: float
    evaluated_tokens: int
    prompt_tokens: int


def multi_turn(runtime: Runtime, folder: Path, turns: int, reply_tokens: int) -> list[TurnTiming]:
    """Time to first token per turn of one growing chat (history resent every turn)."""
    store = ChatStore(folder / "multi-turn.sqlite3")
    service = ChatService(store, runtime)
    config = AppConfig(chat_defaults=_settings(reply_tokens))
    chat = store.create_chat()
    runtime.forget_cache()
    timings = []
    for turn in range(1, turns + 1):
        question = f"Question {turn}: tell me one more thing about lighthouses and ships."
        done = _reply_done(service.reply(chat.id, config, threading.Event(),
                                            Turn("send", question)))
        timings.append(TurnTiming(turn, done.seconds_to_first_token, done.evaluated_tokens,
                                  done.prompt_tokens))
    store.close()
    return timings


def _reply_done(events: Iterator[object]) -> GenerationDone:
    """The figures of a ChatService turn (its last event wraps the runtime's)."""
    for event in events:
        if isinstance(event, TurnEnded) and event.done is not None:
            return event.done
    raise RuntimeError("the reply ended without a result")


def switch_chats(runtime: Runtime, folder: Path, history_tokens: int) -> dict[str, float]:
    """First-token time when returning to a long chat, with and without its saved KV state."""
    store = ChatStore(folder / "switch.sqlite3")
    service = ChatService(store, runtime)
    config = AppConfig(chat_defaults=_settings(8))
    long_text = text_of_tokens(runtime, history_tokens)
    first, second = store.create_chat(), store.create_chat()
    results: dict[str, float] = {}
    for label, restore in (("with_restore", True), ("without_restore", False)):
        runtime.forget_cache()
        service.kv_states.forget()
        _reply_done(service.reply(first.id, config, threading.Event(),
                                     Turn("send", long_text + f" ({label} A)")))
        _reply_done(service.reply(second.id, config, threading.Event(),
                                     Turn("send", long_text.upper() + f" ({label} B)")))
        if not restore:
            service.kv_states.forget(first.id)
        done = _reply_done(service.reply(first.id, config, threading.Event(),
                                            Turn("send", "Thanks, and one more thing?")))
        results[label] = done.seconds_to_first_token
        results[f"{label}_evaluated_tokens"] = done.evaluated_tokens
    store.close()
    return results


def stop_latency_ms(runtime: Runtime, during: str, prompt_tokens: int) -> float:
    """Milliseconds from Stop to the stream's end, mid-reply or mid-prompt evaluation."""
    cancel = threading.Event()
    if during == "decode":
        runtime.forget_cache()
        request = GenerationRequest(
            messages=(ChatMessage("user", "Tell me a very long story about the sea."),),
            settings=_settings(4000), ignore_eog=True,
        )
    else:
        runtime.forget_cache()
        request = GenerationRequest(
            messages=(ChatMessage("user", text_of_tokens(runtime, prompt_tokens)),),
            settings=_settings(8),
        )
    samples = []
    events = runtime.stream(request, cancel)
    if during == "decode":
        seen = 0
        for event in events:
            if isinstance(event, TextChunk):
                seen += 1
                if seen == 50:
                    stopped_at = time.perf_counter()
                    cancel.set()
            elif isinstance(event, GenerationDone):
                samples.append(time.perf_counter() - stopped_at)
    else:
        planned = next(events)
        assert isinstance(planned, ContextPlanned)
        # Stop a known time into the evaluation, from another thread, as the GUI would.
        stamp: list[float] = []

        def press_stop() -> None:
            stamp.append(time.perf_counter())
            cancel.set()

        timer = threading.Timer(0.5, press_stop)
        timer.start()
        done = _done(events)
        samples.append(time.perf_counter() - stamp[0])
        timer.join()
        if done.finish_reason != "cancelled":
            raise RuntimeError("the prompt evaluation finished before Stop arrived")
    return statistics.median(samples) * 1000
