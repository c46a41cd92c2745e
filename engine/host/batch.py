"""The engine host's token loop on llama.cpp's batch API: several sequences, one decode a step.

Each sequence has a llama.cpp sequence id, its own sampler and its own next position. A step
puts every fed sequence's tokens into one `llama_batch`, decodes once, and leaves each of them
a row of logits to sample from. Sequence 0 is the one `Llama` keeps a token record of
(`input_ids`, `n_tokens`), which prefix reuse across turns reads: its tokens are recorded there
too. Other sequences start as a copy of one already in the cache (`fork`: llama.cpp shares the
cells, nothing is copied) and leave the cache when they are removed.

Built for what comes next: n choices and parallel requests are more sequences in the same
step; speculative decoding will feed one sequence several drafted tokens (every fed token gets
its row of logits) and remove the rejected ones with `llama_memory_seq_rm` from a position on;
log-probabilities are read from a sequence's own row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import llama_cpp
from llama_cpp._internals import LlamaContext

from engine.errors import ModelError

MAX_SEQUENCES = 4  # sequences one context holds at once (its n_seq_max)
FOLLOWED = 0  # the sequence whose tokens Llama records for prefix reuse


class Sampler(Protocol):
    def sample(self, ctx: LlamaContext, idx: int) -> int: ...


@dataclass
class CachedSequence:
    """One sequence of tokens in the KV cache, under its llama.cpp sequence id."""

    seq_id: int
    position: int  # where its next token goes: how many of its tokens the cache holds
    feed: list[int] = field(default_factory=list)  # decoded at the next step
    row: int | None = None  # its last token's logits in the last batch (-1: the last row)


class BatchDecoder:
    """Decodes the fed tokens of all its sequences in one batch per step."""

    def __init__(self, llm: llama_cpp.Llama) -> None:
        self._llm = llm
        self._memory = llama_cpp.llama_get_memory(llm.ctx)
        self.sequences: dict[int, CachedSequence] = {}

    def follow(self) -> CachedSequence:
        """Sequence 0 as Llama recorded it, its last token's logits live (a prompt was just
        decoded)."""
        sequence = CachedSequence(FOLLOWED, self._llm.n_tokens, row=-1)
        self.sequences[FOLLOWED] = sequence
        return sequence

    def fork(self, source: CachedSequence) -> CachedSequence:
        """A new sequence holding what `source` holds, with its logits to sample from."""
        free = next(i for i in range(MAX_SEQUENCES) if i not in self.sequences)
        llama_cpp.llama_memory_seq_cp(self._memory, source.seq_id, free, -1, -1)
        sequence = CachedSequence(free, source.position, row=source.row)
        self.sequences[free] = sequence
        return sequence

    def remove(self, sequence: CachedSequence) -> None:
        """Drops a forked sequence and its cells (sequence 0 stays: it is the next prompt's
        cached prefix)."""
        self.sequences.pop(sequence.seq_id, None)
        if sequence.seq_id != FOLLOWED:
            llama_cpp.llama_memory_seq_rm(self._memory, sequence.seq_id, -1, -1)

    def sample(self, sequence: CachedSequence, sampler: Sampler) -> int:
        assert sequence.row is not None, "a sequence is sampled once after each decode"
        return sampler.sample(self._llm._ctx, sequence.row)

    def step(self) -> None:
        """Decodes every sequence's feed in one batch; raises ModelError if llama.cpp fails
        (a full cache among other reasons)."""
        llm = self._llm
        batch = llm._batch.batch
        fed = [s for s in self.sequences.values() if s.feed]
        count = sum(len(s.feed) for s in fed)
        if count > llm.n_batch:
            raise ModelError(f"One step of {count} tokens is more than a batch of {llm.n_batch}.")
        row = 0
        for sequence in self.sequences.values():
            sequence.row = None
            for offset, token in enumerate(sequence.feed):
                batch.token[row] = token
                batch.pos[row] = sequence.position + offset
                batch.seq_id[row][0] = sequence.seq_id
                batch.n_seq_id[row] = 1
                batch.logits[row] = True
                sequence.row = row
                row += 1
        batch.n_tokens = row
        try:
            llm._ctx.decode(llm._batch)
        except RuntimeError as error:
            raise ModelError(f"llama.cpp failed while generating: {error}") from None
        for sequence in fed:
            if sequence.seq_id == FOLLOWED:
                end = sequence.position + len(sequence.feed)
                llm.input_ids[sequence.position : end] = sequence.feed
                llm.n_tokens = end
            sequence.position += len(sequence.feed)
            sequence.feed = []
