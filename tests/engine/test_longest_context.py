"""The longest context that fits a machine: the fit's own rule turned around, with numbers.

A made-up model, nothing repacked (so the numbers do not depend on this CPU): 1 GB of weights,
24 layers of 8 KV heads of 128 values, 96 kB of f16 cache a token, trained for 32,768 tokens.
"""

from __future__ import annotations

import pytest

from engine.models.memory import (
    CONTEXT_STEP,
    MachineMemory,
    ModelShape,
    estimate_memory,
    fits,
    held_by_model,
    longest_context,
)

SHAPE = ModelShape(weights_bytes=10**9, block_count=24, kv_bytes_per_token=24 * 8 * 128 * 2 * 2,
                   head_count=16, vocab_size=32_000, embedding_length=2048, repacked_bytes=0)
TRAINED = 32_768
GB = 10**9


def _free(available: int) -> MachineMemory:
    """A machine with plenty of RAM in all but `available` of it free now."""
    return MachineMemory(total_bytes=64 * GB, available_bytes=available)


def _needs(n_ctx: int, bits: int = 16) -> int:
    return estimate_memory(SHAPE, n_ctx, bits).total_bytes


def test_a_machine_with_room_is_offered_the_trained_context() -> None:
    assert longest_context(SHAPE, TRAINED, _free(32 * GB)) == TRAINED
    assert longest_context(SHAPE, TRAINED, _free(_needs(TRAINED))) == TRAINED


def test_memory_just_above_or_below_a_step_decides_it() -> None:
    at_8k = _needs(8192)
    # 1 GB of weights + 0.8 GB of cache + 0.6 GB of working memory (the attention scores)
    assert at_8k == pytest.approx(2.47e9, rel=0.01)
    assert longest_context(SHAPE, TRAINED, _free(at_8k)) == 8192
    assert longest_context(SHAPE, TRAINED, _free(at_8k - 1)) == 7168
    assert longest_context(SHAPE, TRAINED, _free(_needs(9216) - 1)) == 8192


def test_an_8_bit_cache_is_offered_a_longer_context_in_the_same_memory() -> None:
    machine = _free(5 * GB // 2)
    f16 = longest_context(SHAPE, TRAINED, machine, 16)
    q8_0 = longest_context(SHAPE, TRAINED, machine, 8)
    q4_0 = longest_context(SHAPE, TRAINED, machine, 4)
    assert (f16, q8_0, q4_0) == (8192, 22_528, TRAINED)
    # more than twice: without flash attention the f16 cache's scores grow with it too
    assert f16 is not None and q8_0 is not None and q8_0 > 2 * f16


@pytest.mark.parametrize("bits", [16, 8, 4])
def test_the_offer_is_a_step_that_fits_and_grows_with_the_memory(bits: int) -> None:
    offers = []
    for available in range(GB, 8 * GB, GB // 7):
        machine = _free(available)
        offer = longest_context(SHAPE, TRAINED, machine, bits)
        assert offer is not None
        offers.append(offer)
        if offer:
            assert offer % CONTEXT_STEP == 0
            assert fits(estimate_memory(SHAPE, offer, bits), machine).verdict == "fits"
        if offer < TRAINED:  # the next step would not fit
            bigger = estimate_memory(SHAPE, offer + CONTEXT_STEP, bits)
            assert fits(bigger, machine).verdict != "fits"
    assert offers == sorted(offers) and offers[0] < offers[-1]


def test_a_trained_context_off_the_steps_is_offered_whole_or_rounded_down() -> None:
    assert longest_context(SHAPE, 40_000, _free(32 * GB)) == 40_000
    assert longest_context(SHAPE, 40_000, _free(_needs(40_000) - 1)) == 39 * 1024
    assert longest_context(SHAPE, 512, _free(32 * GB)) == 512


def test_nothing_is_offered_when_not_even_one_step_fits_or_the_memory_is_unknown() -> None:
    assert longest_context(SHAPE, TRAINED, _free(_needs(CONTEXT_STEP) - 1)) == 0
    assert longest_context(SHAPE, TRAINED, MachineMemory(None, None)) is None
    unknown_cache = ModelShape(10**9, 24, None, 16, 32_000, 2048, repacked_bytes=0)
    assert longest_context(unknown_cache, TRAINED, _free(32 * GB)) is None
    assert longest_context(SHAPE, None, _free(32 * GB)) is None


def test_what_the_loaded_model_holds_counts_as_free_as_when_it_is_loaded_again() -> None:
    loaded = held_by_model(SHAPE, 4096)
    machine = _free(_needs(8192) - loaded)  # measured with the model loaded at 4k
    assert longest_context(SHAPE, TRAINED, machine) == 0  # not even the weights are free
    assert longest_context(SHAPE, TRAINED, machine, freed_bytes=loaded) == 8192


def test_a_full_machine_is_too_big_whatever_is_free() -> None:
    small = MachineMemory(total_bytes=_needs(4096), available_bytes=32 * GB)
    assert longest_context(SHAPE, TRAINED, small) == 4096
