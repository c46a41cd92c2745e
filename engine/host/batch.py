"""The engine host's token loop on llama.cpp's batch API: several sequences, one decode a step.

Each sequence has a llama.cpp sequence id, its own sampler and its own next position. A step
puts every fed sequence's tokens into one `llama_batch`, decodes once, and leaves each of them
a row of logits to sample from. Sequence 0 is the one `Llama` keeps a token record of
(`input_ids`, `n_tokens`), which prefix reuse across turns reads: its tokens are recorded there
too. Other sequences start as a copy of one already in the cache (`fork`: llama.cpp shares the
cells, nothing is copied) and leave the cache when they are removed.

Built for what comes next: n choices and parallel requests are more sequences in the same
step; speculative decoding feeds one sequence several drafted tokens (every fed token gets its
row of logits) and removes the ones the model refused (`truncate`); log-probabilities are read
from a sequence's own rows.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import llama_cpp
from llama_cpp._internals import LlamaContext

from engine.errors import ModelError
from engine.text import Text

MAX_SEQUENCES = 4  # sequences one context holds at once (its n_seq_max)
FOLLOWED = 0  # the sequence whose tokens Llama records for prefix reuse


NULL_ABORT = llama_cpp.ggml_abort_callback()  # a NULL function pointer: no abort checks


class CancelFlag(Protocol):
    """What the token loop asks to know whether to stop: a `threading.Event` in one process,
    a flag in shared memory across the app and the engine host."""

    def is_set(self) -> bool: ...


class Sampler(Protocol):
    def sample(self, ctx: LlamaContext, idx: int) -> int: ...


@dataclass
class CachedSequence:
    """One sequence of tokens in the KV cache, under its llama.cpp sequence id."""

    seq_id: int
    position: int  # where its next token goes: how many of its tokens the cache holds
    feed: list[int] = field(default_factory=list)  # decoded at the next step
    rows: tuple[int, ...] = ()  # each fed token's logits in the last batch (-1: the last row)


class BatchDecoder:
    """Decodes the fed tokens of all its sequences in one batch per step."""

    def __init__(self, llm: llama_cpp.Llama) -> None:
        self._llm = llm
        self._memory = llama_cpp.llama_get_memory(llm.ctx)
        self.sequences: dict[int, CachedSequence] = {}

    def follow(self) -> CachedSequence:
        """Sequence 0 as Llama recorded it, its last token's logits live (a prompt was just
        decoded)."""
        sequence = CachedSequence(FOLLOWED, self._llm.n_tokens, rows=(-1,))
        self.sequences[FOLLOWED] = sequence
        return sequence

    def start(self) -> CachedSequence:
        """A new, empty sequence: a request of its own, whose prompt `read` decodes."""
        free = next(i for i in range(MAX_SEQUENCES) if i not in self.sequences)
        llama_cpp.llama_memory_seq_rm(self._memory, free, -1, -1)
        sequence = CachedSequence(free, 0)
        self.sequences[free] = sequence
        return sequence

    def read(self, sequence: CachedSequence, tokens: Sequence[int]) -> None:
        """Decodes `tokens` into one sequence, a batch at a time and without logits: the body
        of a prompt, whose last token then goes into a step with the other sequences'."""
        llm = self._llm
        for offset in range(0, len(tokens), llm.n_batch):
            chunk = tokens[offset : offset + llm.n_batch]
            batch = llm._batch.batch
            for row, token in enumerate(chunk):
                _put(batch, row, token, sequence.position + row, sequence.seq_id, False)
            batch.n_tokens = len(chunk)
            self._decode()
            self._advance(sequence, list(chunk))

    def fork(self, source: CachedSequence) -> CachedSequence:
        """A new sequence holding what `source` holds, with its logits to sample from."""
        free = next(i for i in range(MAX_SEQUENCES) if i not in self.sequences)
        llama_cpp.llama_memory_seq_cp(self._memory, source.seq_id, free, -1, -1)
        sequence = CachedSequence(free, source.position, rows=source.rows)
        self.sequences[free] = sequence
        return sequence

    def remove(self, sequence: CachedSequence) -> None:
        """Drops a forked sequence and its cells (sequence 0 stays: it is the next prompt's
        cached prefix)."""
        self.sequences.pop(sequence.seq_id, None)
        if sequence.seq_id != FOLLOWED:
            llama_cpp.llama_memory_seq_rm(self._memory, sequence.seq_id, -1, -1)

    def truncate(self, sequence: CachedSequence, position: int) -> None:
        """Forgets a sequence's tokens from `position` on (draft tokens the model refused)."""
        llama_cpp.llama_memory_seq_rm(self._memory, sequence.seq_id, position, -1)
        sequence.position = position
        if sequence.seq_id == FOLLOWED:
            self._llm.n_tokens = min(self._llm.n_tokens, position)

    def sample(self, sampler: Sampler, row: int) -> int:
        """A token from the logits at `row` of the last batch, by `sampler` (which accepts it)."""
        return sampler.sample(self._llm._ctx, row)

    def step(self) -> None:
        """Decodes every sequence's feed in one batch; raises ModelError if llama.cpp fails
        (a full cache among other reasons)."""
        llm = self._llm
        batch = llm._batch.batch
        fed = [s for s in self.sequences.values() if s.feed]
        count = sum(len(s.feed) for s in fed)
        if count > llm.n_batch:
            raise ModelError(Text("One step of {count} tokens is more than a batch of {n_batch}.",
                                  count=count, n_batch=llm.n_batch))
        row = 0
        for sequence in self.sequences.values():
            sequence.rows = tuple(range(row, row + len(sequence.feed)))
            for offset, token in enumerate(sequence.feed):
                _put(batch, row, token, sequence.position + offset, sequence.seq_id, True)
                row += 1
        batch.n_tokens = row
        self._decode()
        for sequence in fed:
            self._advance(sequence, sequence.feed)
            sequence.feed = []

    def _decode(self) -> None:
        try:
            self._llm._ctx.decode(self._llm._batch)
        except RuntimeError as error:
            raise ModelError(Text("llama.cpp failed while generating: {error}",
                                  error=error)) from None

    def _advance(self, sequence: CachedSequence, tokens: list[int]) -> None:
        """`tokens` are in the cache now, after the sequence's; Llama records sequence 0's."""
        if sequence.seq_id == FOLLOWED:
            end = sequence.position + len(tokens)
            self._llm.input_ids[sequence.position : end] = tokens
            self._llm.n_tokens = end
        sequence.position += len(tokens)


def recorded_prefix(llm: llama_cpp.Llama, tokens: Sequence[int]) -> int:
    """How many leading tokens of `tokens` Llama's record of sequence 0 (so its cache) holds."""
    same = 0
    for old, new in zip(llm.input_ids[: llm.n_tokens], tokens, strict=False):
        if old != new:
            break
        same += 1
    return same


def _put(batch: llama_cpp.llama_batch, row: int, token: int, position: int, seq_id: int,
         logits: bool) -> None:
    batch.token[row] = token
    batch.pos[row] = position
    batch.seq_id[row][0] = seq_id
    batch.n_seq_id[row] = 1
    batch.logits[row] = logits



def batch_costs(llm: llama_cpp.Llama, largest: int) -> tuple[float, ...]:
    """What a decode of n tokens costs in decodes of one, for n from 1 to `largest`: timed at a
    few sizes on a scratch sequence that leaves the cache after each, the rest interpolated.
    On a CPU it is far from flat (a batch of two cost 1.7-1.9 single steps here); speculative
    decoding chooses its draft length from it (speculation.py)."""
    scratch = MAX_SEQUENCES - 1
    memory = llama_cpp.llama_get_memory(llm.ctx)
    token = max(llm.token_bos(), 0)
    sizes = sorted({1, 2, 3, (largest + 2) // 2, largest})
    seconds: dict[int, float] = {}
    for size in [1, *sizes]:  # the first decode warms up, and is timed again
        batch = llm._batch.batch
        for row in range(size):
            batch.token[row], batch.pos[row] = token, row
            batch.seq_id[row][0], batch.n_seq_id[row], batch.logits[row] = scratch, 1, True
        batch.n_tokens = size
        started = time.perf_counter()
        try:
            llm._ctx.decode(llm._batch)
        finally:
            llama_cpp.llama_memory_seq_rm(memory, scratch, -1, -1)
        seconds[size] = time.perf_counter() - started
    single = seconds[1]
    costs = []
    for n in range(1, largest + 1):
        below = max(size for size in sizes if size <= n)
        above = min(size for size in sizes if size >= n)
        share = 0.0 if above == below else (n - below) / (above - below)
        costs.append((seconds[below] + share * (seconds[above] - seconds[below])) / single)
    return tuple(max(cost, 1.0) for cost in costs)
