"""Prompt-lookup drafts for speculative decoding, and the switch that keeps it where it pays.

A reply often repeats its input: a code edit copies most of the code, a summary or an answer
about a document quotes it, a rewrite keeps its sentences. `PromptLookup` drafts the tokens
that followed the latest earlier occurrence of the text's last few tokens (prompt and reply so
far); the token loop (runtime.py) feeds them with the last sampled token in one batch and
samples the model at each of their positions in order, keeping drafts while they match its
own choices. Each emitted token is the model's own pick from its own logits, so the text is the
model's, a draft only saves decode steps.

On a CPU a batch of several tokens costs much more than a batch of one (a batch of two cost 1.7
to 1.9 single steps on this 2-core machine, of nine 4.5 to 6.7; llama.cpp PR 10455 saw CPU
speculation lose), so drafts must be short or very likely. `Speculator` follows each draft the
lookup proposes (eight tokens) against the tokens the model then writes, whether it fed them or
not (checking costs nothing), and from the latest proposals estimates how many tokens a draft
of each length would add; it feeds the length with the most tokens per unit of cost, using the
cost of each batch size measured once a model is loaded (batch.py `batch_costs`), and none
unless that beats plain decoding by MIN_GAIN. So it drafts where a reply repeats its input
(whole drafts are kept there) and stops where it no longer does, without paying to find out. It
decides from the tokens alone, never from a clock, so a fixed seed gives the same text run
after run: llama.cpp's logits on a CPU shift with the batch's shape (by up to half a logit on
this machine's build between a batch of one and of eight), so decisions made from timings would
change the batch shapes, and so the text, from run to run.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Literal

NGRAM_MIN, NGRAM_MAX = 2, 4  # the n-gram sizes looked up, longest first
DRAFT_MAX = 8  # tokens drafted at once
WINDOW_DRAFTS = 8  # the latest proposals judged
MIN_GAIN = 1.05  # expected tokens per cost a draft must reach, against 1 for plain decoding:
# a margin for what the cost table leaves out (sampling each row, reading its logits)

# "auto": drafts where they pay (the switch decides); "always": every step with a draft found
# (tests of losslessness); "off": plain decoding.
Speculation = Literal["auto", "always", "off"]


class PromptLookup:
    """Drafts from the text so far: the tokens after the latest earlier occurrence of its last
    n tokens, for n from NGRAM_MAX down to NGRAM_MIN."""

    def __init__(self, tokens: Sequence[int]) -> None:
        self._tokens: list[int] = []
        # n-gram -> where the tokens after its latest occurrence start (never the text's end)
        self._after: dict[tuple[int, ...], int] = {}
        for token in tokens:
            self.append(token)

    def append(self, token: int) -> None:
        end = len(self._tokens)  # the n-grams ending here have `token` after them
        for n in range(NGRAM_MIN, NGRAM_MAX + 1):
            if end >= n:
                self._after[tuple(self._tokens[end - n : end])] = end
        self._tokens.append(token)

    def draft(self, limit: int = DRAFT_MAX) -> list[int]:
        tokens = self._tokens
        for n in range(NGRAM_MAX, NGRAM_MIN - 1, -1):
            start = self._after.get(tuple(tokens[-n:])) if len(tokens) >= n else None
            if start is not None:
                return tokens[start : start + limit]
        return []


class Speculator:
    """Proposes drafts from the text so far (PromptLookup), follows each proposal against the
    tokens the model writes, and feeds as much of it as is expected to pay."""

    def __init__(self, mode: Speculation, prompt: Sequence[int], costs: Sequence[float]) -> None:
        self.mode = mode
        self.costs = tuple(costs)
        self._lookup = PromptLookup(prompt if mode != "off" else ())
        self._window: deque[int] = deque(maxlen=WINDOW_DRAFTS)  # tokens kept of each proposal
        self._proposal: list[int] = []  # the rest of the proposal being followed
        self._kept = 0  # of that proposal so far
        self.drafted = 0  # draft tokens fed, and how many of them the model kept
        self.accepted = 0

    def written(self, token: int) -> None:
        """A token the model wrote: it extends the text and judges the proposal's next token."""
        self._lookup.append(token)
        if not self._proposal:
            return
        if token == self._proposal[0]:
            self._proposal.pop(0)
            self._kept += 1
            if not self._proposal:
                self._window.append(self._kept)
        else:
            self._window.append(self._kept)
            self._proposal = []

    def draft(self, limit: int) -> list[int]:
        """The draft tokens to feed after the last written token: none, or the first tokens of
        the proposal being followed (a new one when the last has been judged)."""
        if self.mode == "off":
            return []
        if not self._proposal:
            self._proposal, self._kept = self._lookup.draft(DRAFT_MAX), 0
        length = DRAFT_MAX if self.mode == "always" else self.best_length()
        return self._proposal[: min(length, limit)]

    def fed(self, drafted: int, accepted: int) -> None:
        self.drafted += drafted
        self.accepted += accepted

    def best_length(self) -> int:
        """The draft length with the most expected tokens per cost: a draft of k adds, on
        average over the latest proposals, min(k, tokens kept of the proposal)."""
        if not self._window:
            return 0
        best, best_gain = 0, MIN_GAIN
        for k in range(1, min(DRAFT_MAX, len(self.costs) - 1) + 1):
            added = sum(min(k, kept) for kept in self._window) / len(self._window)
            gain = (1 + added) / self.costs[k]
            if gain > best_gain:
                best, best_gain = k, gain
        return best
