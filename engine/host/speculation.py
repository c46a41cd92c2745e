"""Drafts for speculative decoding (prompt lookup, a draft model) and the switch that keeps
them where they pay.

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

A draft model (drafting.py), when one is attached, drafts where the lookup proposes nothing
that pays. Its proposals cost its decodes, so they are not followed for free: from the share of
its draft tokens the model kept lately, it drafts the length with the most expected tokens per
cost (the loaded model's wider batch and its own decodes), none when no length reaches
MIN_GAIN; then it rests for a number of written tokens that doubles each time (from
REST_TOKENS), and tries again. Again from the tokens alone.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from engine.errors import ModelError
from engine.host.batch import CancelFlag

if TYPE_CHECKING:
    from engine.host.drafting import DraftModel

log = logging.getLogger(__name__)

NGRAM_MIN, NGRAM_MAX = 2, 4  # the n-gram sizes looked up, longest first
DRAFT_MAX = 8  # tokens drafted at once
WINDOW_DRAFTS = 8  # the latest proposals judged
MIN_GAIN = 1.05  # expected tokens per cost a draft must reach, against 1 for plain decoding:
# a margin for what the cost table leaves out (sampling each row, reading its logits)
DRAFTS_JUDGED = 8  # a draft model's latest fed drafts, from which its length is chosen
KEPT_PRIOR = 0.8  # the share of a draft model's tokens taken as kept before any was checked,
PRIOR_WEIGHT = 2  # and how many tried tokens that guess weighs
REST_TOKENS = 16  # written tokens a draft model rests after its first switch-off; then doubling
REST_MAX = 512

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

    @property
    def tokens(self) -> list[int]:
        """The text so far: the prompt and the tokens written."""
        return self._tokens

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

    def __init__(self, mode: Speculation, prompt: Sequence[int], costs: Sequence[float],
                 drafter: DraftModel | None = None, cancel: CancelFlag | None = None) -> None:
        self.mode = mode
        self.costs = tuple(costs)
        self._lookup = PromptLookup(prompt if mode != "off" else ())
        self._model = _ModelDrafts(drafter, cancel) \
            if drafter is not None and mode != "off" else None
        self._from_model = False  # the draft being checked came from the draft model
        self._window: deque[int] = deque(maxlen=WINDOW_DRAFTS)  # tokens kept of each proposal
        self._proposal: list[int] = []  # the rest of the proposal being followed
        self._kept = 0  # of that proposal so far
        self.drafted = 0  # draft tokens fed, and how many of them the model kept
        self.accepted = 0

    def written(self, token: int) -> None:
        """A token the model wrote: it extends the text and judges the proposal's next token."""
        self._lookup.append(token)
        if self._model is not None:
            self._model.written()
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
        """The draft tokens to feed after the last written token: none, the first tokens of
        the lookup's proposal being followed (a new one when the last has been judged), or
        the draft model's where the lookup's do not pay. "always": the draft model's if one
        is attached, else the lookup's."""
        self._from_model = False
        if self.mode == "off" or limit <= 0:
            return []
        if not self._proposal:
            self._proposal, self._kept = self._lookup.draft(DRAFT_MAX), 0
        if self.mode == "always":
            return self._model_draft(limit) if self._model is not None \
                else self._proposal[:limit]
        length = min(self.best_length(), limit)
        if length and self._proposal:
            return self._proposal[:length]
        if self._model is not None:
            return self._model_draft(limit)
        return []

    def _model_draft(self, limit: int) -> list[int]:
        assert self._model is not None
        length = limit if self.mode == "always" else self._model.length(self.costs, limit)
        if not length:
            return []
        try:
            proposal = self._model.propose(self._lookup.tokens, min(DRAFT_MAX, length))
        except ModelError:  # it failed or was stopped: the reply goes on without it
            log.warning("the draft model stopped drafting this reply", exc_info=True)
            self._model = None
            return []
        self._from_model = bool(proposal)
        if not proposal:  # it doubted its first token: its decode was spent for nothing
            self._model.judge(0, 0)
        return proposal

    def fed(self, drafted: int, accepted: int) -> None:
        self.drafted += drafted
        self.accepted += accepted
        if self._from_model and self._model is not None:
            self._model.judge(drafted, accepted)

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


class _ModelDrafts:
    """A draft model's proposals, their length and their switch (see the module's docstring)."""

    def __init__(self, drafter: DraftModel, cancel: CancelFlag | None) -> None:
        self.drafter = drafter
        self._cancel = cancel
        self._judged: deque[tuple[int, int]] = deque(maxlen=DRAFTS_JUDGED)  # (fed, kept)
        self._resting = 0  # written tokens left before it drafts again
        self._rest = REST_TOKENS  # the next rest's length

    def written(self) -> None:
        self._resting = max(0, self._resting - 1)

    def propose(self, text: Sequence[int], length: int) -> list[int]:
        return self.drafter.propose(text, length, self._cancel)

    def judge(self, fed: int, kept: int) -> None:
        """Counts a checked draft (a proposal of no tokens too: its decode was spent)."""
        self._judged.append((fed, kept))

    def length(self, costs: Sequence[float], limit: int) -> int:
        """The draft length with the most expected tokens per cost: a draft token is kept with
        the share of tried draft tokens kept lately (from KEPT_PRIOR, as if PRIOR_WEIGHT tokens
        had been tried), and costs its decode beside the wider batch. 0 when none reaches
        MIN_GAIN, which starts a rest."""
        if self._resting or not costs:
            return 0
        tried = sum(min(kept + 1, max(fed, 1)) for fed, kept in self._judged)
        kept = sum(kept for _fed, kept in self._judged)
        share = (kept + KEPT_PRIOR * PRIOR_WEIGHT) / (tried + PRIOR_WEIGHT)
        best, best_gain = 0, MIN_GAIN
        for k in range(1, min(DRAFT_MAX, len(costs) - 1, limit) + 1):
            expected = sum(share**i for i in range(1, k + 1))
            gain = (1 + expected) / (costs[k] + k * self.drafter.step_cost)
            if gain > best_gain:
                best, best_gain = k, gain
        if best == 0 and limit >= DRAFT_MAX:  # not a reply's last tokens, where few fit
            self._resting, self._rest = self._rest, min(2 * self._rest, REST_MAX)
            self._judged.clear()
        return best
