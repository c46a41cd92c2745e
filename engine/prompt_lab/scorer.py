"""Teacher-forced log-probabilities of continuations, one forward pass per prompt.

The prompt is compared with the tokens already in llama.cpp's KV cache and only the part that
differs is decoded, so examples that share a prompt prefix (instruction and demos) pay only for
their own tokens. Logits are requested only at the positions that predict a continuation token,
never for the whole sequence (`logits_all`), and never through `echo=True` with `logprobs`,
which is off by one in llama-cpp-python 0.3.36.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence

import llama_cpp
import numpy as np
import numpy.typing as npt

from engine.chat.engine import ChatEngine
from engine.chat.prompt import ChatMessage
from engine.errors import ModelError, NoModelLoadedError, PromptLabError
from engine.host.runtime import Runtime, batch_thread_count

LogProbs = npt.NDArray[np.float32]


class Scorer:
    """Scores continuations on a Runtime's loaded model; use it from the Runtime's thread only.

    It keeps the Llama's `input_ids` and `n_tokens` true to the KV cache, so a chat reply or
    another scoring pass that follows reuses whatever prefix is still cached.

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
        return isinstance(self._runtime, Runtime)

    @property
    def context_length(self) -> int:
        if isinstance(self._runtime, Runtime):
            return int(self._runtime.llama.n_ctx())
        loaded = self._runtime.loaded
        if loaded is None:
            raise NoModelLoadedError("No model is loaded.")
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
        if not isinstance(self._runtime, Runtime):
            return [0] * (self._runtime.count_tokens(text) + int(at_start))
        llm = self._runtime.llama
        return list(llm.tokenize(text.encode("utf-8"), add_bos=at_start, special=False))

    def continuation_logprobs(
        self,
        prompt: Sequence[int],
        continuations: Sequence[Sequence[int]],
        reusable: int,
    ) -> list[list[float]]:
        """Log-probability of each token of each continuation, following `prompt`.

        At most the first `reusable` prompt tokens (the shared prefix: instruction and demos)
        come from the cache; the rest is decoded in one batch every time. llama.cpp's numbers
        for a token depend on whether it was decoded alone or in a batch, so this keeps a score
        independent of what happened to be cached before. The rest of the prompt and the first
        continuation go through the model in one pass; every further continuation costs only
        its own tokens but the last.
        """
        if not prompt or not continuations or any(not tokens for tokens in continuations):
            raise PromptLabError("Nothing to score: the prompt or an answer is empty.")
        llm = self._local().llama
        longest = max(len(tokens) for tokens in continuations)
        if len(prompt) + longest > llm.n_ctx():
            raise PromptLabError(
                f"A prompt of {len(prompt):,} tokens does not fit the context window of "
                f"{llm.n_ctx():,}: use fewer or shorter examples, or a longer context."
            )
        with self.prompt_threads():
            return self._score(llm, list(prompt), continuations, reusable)

    @contextlib.contextmanager
    def prompt_threads(self) -> Iterator[None]:
        """Reads prompts on the thread count that is fastest right now, then restores it.

        Only scoring passes (which count their tokens) teach the chooser and the throughput
        figures; a chat reply generated inside just benefits from its choice.
        """
        if not isinstance(self._runtime, Runtime):
            yield  # a remote server chooses its own threads
            return
        llm = self._runtime.llama
        loaded = self._runtime.loaded
        generation = loaded.n_threads if loaded else 1
        threads = self._threads.pick()
        llama_cpp.llama_set_n_threads(llm.ctx, generation, threads)
        started, before = time.perf_counter(), self.decoded_tokens
        try:
            yield
        finally:
            elapsed, tokens = time.perf_counter() - started, self.decoded_tokens - before
            if tokens:
                self.seconds += elapsed
                self._threads.record(threads, tokens, elapsed)
            if llm.ctx is not None:
                llama_cpp.llama_set_n_threads(llm.ctx, generation, batch_thread_count())

    def _score(
        self,
        llm: llama_cpp.Llama,
        prompt: list[int],
        continuations: Sequence[Sequence[int]],
        reusable: int,
    ) -> list[list[float]]:
        end = len(prompt)
        keep = min(self._local().cached_prefix(prompt), reusable, end - 1)
        first = list(continuations[0])
        rows = self._decode(llm, prompt[keep:] + first[:-1], keep, end - 1)
        first_row = rows[0]
        results = [_pick(rows, first)]
        for tokens in continuations[1:]:
            if len(tokens) == 1:
                results.append([float(first_row[tokens[0]])])
                continue
            more = self._decode(llm, list(tokens[:-1]), end, end)
            results.append(_pick([first_row, *more], list(tokens)))
        return results

    def _decode(
        self, llm: llama_cpp.Llama, tokens: list[int], start: int, logits_from: int
    ) -> list[LogProbs]:
        """Decodes `tokens` at positions from `start`; log-softmax rows from `logits_from` on."""
        ctx = llm._ctx
        if not ctx.kv_cache_seq_rm(-1, start, -1):
            raise ModelError("This model's cache cannot drop a suffix, which scoring needs.")
        llm.n_tokens = start
        n_vocab = llm.n_vocab()
        batch = llm._batch.batch
        rows: list[LogProbs] = []
        for offset in range(0, len(tokens), llm.n_batch):
            chunk = tokens[offset : offset + llm.n_batch]
            wanted: list[int] = []
            batch.n_tokens = len(chunk)
            for index, token in enumerate(chunk):
                position = start + offset + index
                batch.token[index] = token
                batch.pos[index] = position
                batch.seq_id[index][0] = 0
                batch.n_seq_id[index] = 1
                batch.logits[index] = position >= logits_from
                if position >= logits_from:
                    wanted.append(index)
            try:
                ctx.decode(llm._batch)
            except RuntimeError as error:
                self._forget(llm)
                raise ModelError(f"llama.cpp failed while scoring: {error}") from None
            for index in wanted:
                logits = np.ctypeslib.as_array(
                    llama_cpp.llama_get_logits_ith(ctx.ctx, index), shape=(n_vocab,)
                )
                rows.append(_log_softmax(logits))
            llm.input_ids[llm.n_tokens : llm.n_tokens + len(chunk)] = chunk
            llm.n_tokens += len(chunk)
            self.decoded_tokens += len(chunk)
        # The last logits llama.cpp holds may not be the cached sequence's own: make
        # generate() decode its last token again before it samples.
        llm._requires_eval = True
        return rows

    def _local(self) -> Runtime:
        if not isinstance(self._runtime, Runtime):
            raise PromptLabError("Log-probabilities need a local model; a remote engine is "
                                 "scored by its generated answers.")
        return self._runtime

    @staticmethod
    def _forget(llm: llama_cpp.Llama) -> None:
        llm.reset()
        llm._ctx.kv_cache_seq_rm(-1, 0, -1)


class ThreadChooser:
    """Picks the faster thread count for scoring batches, and keeps checking.

    On a small machine shared with other work, two llama.cpp threads can run ten times slower
    than one (its threads spin while waiting for a busy core), and the load changes by the
    minute. The scores do not depend on the thread count, so switching is free.
    """

    EXPLORE_EVERY = 24  # calls between tries of a count that is not the current best
    SMOOTHING = 0.3

    def __init__(self, options: Sequence[int]) -> None:
        self._options = tuple(options)
        self._seconds_per_token: dict[int, float] = {}
        self._calls = 0

    def pick(self) -> int:
        self._calls += 1
        for threads in self._options:
            if threads not in self._seconds_per_token:
                return threads
        ranked = sorted(self._options, key=self._seconds_per_token.__getitem__)
        if len(ranked) > 1 and self._calls % self.EXPLORE_EVERY == 0:
            return ranked[1 + (self._calls // self.EXPLORE_EVERY) % (len(ranked) - 1)]
        return ranked[0]

    def record(self, threads: int, tokens: int, seconds: float) -> None:
        if tokens <= 0:
            return
        rate = seconds / tokens
        previous = self._seconds_per_token.get(threads)
        self._seconds_per_token[threads] = (
            rate if previous is None else previous + self.SMOOTHING * (rate - previous)
        )


def _log_softmax(logits: npt.NDArray[np.float32]) -> LogProbs:
    values = logits.astype(np.float64)
    top = values.max()
    shifted = values - top
    result: LogProbs = (shifted - np.log(np.exp(shifted).sum())).astype(np.float32)
    return result


def _pick(rows: Sequence[LogProbs], tokens: list[int]) -> list[float]:
    return [float(row[token]) for row, token in zip(rows, tokens, strict=True)]
