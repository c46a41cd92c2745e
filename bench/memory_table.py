"""`python -m bench.memory_table MODEL... [--ctx 4096 16384]`: Hearth's memory estimate against
the engine host's measured peak.

For each model and context length a fresh engine host (engine/host/client.py) loads the model
and is driven to the most memory the app can make it use: a prompt that fills the context
(llama.cpp's attention scores grow with the tokens in the cache, up to the whole context) and a
Prompt Lab scoring pass that asks for the logits of a whole batch of tokens (llama.cpp's output
buffer grows to n_batch x n_vocab floats). Then the host's peak resident memory (VmHWM) is read
and set against `estimate_memory`, which must never be below it and at most 10% above it.
Prints a Markdown table; `--json FILE` writes the rows too.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from engine.host.client import HostRuntime
from engine.host.runtime import GenerationDone
from engine.models.files import bundled_model_path, inspect_model_file
from engine.models.memory import LOGITS_ROWS, ModelShape, estimate_memory
from engine.settings import RuntimeSettings, SamplingSettings

MIB = 1024 * 1024
SCORED_TOKENS = LOGITS_ROWS  # the most logits one decode call returns (n_batch)
FILLER = (
    "The history of the lighthouse begins with fires lit on hills to guide ships home. "
    "Later, towers of stone carried lamps of oil, and lenses focused their light far out to sea. "
)
STAGES = ("load", "prompt", "full", "score")


class _BufferSizes(logging.Handler):
    """Keeps llama.cpp's log lines that give a buffer's size, to show beside the peak."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "buffer size" in message:
            self.lines.append(" ".join(message.split()))


class _Never:
    """A cancel flag that is never set."""

    def is_set(self) -> bool:
        return False


@dataclass(frozen=True)
class Measurement:
    model: str
    n_ctx: int
    estimate_bytes: int
    peak_bytes: int  # the host's VmHWM after every stage
    stage_peaks: dict[str, int]  # VmHWM after each stage, "start" being the bare host
    seconds: float

    @property
    def ratio(self) -> float:
        return self.estimate_bytes / self.peak_bytes if self.peak_bytes else float("nan")

    @property
    def within_bounds(self) -> bool:
        """Never below the peak, at most 10% above it."""
        return self.peak_bytes <= self.estimate_bytes <= 1.10 * self.peak_bytes


def peak(runtime: HostRuntime) -> int:
    return runtime.memory()["VmHWM"]


def prompt_tokens(runtime: HostRuntime, count: int) -> list[int]:
    """About `count` tokens of plain text (with the BOS token), never more."""
    text = FILLER * (count // 20 + 2)
    while True:
        tokens = runtime.tokenize(text, True, False)
        if len(tokens) >= count:
            return tokens[:count]
        text += text


def stream_prompt(runtime: HostRuntime, tokens: list[int]) -> None:
    """Streams a one-token reply to a prompt of these tokens (as the API's completions do)."""
    text = runtime.detokenize(tokens)
    sampling = SamplingSettings(temperature=0.0, max_tokens=1, seed=1)
    done = [event for event in runtime.stream_text(text, sampling, _Never())
            if isinstance(event, GenerationDone)]
    if not done:
        raise RuntimeError("the reply ended without a result")


def measure(path: Path, n_ctx: int, threads: int | None = None,
            stages: Sequence[str] = STAGES, kv_cache_bits: int = 16) -> Measurement:
    """Loads `path` in a new engine host, runs `stages`, and reads the host's peak memory."""
    model = inspect_model_file(path)
    estimate = estimate_memory(ModelShape.from_header(model.header, model.size_bytes), n_ctx,
                               kv_cache_bits)
    started = time.perf_counter()
    runtime = HostRuntime()
    peaks: dict[str, int] = {}
    try:
        runtime.start()
        peaks["start"] = peak(runtime)
        runtime.load(path, RuntimeSettings(n_ctx=n_ctx, kv_cache_bits=kv_cache_bits), threads)
        peaks["load"] = peak(runtime)
        if "prompt" in stages:  # one full batch at the start of the context
            stream_prompt(runtime, prompt_tokens(runtime, min(SCORED_TOKENS + 64, n_ctx - 8)))
            peaks["prompt"] = peak(runtime)
        if "full" in stages:  # a prompt that fills the context: the widest attention
            stream_prompt(runtime, prompt_tokens(runtime, n_ctx - 8))
            peaks["full"] = peak(runtime)
        if "score" in stages:  # the logits of a whole batch, as Prompt Lab scoring asks:
            # after a one-token prompt, the first SCORED_TOKENS go through in one decode call
            tokens = prompt_tokens(runtime, min(SCORED_TOKENS + 2, n_ctx))
            runtime.score_continuations(tokens[:1], [tokens[1:]], 0)
            peaks["score"] = peak(runtime)
    finally:
        runtime.close()
    return Measurement(path.name, n_ctx, estimate.total_bytes, max(peaks.values()), peaks,
                       time.perf_counter() - started)


def table(rows: Sequence[Measurement]) -> str:
    """Markdown; "chat only" is the peak before the scoring pass, where it ran."""
    lines = ["| Model | n_ctx | Estimate (MiB) | VmHWM (MiB) | Estimate / VmHWM | "
             "Chat only (MiB) |", "|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        chat = row.stage_peaks.get("full", row.stage_peaks.get("prompt"))
        lines.append(f"| {row.model} | {row.n_ctx:,} | {row.estimate_bytes / MIB:,.0f} | "
                     f"{row.peak_bytes / MIB:,.0f} | {row.ratio:.3f} | "
                     f"{'' if chat is None else f'{chat / MIB:,.0f}'} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory_table", description=__doc__)
    parser.add_argument("models", nargs="*", type=Path,
                        help="GGUF files (default: the bundled model)")
    parser.add_argument("--ctx", nargs="+", type=int, default=[4096, 16384])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--stages", nargs="+", choices=STAGES[1:], default=list(STAGES[1:]),
                        help="what to run after the load (default: all; the estimate covers "
                             "them all, so with fewer it is more than 10%% above the peak)")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    parser.add_argument("-v", "--verbose", action="store_true", help="each stage's peak")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    sizes = _BufferSizes()
    if arguments.verbose:  # llama.cpp's own figures, from the host's log
        llama_log = logging.getLogger("hearth.llama")
        llama_log.setLevel(logging.INFO)
        llama_log.propagate = False
        llama_log.addHandler(sizes)
    models = list(arguments.models)
    if not models:
        bundled = bundled_model_path()
        if bundled is None:
            parser.error("no model given and the bundled model is not installed")
        models = [bundled]
    rows = []
    for path in models:
        for n_ctx in arguments.ctx:
            row = measure(path, n_ctx, arguments.threads, arguments.stages)
            rows.append(row)
            if arguments.verbose:
                stages = ", ".join(f"{name} {value / MIB:,.1f}"
                                   for name, value in row.stage_peaks.items())
                print(f"{row.model} n_ctx {row.n_ctx:,}: {stages} MiB "
                      f"({row.seconds:.0f} s)", *sizes.lines, sep="\n  ", file=sys.stderr,
                      flush=True)
                sizes.lines.clear()
    print(table(rows))
    if arguments.json is not None:
        arguments.json.write_text(json.dumps(
            [asdict(row) | {"ratio": row.ratio} for row in rows], indent=2) + "\n",
            encoding="utf-8")
    return 0 if all(row.within_bounds for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
