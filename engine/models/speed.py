"""How fast a model would write on this computer, predicted from its file size, and which
catalog model to recommend.

Writing one token on a CPU reads every weight of the model once, so the time a token takes is
mostly the file's bytes over the memory bandwidth. The rest is a cost per token that does not
grow with the model: building llama.cpp's graph, the sampler over the vocabulary, Hearth's
loop. One measured model cannot tell the two apart, so the fixed cost is taken as the time to
read OVERHEAD_BYTES more weights:

    tokens/s = k / (file bytes + OVERHEAD_BYTES)

with k calibrated here from a measured reply of a model whose size is known (the bundled
model, measured once per processor). OVERHEAD_BYTES was fitted on a 2-core AMD EPYC VM
(make test-models at 736f256: SmolLM2-135M Q4_1, 98 MB, 118.9 tok/s; Qwen2.5-Coder-0.5B Q4_K_M,
491 MB, 41.9; Qwen2.5-Coder-1.5B Q4_K_M, 1.12 GB, 24.4). Calibrated on the bundled model it
predicts 49 and 26 for the other two; k / bytes alone would predict 24 and 10.

What it does not know, said plainly: the fixed cost was fitted on one machine and differs on
others (a faster core shrinks it); a big vocabulary costs more per token (Gemma 3 270M ran at
59 where this predicts 76); a model whose token embeddings are not its output matrix reads a
little less than its file; layers on a GPU run at the GPU's speed; a busy machine measures
slow. So it is an estimate to choose by, not a promise; and a model smaller than the one
measured is never predicted faster than it was measured, since there the fixed cost rules.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Generator, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from engine.errors import ModelError, SettingsError
from engine.host.runtime import GenerationDone, LoadedModel, StreamEvent
from engine.models.catalog import CatalogFile, CatalogModel
from engine.models.memory import Fit, MachineMemory, fits, format_bytes
from engine.scheduler import CancelFlag
from engine.settings import SamplingSettings
from engine.settings_file import load_settings_file, save_settings_file
from engine.text import Text

OVERHEAD_BYTES = 180 * 10**6  # the per-token fixed cost, as weights read in the same time
TARGET_TOKENS_PER_SECOND = 10.0  # reading pace: slower replies feel like waiting
# The measurement: a few short replies, the fastest kept (the first may run while the engine
# still tries thread counts, and the machine may be busy for a moment).
MEASURE_PROMPT = "Count from one to one hundred in words, one number a line."
MEASURE_TOKENS = 32
MEASURE_RUNS = 3
MEASURE_MIN_TOKENS = 8  # a reply cut shorter than this (a chat came first) times nothing


@dataclass(frozen=True)
class SpeedCalibration:
    """A reply's measured speed on this computer, and the size of the model that wrote it."""

    cpu: str  # cpu_identity() of the machine measured: another one measures again
    model: str  # the file's name
    model_bytes: int
    tokens_per_second: float

    @property
    def k(self) -> float:
        return self.tokens_per_second * (self.model_bytes + OVERHEAD_BYTES)


def cpu_identity() -> str:
    """The processor's name and thread count: what the calibration holds for."""
    name = ""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        cpuinfo = ""  # not Linux
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "Hardware", "cpu model"):
            name = value.strip()
            break
    name = name or platform.processor() or platform.machine() or "unknown processor"
    return f"{name} × {os.cpu_count() or 1}"


def predict_tokens_per_second(calibration: SpeedCalibration, weights_bytes: int) -> float:
    """The predicted generation speed of a model of `weights_bytes` (see the module's notes)."""
    return min(calibration.tokens_per_second,
               calibration.k / (max(0, weights_bytes) + OVERHEAD_BYTES))


def speed_text(tokens_per_second: float) -> str:
    """One decimal near the 10 tok/s line, so 9.7 never reads as 10."""
    digits = 0 if tokens_per_second >= 20 else 1
    return f"≈ {tokens_per_second:.{digits}f} tok/s"


# Saved per data folder, with the processor it was measured on --------------------------------

def load_calibration(path: Path, cpu: str | None = None) -> SpeedCalibration | None:
    """The saved calibration when it was measured on this processor (`cpu`, this machine's
    by default); None when there is none, or it is another machine's or unreadable."""
    calibration, _notice = load_settings_file(path, _parse, lambda: None,
                                              Text("The saved speed measurement was set "
                                                   "aside"))
    wanted = cpu_identity() if cpu is None else cpu
    return calibration if calibration is not None and calibration.cpu == wanted else None


def save_calibration(path: Path, calibration: SpeedCalibration) -> None:
    save_settings_file(path, json.dumps(asdict(calibration), indent=2), Text("speed measurement"))


def _parse(text: str) -> SpeedCalibration:
    try:
        data = json.loads(text)
        calibration = SpeedCalibration(str(data["cpu"]), str(data["model"]),
                                       int(data["model_bytes"]),
                                       float(data["tokens_per_second"]))
    except (ValueError, KeyError, TypeError) as error:
        raise SettingsError({"file": f"not a speed measurement ({error})"}) from None
    if calibration.model_bytes <= 0 or calibration.tokens_per_second <= 0:
        raise SettingsError({"file": "a speed measurement of nothing"})
    return calibration


# Measuring: short replies on the loaded model, through the engine's own token loop -----------

class TextRuntime(Protocol):
    @property
    def loaded(self) -> LoadedModel | None: ...

    def stream_text(self, prompt: str, sampling: SamplingSettings, cancel: CancelFlag,
                    stop: Sequence[str] = (), ignore_eog: bool = False) -> Iterator[StreamEvent]:
        ...


def measure_speed(runtime: TextRuntime, cancel: CancelFlag, runs: int = MEASURE_RUNS,
                  ) -> Generator[StreamEvent, None, SpeedCalibration | None]:
    """Times `runs` replies of MEASURE_TOKENS on the loaded model and returns the fastest as a
    calibration; yields the stream's events, so the scheduler can run it in slices. `cancel`
    cuts a reply short (a person's message comes first); None when no reply ran long enough
    to time."""
    loaded = runtime.loaded
    if loaded is None:
        raise ModelError(Text("No model is loaded to measure this computer's speed with."))
    # Greedy, no repetition guard and past end-of-text: every run writes all its tokens.
    sampling = SamplingSettings(temperature=0.0, seed=0, max_tokens=MEASURE_TOKENS,
                                repeat_penalty=1.0, loop_guard=0)
    fastest = 0.0
    for _ in range(runs):
        if cancel.is_set():
            break
        for event in runtime.stream_text(MEASURE_PROMPT, sampling, cancel, ignore_eog=True):
            yield event
            if isinstance(event, GenerationDone) and event.generated_tokens >= MEASURE_MIN_TOKENS:
                fastest = max(fastest, event.tokens_per_second)
    if fastest <= 0:
        return None
    return SpeedCalibration(cpu_identity(), loaded.path.name, loaded.size_bytes, fastest)


# The recommendation -----------------------------------------------------------------------

@dataclass(frozen=True)
class Recommendation:
    """The catalog file to suggest, or None; `reason` says why, in a sentence for a person."""

    model: CatalogModel | None
    file: CatalogFile | None
    tokens_per_second: float | None
    fit: Fit | None
    reason: str


def recommend(catalog: Sequence[CatalogModel], calibration: SpeedCalibration | None,
              machine: MachineMemory, n_ctx: int,
              target: float = TARGET_TOKENS_PER_SECOND) -> Recommendation:
    """The largest catalog model (by parameters, then the largest of its files) predicted to
    write at least `target` tokens/s here whose memory estimate at `n_ctx` fits `machine`."""
    if calibration is None:
        return Recommendation(None, None, None, None,
                              "This computer's speed has not been measured yet.")
    fast: list[tuple[CatalogModel, CatalogFile, float]] = []
    for model in catalog:
        for file in model.files:
            speed = predict_tokens_per_second(calibration, file.size_bytes)
            if speed >= target:
                fast.append((model, file, speed))
    if not fast:
        model, file = min(((m, f) for m in catalog for f in m.files),
                          key=lambda pair: pair[1].size_bytes)
        speed = predict_tokens_per_second(calibration, file.size_bytes)
        return Recommendation(None, None, None, None, (
            f"No catalog model is predicted to write {target:.0f} tokens/s on this computer: "
            f"the smallest, {model.name} ({file.quantization}), {speed_text(speed)}."))
    fast.sort(key=lambda choice: (choice[0].parameter_count, choice[1].size_bytes), reverse=True)
    for model, file, speed in fast:
        fit = fits(model.estimate(file.quantization, n_ctx), machine)
        if fit.loadable:
            return Recommendation(model, file, speed, fit, (
                f"The largest catalog model predicted to write at least {target:.0f} tokens/s "
                f"here ({speed_text(speed)}) that fits this computer's memory at {n_ctx:,} "
                f"tokens of context ({format_bytes(fit.estimate.total_bytes)})."))
    return Recommendation(None, None, None, None, (
        f"The catalog models fast enough here do not fit this computer's memory at {n_ctx:,} "
        "tokens of context; close other programs or choose a shorter context."))
