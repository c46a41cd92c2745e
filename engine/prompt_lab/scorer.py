"""Log-probabilities of continuations for the Prompt Lab, and the thread count that reads
prompts fastest right now.

The numbers come from the model where it lives (engine/host/scoring.py, in the engine host):
one request per prompt with all its continuations, never a round trip per token.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence

from engine.chat.engine import ChatEngine
from engine.chat.prompt import ChatMessage
from engine.errors import NoModelLoadedError, PromptLabError
from engine.host.local import LocalRuntime
from engine.host.runtime import batch_thread_count
from engine.host.threads import ThreadChooser
from engine.text import Text


class Scorer:
    """Scores continuations on a local model; use it from the runtime's thread only.

    The runtime keeps its cache's tokens true to the KV cache, so a chat reply or another
    scoring pass that follows reuses whatever prefix is still cached.

    On a remote engine there are no logits to read: `has_logprobs` is False, token lists only
    have the right length (the engine's counts), and the search scores generated answers.
    """

    def __init__(self, runtime: ChatEngine) -> None:
        self._runtime = runtime
        self._threads = ThreadChooser(sorted({1, batch_thread_count()}))
        self.decoded_tokens = 0  # tokens evaluated so far: the cost that time estimates use
        self.seconds = 0.0  # time spent decoding them

    @property
    def runtime(self) -> ChatEngine:
        return self._runtime

    @property
    def has_logprobs(self) -> bool:
        """Only the local runtime's logits give log-probabilities."""
        return isinstance(self._runtime, LocalRuntime)

    @property
    def context_length(self) -> int:
        loaded = self._runtime.loaded
        if loaded is None:
            raise NoModelLoadedError(Text("No model is loaded."))
        return loaded.n_ctx

    def record_generation(self, tokens: int, seconds: float) -> None:
        """A remote answer's tokens and time, which time estimates use as decoding's."""
        self.decoded_tokens += tokens
        self.seconds += seconds

    def chat_tokens(self, messages: Sequence[ChatMessage]) -> list[int]:
        """The chat's own rendering and tokenization, so a preset behaves as it scored."""
        return self._runtime.tokenize_chat(messages)

    def text_tokens(self, text: str, *, at_start: bool) -> list[int]:
        """Plain text as tokens; `at_start` adds the model's begin-of-text token if it has one."""
        if not isinstance(self._runtime, LocalRuntime):
            return [0] * (self._runtime.count_tokens(text) + int(at_start))
        return self._runtime.tokenize(text, add_bos=at_start, special=False)

    def continuation_logprobs(
        self,
        prompt: Sequence[int],
        continuations: Sequence[Sequence[int]],
        reusable: int,
    ) -> list[list[float]]:
        """Log-probability of each token of each continuation, following `prompt`; at most
        the first `reusable` prompt tokens (instruction and demos) come from the cache."""
        runtime = self._local()
        with self.prompt_threads():
            rows, decoded = runtime.score_continuations(prompt, continuations, reusable)
            self.decoded_tokens += decoded  # inside: the thread chooser learns from it
        return rows

    @contextlib.contextmanager
    def prompt_threads(self) -> Iterator[None]:
        """Reads prompts on the thread count that is fastest right now, then restores it.

        Only scoring passes (which count their tokens) teach the chooser and the throughput
        figures; a chat reply generated inside just benefits from its choice.
        """
        if not isinstance(self._runtime, LocalRuntime):
            yield  # a remote server chooses its own threads
            return
        runtime = self._runtime
        threads = self._threads.pick()
        runtime.set_batch_threads(threads)
        started, before = time.perf_counter(), self.decoded_tokens
        try:
            yield
        finally:
            elapsed, tokens = time.perf_counter() - started, self.decoded_tokens - before
            if tokens:
                self.seconds += elapsed
                self._threads.record(threads, tokens, elapsed)
            if runtime.loaded is not None:
                runtime.set_batch_threads(batch_thread_count())

    def _local(self) -> LocalRuntime:
        if not isinstance(self._runtime, LocalRuntime):
            raise PromptLabError(Text("Log-probabilities need a local model; a remote engine is "
                                      "scored by its generated answers."))
        return self._runtime
