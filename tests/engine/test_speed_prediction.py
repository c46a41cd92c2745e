"""Generation speed predicted from file size, calibrated by one measured reply, and the catalog
model recommended from it (engine/models/speed.py)."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path

import pytest

from engine.host.client import HostRuntime
from engine.models.catalog import CATALOG, GB, CatalogFile, CatalogModel
from engine.models.memory import MachineMemory
from engine.models.speed import (
    OVERHEAD_BYTES,
    SpeedCalibration,
    cpu_identity,
    load_calibration,
    measure_speed,
    predict_tokens_per_second,
    recommend,
    save_calibration,
    speed_text,
)

BUNDLED_BYTES = 98_362_432  # SmolLM2-135M-Instruct Q4_1
PLENTY = MachineMemory(total_bytes=256 * GB, available_bytes=256 * GB)


def calibration(tokens_per_second: float, model_bytes: int = BUNDLED_BYTES) -> SpeedCalibration:
    return SpeedCalibration("test cpu", "bundled.gguf", model_bytes, tokens_per_second)


def model(name: str, parameters: int, sizes_gb: dict[str, float]) -> CatalogModel:
    """A catalog entry shaped like Llama 3.2 1B, with the parameters and files given."""
    files = tuple(CatalogFile(quant, f"{name}-{quant}.gguf", round(size * GB))
                  for quant, size in sizes_gb.items())
    return dataclasses.replace(CATALOG[0], key=name, name=name, parameter_count=parameters,
                               files=files)


SMALL = model("small", 1_000_000_000, {"Q4_K_M": 0.8, "Q8_0": 1.3})
MIDDLE = model("middle", 3_000_000_000, {"Q4_K_M": 2.0, "Q8_0": 3.4})
LARGE = model("large", 8_000_000_000, {"Q4_K_M": 4.9, "Q8_0": 8.5})
CATALOG_OF_THREE = (SMALL, MIDDLE, LARGE)


def test_the_measured_model_is_predicted_at_its_measured_speed() -> None:
    measured = calibration(118.9)
    assert predict_tokens_per_second(measured, BUNDLED_BYTES) == pytest.approx(118.9)


def test_predictions_scale_with_the_calibration_and_fall_with_the_file_size() -> None:
    slow, fast = calibration(50.0), calibration(100.0)
    sizes = [int(size * GB) for size in (0.5, 1.0, 2.0, 4.0, 8.0)]
    for size in sizes:
        assert predict_tokens_per_second(fast, size) == pytest.approx(
            2 * predict_tokens_per_second(slow, size))
    speeds = [predict_tokens_per_second(fast, size) for size in sizes]
    assert speeds == sorted(speeds, reverse=True)
    # Bandwidth-bound: twice the bytes (with the fixed cost as bytes) is half the speed.
    assert predict_tokens_per_second(fast, 2 * GB) == pytest.approx(
        100.0 * (BUNDLED_BYTES + OVERHEAD_BYTES) / (2 * GB + OVERHEAD_BYTES))


def test_the_prediction_matches_what_was_measured_on_the_reference_machine() -> None:
    """README, make test-models on the 2-core EPYC VM: the bundled model at 118.9 tok/s,
    Qwen2.5-Coder-0.5B Q4_K_M at 41.9 and 1.5B Q4_K_M at 24.4; within a quarter of each."""
    measured = calibration(118.9)
    for size, real in ((491_400_064, 41.9), (1_117_320_768, 24.4)):
        assert predict_tokens_per_second(measured, size) == pytest.approx(real, rel=0.25)


def test_a_model_smaller_than_the_measured_one_is_not_predicted_faster() -> None:
    measured = calibration(40.0, model_bytes=2 * GB)
    assert predict_tokens_per_second(measured, BUNDLED_BYTES) == pytest.approx(40.0)


def test_the_recommendation_is_the_largest_model_predicted_at_ten_tokens_a_second() -> None:
    # k chosen so that 10 tok/s falls between MIDDLE's two files.
    measured = calibration(10.0 * (2.5 * GB + OVERHEAD_BYTES) / (BUNDLED_BYTES + OVERHEAD_BYTES))
    chosen = recommend(CATALOG_OF_THREE, measured, PLENTY, 4096)
    assert chosen.model == MIDDLE and chosen.file == MIDDLE.file("Q4_K_M")
    assert chosen.tokens_per_second is not None and chosen.tokens_per_second >= 10.0
    assert predict_tokens_per_second(measured, MIDDLE.file("Q8_0").size_bytes) < 10.0
    assert chosen.fit is not None and chosen.fit.verdict == "fits"
    assert speed_text(chosen.tokens_per_second) in chosen.reason
    # A faster machine gets the large model's biggest file that still reaches 10 tok/s.
    quick = calibration(10.0 * (6.0 * GB + OVERHEAD_BYTES) / (BUNDLED_BYTES + OVERHEAD_BYTES))
    assert recommend(CATALOG_OF_THREE, quick, PLENTY, 4096).file == LARGE.file("Q4_K_M")


def test_a_model_that_does_not_fit_in_memory_is_passed_over() -> None:
    very_fast = calibration(1000.0)
    best = recommend(CATALOG_OF_THREE, very_fast, PLENTY, 4096)
    assert best.file == LARGE.file("Q8_0")
    # Memory for MIDDLE's biggest file but not LARGE's smallest.
    room = MIDDLE.estimate("Q8_0", 4096).total_bytes + 10**6
    assert LARGE.estimate("Q4_K_M", 4096).total_bytes > room
    smaller = MachineMemory(total_bytes=room, available_bytes=room)
    chosen = recommend(CATALOG_OF_THREE, very_fast, smaller, 4096)
    assert chosen.file == MIDDLE.file("Q8_0")
    # The context counts: at 32k tokens its cache no longer fits in the same memory.
    assert recommend(CATALOG_OF_THREE, very_fast, smaller, 32_768).file != MIDDLE.file("Q8_0")
    none_fit = recommend(CATALOG_OF_THREE, very_fast, MachineMemory(GB // 2, GB // 2), 4096)
    assert none_fit.model is None and "memory" in none_fit.reason


def test_a_slow_computer_gets_no_recommendation_and_the_reason() -> None:
    chosen = recommend(CATALOG_OF_THREE, calibration(2.0), PLENTY, 4096)
    assert chosen.model is None and chosen.file is None
    assert "No catalog model is predicted to write 10 tokens/s" in chosen.reason
    assert "small (Q4_K_M)" in chosen.reason


def test_without_a_calibration_there_is_no_recommendation() -> None:
    chosen = recommend(CATALOG, None, PLENTY, 4096)
    assert chosen.model is None and chosen.tokens_per_second is None
    assert "not been measured" in chosen.reason


def test_a_calibration_is_kept_for_its_processor_only(tmp_path: Path) -> None:
    path = tmp_path / "speed.json"
    assert load_calibration(path) is None
    here = SpeedCalibration(cpu_identity(), "bundled.gguf", BUNDLED_BYTES, 80.0)
    save_calibration(path, here)
    assert load_calibration(path) == here
    assert load_calibration(path, cpu="Another CPU × 64") is None
    path.write_text(json.dumps({"cpu": cpu_identity(), "model": "x"}), encoding="utf-8")
    assert load_calibration(path) is None  # unreadable: measured again, the file set aside


def test_measuring_the_bundled_model_gives_a_calibration_for_this_machine(
    runtime: HostRuntime,
) -> None:
    steps = measure_speed(runtime, threading.Event(), runs=2)
    with pytest.raises(StopIteration) as ended:
        while True:
            next(steps)
    measured: SpeedCalibration | None = ended.value.value
    assert measured is not None
    assert runtime.loaded is not None
    assert measured.cpu == cpu_identity() and measured.model == runtime.loaded.path.name
    assert measured.model_bytes == BUNDLED_BYTES
    assert 1.0 < measured.tokens_per_second < 10_000.0


def test_a_measurement_cut_short_before_it_timed_anything_gives_nothing(
    runtime: HostRuntime,
) -> None:
    cancelled = threading.Event()
    cancelled.set()
    steps = measure_speed(runtime, cancelled)
    with pytest.raises(StopIteration) as ended:
        next(steps)
    assert ended.value.value is None
