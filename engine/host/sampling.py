"""llama.cpp's full sampler chain, DRY and XTC included, one per sequence of the token loop.

llama-cpp-python's high-level API builds a chain without DRY and XTC; this builds it from
`SamplingSettings`, in llama.cpp's own order (common/common.h): penalties, DRY, top-k, typical,
top-p, min-p, XTC, temperature, dist.

A grammar (the API's structured output) is applied as llama.cpp's own common sampler applies it
(common/sampling.cpp): the chain picks a token from all candidates, the grammar checks just that
one, and only when it refuses does the grammar filter every candidate before the chain picks
again. Filtering the whole vocabulary (49k to 152k tokens) at every token made a grammar most of
a reply's time. Greedy picks are the same either way; with top-k/top-p/min-p on, an allowed
token inside the unconstrained top set is somewhat likelier than if the grammar filtered first,
as in llama.cpp.
"""

from __future__ import annotations

import ctypes
import math
from typing import Any

import llama_cpp
import numpy as np
from llama_cpp import Llama
from llama_cpp._internals import LlamaContext, LlamaSampler

from engine.errors import HearthError
from engine.settings import SamplingSettings
from engine.text import Text

DRY_SEQUENCE_BREAKERS = ["\n", ":", '"', "*"]


def make_sampler(
    llm: Llama, settings: SamplingSettings, seed: int, grammar: str = ""
) -> LlamaSampler | GrammarChecked:
    """One sequence's sampler: the chain, and the grammar when one is given (GBNF text)."""
    chain = build_sampler_chain(llm, settings, seed)
    if not grammar:
        return chain
    return GrammarChecked(chain, grammar_sampler(llm, grammar), llm.n_vocab())


class GrammarChecked:
    """The chain and a grammar, sampled grammar-last (see the module's docstring)."""

    def __init__(self, chain: LlamaSampler, grammar: Any, n_vocab: int) -> None:
        self.chain = chain  # kept alive with its samplers; frees them when dropped
        self._grammar = grammar
        self._n_vocab = n_vocab
        self._candidates = (llama_cpp.llama_token_data * n_vocab)()
        self._view = np.ctypeslib.as_array(self._candidates)  # fields id, logit, p
        self._ids = np.arange(n_vocab, dtype=np.int32)
        self._one = (llama_cpp.llama_token_data * 1)()

    def __del__(self) -> None:
        grammar = getattr(self, "_grammar", None)
        if grammar is not None and llama_cpp is not None:  # None: at interpreter exit
            llama_cpp.llama_sampler_free(grammar)

    def sample(self, ctx: LlamaContext, idx: int = -1) -> int:
        token = self._pick(ctx, idx, grammar_first=False)
        self._one[0].id, self._one[0].logit, self._one[0].p = token, 0.0, 0.0
        single = llama_cpp.llama_token_data_array(self._one, 1, -1, False)
        llama_cpp.llama_sampler_apply(self._grammar, ctypes.byref(single))
        if math.isinf(self._one[0].logit):  # refused: the grammar filters them all first
            token = self._pick(ctx, idx, grammar_first=True)
        llama_cpp.llama_sampler_accept(self._grammar, token)
        llama_cpp.llama_sampler_accept(self.chain.sampler, token)
        return token

    def _pick(self, ctx: LlamaContext, idx: int, grammar_first: bool) -> int:
        logits = llama_cpp.llama_get_logits_ith(ctx.ctx, idx)
        self._view["id"] = self._ids
        self._view["logit"] = np.ctypeslib.as_array(logits, shape=(self._n_vocab,))
        self._view["p"] = 0.0
        candidates = llama_cpp.llama_token_data_array(self._candidates, self._n_vocab, -1, False)
        if grammar_first:
            llama_cpp.llama_sampler_apply(self._grammar, ctypes.byref(candidates))
        llama_cpp.llama_sampler_apply(self.chain.sampler, ctypes.byref(candidates))
        return int(candidates.data[candidates.selected].id)


def build_sampler_chain(llm: Llama, settings: SamplingSettings, seed: int) -> LlamaSampler:
    chain = LlamaSampler()
    chain.add_penalties(
        n_vocab=llm.n_vocab(),
        penalty_last_n=settings.penalty_last_n,
        penalty_repeat=settings.repeat_penalty,
        penalty_freq=settings.frequency_penalty,
        penalty_present=settings.presence_penalty,
    )
    if settings.dry_multiplier > 0:
        chain.add_dry(
            llm._model,
            settings.dry_multiplier,
            settings.dry_base,
            settings.dry_allowed_length,
            llm.n_ctx(),  # look back over the whole context, as llama.cpp's -1 means
            DRY_SEQUENCE_BREAKERS,
        )
    if settings.temperature == 0:
        chain.add_greedy()
    elif settings.mirostat_mode == 1:
        chain.add_temp(settings.temperature)
        chain.add_mirostat(llm.n_vocab(), seed, settings.mirostat_tau, settings.mirostat_eta, 100)
    elif settings.mirostat_mode == 2:
        chain.add_temp(settings.temperature)
        chain.add_mirostat_v2(seed, settings.mirostat_tau, settings.mirostat_eta)
    else:
        if settings.top_k > 0:
            chain.add_top_k(settings.top_k)
        chain.add_typical(settings.typical_p, 1)
        chain.add_top_p(settings.top_p, 1)
        chain.add_min_p(settings.min_p, 1)
        if settings.xtc_probability > 0:
            chain.add_xtc(settings.xtc_probability, settings.xtc_threshold, 1, seed)
        chain.add_temp(settings.temperature)
        chain.add_dist(seed)
    return chain


def grammar_sampler(llm: Llama, grammar: str) -> Any:
    """llama.cpp's grammar sampler; a grammar it cannot parse it answers with NULL, which must
    never be used."""
    sampler = llama_cpp.llama_sampler_init_grammar(
        llm._model.vocab, grammar.encode("utf-8"), b"root"
    )
    if not sampler:
        raise HearthError(Text("llama.cpp could not parse the grammar for this reply."))
    return sampler
