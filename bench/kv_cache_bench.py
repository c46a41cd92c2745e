"""The context cache's precision: what each of f16, q8_0 and q4_0 costs in memory and quality.

`python -m bench.kv_cache_bench [--model PATH]` (`make bench-kv`) loads the model as the app
does (`create_llama`: flash attention on, the cache type from `kv_cache_bits`) once per type and
reads a fixed text of at least 4,096 tokens, Python's own documentation as the standard library
ships it (`pydoc_data.topics`, so the text is the same on every machine with this Python), then
reports for each type:

- the cache's bytes for that text: llama.cpp's own size of the sequence's state (its K and V
  cells, plus a few bytes of bookkeeping), and Hearth's estimate for the same cells;
- perplexity: exp of the mean negative log-probability of each token of the text given the
  ones before it, teacher-forced in batches (engine/host/scoring.py).

Speed is llama-bench's to measure (`-ctk/-ctv`, `-fa`, `-d`); the README gives its figures.

Gates (issue "Faster than llama.cpp at its own defaults"): q8_0 bytes <= 0.55x f16's and q8_0
perplexity <= 1.01x f16's; q4_0 is reported. Writes bench/kv_cache_results.json and .md.
"""

from __future__ import annotations

import argparse
import json
import math
import pydoc_data.topics
from dataclasses import asdict, dataclass
from pathlib import Path

import llama_cpp

from engine.host.runtime import create_llama, default_thread_count
from engine.host.scoring import continuation_logprobs
from engine.models.files import bundled_model_path
from engine.models.gguf import read_header
from engine.models.memory import ModelShape, kv_cache_bytes
from engine.settings import RuntimeSettings

OUT = Path(__file__).resolve().parent
TEXT_TOKENS = 4096
N_CTX = 4608  # the text, its first token's context, and room to spare
BITS = (16, 8, 4)
NAMES = {16: "f16", 8: "q8_0", 4: "q4_0"}
MAX_BYTES_RATIO = 0.55
MAX_PERPLEXITY_RATIO = 1.01


@dataclass(frozen=True)
class CacheResult:
    cache: str
    state_bytes: int  # llama.cpp's size of the sequence's state after the text
    estimated_bytes: int  # Hearth's estimate for the same number of cells
    perplexity: float


def fixed_text(llm: llama_cpp.Llama) -> list[int]:
    """The first TEXT_TOKENS tokens of the documentation's topics, in their sorted order."""
    tokens: list[int] = []
    for name in sorted(pydoc_data.topics.topics):
        tokens += llm.tokenize(pydoc_data.topics.topics[name].encode(), add_bos=False,
                               special=False)
        if len(tokens) >= TEXT_TOKENS:
            return tokens[:TEXT_TOKENS]
    raise RuntimeError("the documentation is shorter than the text this benchmark needs")


def measure(model: Path, bits: int, threads: int) -> CacheResult:
    settings = RuntimeSettings(n_ctx=N_CTX, kv_cache_bits=bits)
    llm = create_llama(model, settings, threads, gpu_layers=0)
    try:
        text = fixed_text(llm)
        (logprobs,), _decoded = continuation_logprobs(llm, 0, [llm.token_bos()], [text], 0)
        state = int(llama_cpp.llama_state_seq_get_size(llm._ctx.ctx, 0))
    finally:
        llm.close()
    shape = ModelShape.from_header(read_header(model))
    return CacheResult(
        cache=NAMES[bits], state_bytes=state,
        estimated_bytes=kv_cache_bytes(shape, len(text) + 1, bits),
        perplexity=math.exp(-sum(logprobs) / len(logprobs)),
    )


def report(model: Path, results: list[CacheResult]) -> dict[str, object]:
    base = results[0]
    q8 = next(result for result in results if result.cache == "q8_0")
    bytes_ratio = q8.state_bytes / base.state_bytes
    perplexity_ratio = q8.perplexity / base.perplexity
    return {
        "model": model.name,
        "text_tokens": TEXT_TOKENS,
        "cpu": llama_cpp.llama_print_system_info().decode().strip(),
        "caches": [asdict(result) for result in results],
        "q8_0_bytes_ratio": round(bytes_ratio, 4),
        "q8_0_perplexity_ratio": round(perplexity_ratio, 5),
        "gates": {
            f"q8_0 bytes <= {MAX_BYTES_RATIO}x f16": bytes_ratio <= MAX_BYTES_RATIO,
            f"q8_0 perplexity <= {MAX_PERPLEXITY_RATIO}x f16":
                perplexity_ratio <= MAX_PERPLEXITY_RATIO,
        },
    }


def markdown(summary: dict[str, object], results: list[CacheResult]) -> str:
    base = results[0]
    lines = [
        f"Context cache precision, {summary['model']}, {TEXT_TOKENS:,} tokens of Python's "
        "documentation (`make bench-kv`):",
        "",
        "| Cache | Bytes (llama.cpp) | vs f16 | Estimate | Perplexity | vs f16 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        lines.append(
            f"| {result.cache} | {result.state_bytes / 2**20:,.1f} MiB | "
            f"{result.state_bytes / base.state_bytes:.3f}x | "
            f"{result.estimated_bytes / 2**20:,.1f} MiB | {result.perplexity:.3f} | "
            f"{result.perplexity / base.perplexity:.4f}x |")
    gates = summary["gates"]
    assert isinstance(gates, dict)
    lines += ["", "Gates: " + "; ".join(
        f"{name}: {'pass' if passed else 'FAIL'}" for name, passed in gates.items())]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    model = args.model or bundled_model_path()
    if model is None:
        parser.error("the bundled model is not installed: run make install, or pass --model")
    threads = args.threads or default_thread_count()
    results = [measure(model, bits, threads) for bits in BITS]
    summary = report(model, results)
    (OUT / "kv_cache_results.json").write_text(json.dumps(summary, indent=2) + "\n")
    table = markdown(summary, results)
    (OUT / "kv_cache_results.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
