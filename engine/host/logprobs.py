"""Log-probabilities of the sampled tokens, read in the engine host's token loop when asked.

At each sampled position the logits the sequence's sampler just read (its row of the last
batch) are turned into log-probabilities with a numpy log-softmax: the model's own
distribution, before penalties, grammar or truncation, as OpenAI and llama.cpp's server report
it. Nothing here runs unless a request asks for log-probabilities.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import llama_cpp
import numpy as np


@dataclass(frozen=True)
class TokenLogprob:
    """One generated token: its bytes, its log-probability and the likeliest alternatives
    (bytes and log-probability, likeliest first; empty unless top ones were asked for)."""

    token: bytes
    logprob: float
    top: tuple[tuple[bytes, float], ...] = ()
    choice: int = 0  # which of a request's choices (n > 1) it belongs to


def token_logprob(
    ctx: llama_cpp.llama_context_p, n_vocab: int, token: int, top: int,
    piece: Callable[[int], bytes], row: int = -1, choice: int = 0,
) -> TokenLogprob:
    """`token`'s log-probability from the logits at batch row `row` (-1: the last), and the
    `top` likeliest."""
    pointer = llama_cpp.llama_get_logits_ith(ctx, row)
    logits = np.ctypeslib.as_array(pointer, shape=(n_vocab,)).astype(np.float64)
    shifted = logits - logits.max()
    logprobs = shifted - np.log(np.exp(shifted).sum())
    best: tuple[tuple[bytes, float], ...] = ()
    if top > 0:
        count = min(top, n_vocab)
        ids = np.argpartition(-logprobs, count - 1)[:count]
        ids = ids[np.argsort(-logprobs[ids], kind="stable")]
        best = tuple((piece(int(i)), float(logprobs[i])) for i in ids)
    return TokenLogprob(piece(token), float(logprobs[token]), best, choice)
