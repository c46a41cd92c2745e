"""GPU offload: detected at run time, sized to free memory, and degrading to the CPU.

This machine has no GPU. Where a test needs one, a `BackendInfo` describing a GPU stands in for
the real device list; it only feeds the sizing arithmetic, never llama.cpp.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.host import runtime as runtime_module
from engine.host.backend import BackendInfo, Device, backend_info, layers_that_fit
from engine.host.runtime import Runtime, gpu_layers_for
from engine.settings import RuntimeSettings

MIB = 1024 * 1024


def test_this_cpu_build_reports_no_gpu_and_says_why() -> None:
    info = backend_info()
    assert not info.gpu_offload
    assert info.name == "CPU"
    assert info.gpu_unavailable_reason is not None
    assert "CPU" in info.gpu_unavailable_reason
    assert any(device.kind == "CPU" for device in info.devices)


def test_asking_for_gpu_layers_without_a_gpu_loads_on_the_cpu(bundled_model: Path) -> None:
    runtime = Runtime()
    loaded = runtime.load(bundled_model, RuntimeSettings(n_ctx=512, n_gpu_layers=20), 1)
    try:
        assert loaded.n_gpu_layers == 0
        assert loaded.gpu_split == "CPU"
    finally:
        runtime.close()


def test_layers_that_fit_uses_model_and_kv_sizes() -> None:
    # 30 layers, 310 MB of weights (10 MB a layer), 1 MB of KV per layer at this context.
    kv_per_token = 30 * MIB // 1024
    assert layers_that_fit(30, 310 * MIB, kv_per_token, 1024, 8192 * MIB) == -1
    assert layers_that_fit(30, 310 * MIB, kv_per_token, 1024, 512 * MIB + 110 * MIB) == 10
    assert layers_that_fit(30, 310 * MIB, kv_per_token, 1024, 256 * MIB) == 0


def test_auto_offload_sizes_the_split_from_free_vram(
    bundled_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_gpu(free_mib: int) -> BackendInfo:
        gpu = Device("CUDA0", "Stand-in GPU", "GPU", free_mib * MIB, 24576 * MIB)
        return BackendInfo(gpu_offload=True, devices=(gpu,), system_info="")

    size = bundled_model.stat().st_size
    monkeypatch.setattr(runtime_module, "backend_info", lambda: fake_gpu(24000))
    assert gpu_layers_for(bundled_model, size, RuntimeSettings(n_ctx=4096)) == -1
    monkeypatch.setattr(runtime_module, "backend_info", lambda: fake_gpu(512 + 60))
    partial = gpu_layers_for(bundled_model, size, RuntimeSettings(n_ctx=4096))
    assert 0 < partial < 30
    explicit = RuntimeSettings(n_ctx=4096, n_gpu_layers=7)
    assert gpu_layers_for(bundled_model, size, explicit) == 7
