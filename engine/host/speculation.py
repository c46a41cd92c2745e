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
speculation lose), so drafts must be short or very likely. `SpeculationSwitch` estimates how
likely a draft token is to be kept (from the steps so far) and drafts the number of tokens
that gives the most expected tokens per unit of cost, using the cost of each batch size
measured once a model is loaded (batch.py `batch_costs`); none when no length pays, trying
again later, since a reply's text changes character (quoted code, then prose). It decides from
the tokens alone, never from a clock, so a fixed seed gives the same text run after run:
llama.cpp's logits on a CPU shift with the batch's shape (by up to half a logit on this
machine's build between a batch of one and of eight), so decisions made from timings would
change the batch shapes, and so the text, from run to run.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Literal

NGRAM_MIN, NGRAM_MAX = 2, 4  # the n-gram sizes looked up, longest first
DRAFT_MAX = 8  # tokens drafted at once
WINDOW_STEPS = 8  # the latest steps with drafts the switch judges
PAUSE_STEPS = 32  # plain steps after no draft length paid, before drafts are tried again
# Before it has seen drafts: as if 4 tokens were kept for each one refused (a kept share of 0.8).
PRIOR_KEPT, PRIOR_REFUSED = 4.0, 1.0

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


class SpeculationSwitch:
    """Chooses each step's draft length from the share of draft tokens kept and what batches
    cost (`costs[n - 1]`: a batch of n tokens, in single steps)."""

    def __init__(self, mode: Speculation, costs: Sequence[float]) -> None:
        self.mode = mode
        self.costs = tuple(costs)
        self._window: deque[tuple[int, int]] = deque(maxlen=WINDOW_STEPS)  # (kept, refused)
        self._pause = 0  # plain steps still to take before drafting again
        self.drafted = 0  # draft tokens fed, and how many of them the model kept
        self.accepted = 0

    def draft_length(self) -> int:
        if self.mode != "auto":
            return DRAFT_MAX if self.mode == "always" else 0
        if self._pause > 0:
            self._pause -= 1
            return 0
        best = best_draft_length(self.kept_share(), self.costs)
        if best == 0:
            self._pause = PAUSE_STEPS
            self._window.clear()
        return best

    def kept_share(self) -> float:
        """The chance that a draft token is kept, given the one before it was."""
        kept = PRIOR_KEPT + sum(k for k, _ in self._window)
        refused = PRIOR_REFUSED + sum(r for _, r in self._window)
        return kept / (kept + refused)

    def record(self, drafted: int, accepted: int) -> None:
        self.drafted += drafted
        self.accepted += accepted
        self._window.append((accepted, 1 if accepted < drafted else 0))


def best_draft_length(kept_share: float, costs: Sequence[float]) -> int:
    """The draft length with the most expected tokens per cost: k drafts emit 1 + a + a^2 + ...
    + a^k tokens on average (a token is kept only if those before it were) for costs[k]."""
    best, best_gain = 0, 1.0
    for k in range(1, min(DRAFT_MAX, len(costs) - 1) + 1):
        emitted = sum(kept_share**i for i in range(k + 1))
        if emitted / costs[k] > best_gain:
            best, best_gain = k, emitted / costs[k]
    return best
