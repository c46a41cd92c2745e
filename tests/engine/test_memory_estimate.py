"""The memory estimate against what the engine host really holds, on the bundled model.

The host is driven as bench/memory_table.py drives it (a prompt that fills the context, then a
Prompt Lab scoring pass over a whole batch of logits) and its peak resident memory (VmHWM) must
lie between the estimate's 91% and 100%: never above the estimate, at most 10% below it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.memory_table import MIB, measure
from engine.errors import ModelTooBigError
from engine.host.client import HostRuntime
from engine.models.files import inspect_model_file
from engine.models.memory import ModelShape, estimate_memory, format_bytes, machine_memory
from engine.settings import RuntimeSettings
from tests.conftest import TEST_THREADS


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_estimate_bounds_the_hosts_peak_at_2k(bundled_model: Path) -> None:
    """At 2k: reading a 4k prompt takes 20 s here, and `make test-models` checks 4k and 16k on
    every model, the bundled one included (tests/compatibility/test_models.py)."""
    row = measure(bundled_model, 2048, TEST_THREADS)
    peaks = ", ".join(f"{stage} {value / MIB:.1f}" for stage, value in row.stage_peaks.items())
    assert row.peak_bytes <= row.estimate_bytes <= 1.10 * row.peak_bytes, (
        f"estimate {row.estimate_bytes / MIB:.1f} MiB, VmHWM {row.peak_bytes / MIB:.1f} MiB "
        f"(after each stage: {peaks})"
    )
    # The peak is the whole run's, not the load's alone: every stage added to it.
    assert row.stage_peaks["start"] < row.stage_peaks["load"] < row.stage_peaks["full"]
    assert row.stage_peaks["full"] < row.stage_peaks["score"] == row.peak_bytes


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_an_8_bit_cache_takes_about_half_the_memory_and_the_estimate_follows(
    bundled_model: Path,
) -> None:
    """The cache at 8 bits (q8_0 K and V, flash attention) loads in the host, reads a prompt
    that fills the context, and the estimate bounds the host's peak as it does for f16.

    At 2k, not 4k: reading a prompt into a q8_0 cache is slow on a CPU (52 s for 4k here), and
    2k still fails an estimate that leaves the cache out (measured: estimate 494 MiB, peak 478;
    the cache is 24 MiB of it)."""
    shape = ModelShape.from_header(inspect_model_file(bundled_model).header)
    full, half = (estimate_memory(shape, 2048, bits).kv_cache_bytes for bits in (16, 8))
    assert half == full * 34 // 64  # q8_0: 32 values and a f16 scale in 34 bytes
    row = measure(bundled_model, 2048, TEST_THREADS, kv_cache_bits=8)
    assert row.peak_bytes <= row.estimate_bytes <= 1.10 * row.peak_bytes, (
        f"estimate {row.estimate_bytes / MIB:.1f} MiB, VmHWM {row.peak_bytes / MIB:.1f} MiB")


def test_a_load_the_estimate_refuses_never_reaches_llama_cpp(bundled_model: Path) -> None:
    # 8M tokens of context: a KV cache of 193 GB, more than any machine this runs on.
    n_ctx = 1 << 23
    model = inspect_model_file(bundled_model)
    estimate = estimate_memory(ModelShape.from_header(model.header, model.size_bytes), n_ctx)
    machine = machine_memory()
    assert machine.total_bytes is not None and estimate.total_bytes > machine.total_bytes
    runtime = HostRuntime()
    try:
        runtime.start()
        before = runtime.memory()["VmHWM"]
        with pytest.raises(ModelTooBigError) as refused:
            runtime.load(bundled_model, RuntimeSettings(n_ctx=n_ctx), TEST_THREADS)
        assert str(refused.value) == (
            f"{bundled_model.name}: Too big for this computer: needs {estimate.describe()}, "
            f"but it has {format_bytes(machine.total_bytes)} of memory in all."
        )
        assert runtime.loaded is None
        # Refused before llama.cpp saw the file: the host never mapped its 98 MB of weights.
        after = runtime.memory()["VmHWM"]
        assert after - before < model.size_bytes // 4, (before, after)
    finally:
        runtime.close()


def test_closing_ends_the_host_and_gives_its_memory_back(bundled_model: Path) -> None:
    runtime = HostRuntime()
    try:
        runtime.load(bundled_model, RuntimeSettings(n_ctx=512), TEST_THREADS)
        pid = runtime.pid
        assert pid is not None
        status = Path(f"/proc/{pid}/status")
        resident = runtime.memory()["VmRSS"]
        assert resident > inspect_model_file(bundled_model).size_bytes  # the weights are in
        assert status.is_file()
    finally:
        runtime.close()
    # The process is gone and reaped (no zombie holds a thing): its memory is the system's.
    assert runtime.pid is None and runtime.loaded is None
    assert not status.exists()
