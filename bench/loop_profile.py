"""Where a generated token's time goes in Hearth's token loop: llama.cpp's decode, llama.cpp's
sampler chain, and everything else (llama-cpp-python's bookkeeping, Hearth's UTF-8 decoding,
stop matching and events).

llama-bench's tg figure is decode alone: it samples nothing. So the engine's ceiling against
it is decode / (decode + sampling + rest), and this measures how close the loop is to it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from llama_cpp import _internals

from engine.chat.prompt import ChatMessage
from engine.host.runtime import GenerationDone, GenerationRequest, Runtime
from engine.settings import ChatSettings, SamplingSettings


@contextmanager
def _timed(owner: Any, name: str, spent: list[float],
           counts: Callable[..., bool] = lambda *_args: True) -> Iterator[None]:
    original: Callable[..., Any] = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            if counts(*args):
                spent[0] += time.perf_counter() - started

    setattr(owner, name, timed)
    try:
        yield
    finally:
        setattr(owner, name, original)


def token_loop_split(runtime: Runtime, reply_tokens: int) -> dict[str, float]:
    """Shares of the reply's generation time (after the first token), best of two runs."""
    best: dict[str, float] = {}
    for _ in range(2):
        decode, sample = [0.0], [0.0]
        runtime.forget_cache()
        request = GenerationRequest(
            messages=(ChatMessage("user", "Tell me a very long story about the sea."),),
            settings=ChatSettings(system_prompt="",
                                  sampling=SamplingSettings(max_tokens=reply_tokens, seed=1,
                                                            loop_guard=0)),
            ignore_eog=True,
        )
        # Only one-token batches: the reply's tokens, not the prompt's.
        with (_timed(_internals.LlamaContext, "decode", decode, _one_token),
              _timed(_internals.LlamaSampler, "sample", sample)):
            done: GenerationDone | None = None
            for event in runtime.stream(request, threading.Event()):
                if isinstance(event, GenerationDone):
                    done = event
        if done is None or done.tokens_per_second <= 0:
            raise RuntimeError("the reply did not finish")
        total = (done.generated_tokens - 1) / done.tokens_per_second
        decode_share = decode[0] / total
        split = {
            "decode": round(decode_share, 4),
            "sampling": round(sample[0] / total, 4),
            "rest": round(1 - decode_share - sample[0] / total, 4),
        }
        if not best or split["decode"] > best["decode"]:
            best = split
    return best


def _one_token(_context: object, batch: Any) -> bool:
    return int(batch.batch.n_tokens) == 1
