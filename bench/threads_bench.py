"""Hearth at its own defaults against llama-bench at its best thread count, idle and busy.

A person does not pick a thread count; they get what the app picks. So Hearth runs as the app
loads a model (no thread count given: the engine chooses one as replies run,
engine/host/threads.py) through the engine host, and llama-bench is given every thread count
up to the machine's cores in each round and credited with its fastest. Both generate the same
number of tokens with the same build flags and flash attention; a round is one Hearth reply
then one llama-bench run, at least 5 rounds after a warm-up that lets the engine try its
candidates, and the figure is the median ratio with its 95% bootstrap interval
(bench/stats.py). "busy" repeats it all with another process spinning on one core, as a
browser or a build would.

`python -m bench.threads_bench [--model PATH] [--rounds 5] [--tokens 128]` (`make bench-threads`)
writes bench/threads_results.json and prints it; the target is a median >= 0.95 in both.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import llama_cpp

from bench.host_bench import exact_reply_request, reply_rate
from bench.reference import build_flags, run_llama_bench
from bench.stats import bootstrap_median
from engine.host.client import HostRuntime
from engine.host.runtime import GenerationRequest
from engine.models.files import bundled_model_path
from engine.settings import RuntimeSettings

log = logging.getLogger("bench")
OUT = Path(__file__).resolve().parent
TARGET = 0.95
WARM_UP_REPLIES = 4  # enough for the engine to have timed each candidate count


def hearth_rate(host: HostRuntime, request: GenerationRequest) -> tuple[float, int]:
    """Tokens/s from the first text to the result (what llama-bench's tg measures: no prompt),
    and the thread count the engine used by the end."""
    rate, _reported = reply_rate(host, request)
    loaded = host.loaded
    assert loaded is not None
    return rate, loaded.n_threads


def best_llama_bench(model: Path, tokens: int, cores: int) -> tuple[float, int]:
    """llama-bench's fastest generation over every thread count from 1 to `cores`."""
    rates = [(run_llama_bench(model, threads, (), (tokens,), 1)[0].tokens_per_second, threads)
             for threads in range(1, cores + 1)]
    return max(rates)


def condition(model: Path, rounds: int, tokens: int, busy: bool) -> dict[str, Any]:
    cores = os.cpu_count() or 1
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    host = HostRuntime()
    try:
        host.load(model, RuntimeSettings(), None)  # as the app does: threads left to the engine
        request = exact_reply_request(tokens)
        for _ in range(WARM_UP_REPLIES):
            hearth_rate(host, request)
        hearth: list[float] = []
        reference: list[float] = []
        chosen: list[int] = []
        best_threads: list[int] = []
        for number in range(rounds):
            log.info("%s, round %d of %d", "busy" if busy else "idle", number + 1, rounds)
            rate, threads = hearth_rate(host, request)
            hearth.append(rate)
            chosen.append(threads)
            ref_rate, ref_threads = best_llama_bench(model, tokens, cores)
            reference.append(ref_rate)
            best_threads.append(ref_threads)
    finally:
        host.close()
        if spinner is not None:
            spinner.kill()
            spinner.wait()
    ratio = bootstrap_median([h / r for h, r in zip(hearth, reference, strict=True)])
    return {
        "hearth_tokens_per_second": [round(value, 1) for value in hearth],
        "hearth_threads": chosen,
        "llama_bench_tokens_per_second": [round(value, 1) for value in reference],
        "llama_bench_best_threads": best_threads,
        "ratio": ratio.as_dict(),
        "pass": ratio.median >= TARGET,
    }


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=128)
    args = parser.parse_args()
    model = args.model or bundled_model_path()
    if model is None:
        parser.error("the bundled model is not installed: run make install, or pass --model")
    result = {
        "model": model.name,
        "tokens": args.tokens,
        "rounds": args.rounds,
        "cpu": llama_cpp.llama_print_system_info().decode().strip(),
        "build_flags": build_flags(),
        "target": TARGET,
        "default_vs_best_llama_bench": {
            "idle": condition(model, args.rounds, args.tokens, busy=False),
            "busy": condition(model, args.rounds, args.tokens, busy=True),
        },
    }
    (OUT / "threads_results.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["default_vs_best_llama_bench"], indent=2))


if __name__ == "__main__":
    main()
