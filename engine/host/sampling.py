"""llama.cpp's full sampler chain, DRY and XTC included, for `Llama.generate()`.

llama-cpp-python's high-level API builds a chain without DRY and XTC. `Llama.generate()` asks
`_init_sampler` for its chain, so a subclass that builds the chain from `SamplingSettings`
reaches every sampler while keeping generate()'s prefix reuse. The order is llama.cpp's own
(common/common.h): penalties, DRY, top-k, typical, top-p, min-p, XTC, temperature, dist.
"""

from __future__ import annotations

from typing import Any

import llama_cpp
from llama_cpp import Llama
from llama_cpp._internals import LlamaSampler

from engine.errors import HearthError
from engine.settings import SamplingSettings

DRY_SEQUENCE_BREAKERS = ["\n", ":", '"', "*"]


class SamplingLlama(Llama):  # type: ignore[misc]
    """A `Llama` whose sampler chain comes from `sampling` instead of generate()'s arguments."""

    sampling = SamplingSettings()
    seed = 0
    grammar = ""  # GBNF text the reply must match (structured output); empty: none

    def _init_sampler(self, *_args: Any, **_kwargs: Any) -> LlamaSampler:
        return build_sampler_chain(self, self.sampling, self.seed, self.grammar)


def build_sampler_chain(
    llm: Llama, settings: SamplingSettings, seed: int, grammar: str = ""
) -> LlamaSampler:
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
    if grammar:  # where llama-cpp-python's own chain adds it: before the samplers that pick
        _add_grammar(chain, llm, grammar)
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


def _add_grammar(chain: LlamaSampler, llm: Llama, grammar: str) -> None:
    """LlamaSampler.add_grammar without its crash: llama.cpp answers a grammar it cannot parse
    with NULL, which the chain must never be given."""
    sampler = llama_cpp.llama_sampler_init_grammar(
        llm._model.vocab, grammar.encode("utf-8"), b"root"
    )
    if not sampler:
        raise HearthError("llama.cpp could not parse the grammar for this reply.")
    llama_cpp.llama_sampler_chain_add(chain.sampler, sampler)
