"""`hearth-cli tune TASK`: search for the best prompt for a task file, headless.

Progress goes to stderr, one line every few seconds and at each stage; the result goes to
stdout, as one JSON object with --json. Ctrl+C stops the search and keeps the best candidate
so far (without a held-out score). The task and the run are saved in the data folder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from engine.chat.engine import ChatEngine
from engine.commands.engine_choice import MODEL_HELP, open_engine
from engine.config import load_config
from engine.errors import PromptLabError
from engine.paths import app_paths
from engine.prompt_lab.budget import Budget
from engine.prompt_lab.prompts import describe
from engine.prompt_lab.results import CandidateRow, TuneResult
from engine.prompt_lab.search import (
    SearchFinished,
    SearchProgress,
    SearchStarted,
    tune,
)
from engine.prompt_lab.storage import LabStore
from engine.prompt_lab.task_files import read_examples
from engine.prompt_lab.tasks import DEFAULT_TEST_FRACTION, Metric, Task, TaskKind, make_task

PROGRESS_EVERY_S = 5.0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "tune", help="find the best prompt for a task file (.jsonl or .csv of input, output)"
    )
    parser.add_argument("task", type=Path, help="examples: JSONL {input, output} or CSV")
    parser.add_argument("--budget", choices=[b.value for b in Budget],
                        default=Budget.STANDARD.value, help="how much to search")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split and the search")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.add_argument("--model", help=MODEL_HELP)
    parser.add_argument("--instruction", default="", help="your own instruction for the task")
    parser.add_argument("--labels", help="comma-separated labels (default: from the outputs)")
    parser.add_argument("--free-text", action="store_true", help="outputs are text, not labels")
    parser.add_argument("--metric", choices=[m.value for m in Metric if m is not Metric.ACCURACY],
                        help="free-text metric (default chrf; json_fields when every output is "
                             "a JSON object)")
    parser.add_argument("--pattern", default="", help="the regular expression for --metric regex")
    parser.add_argument("--test-fraction", type=float, default=DEFAULT_TEST_FRACTION,
                        help="share of examples held out for the final comparison")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    task = _task(args)
    paths = app_paths()
    config = load_config(paths.settings_file).config
    store = LabStore.at(paths)
    engine = open_engine(args.model, config, paths)
    cancel = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda _signum, _frame: cancel.set())
    try:
        result = _search(engine, task, Budget(args.budget), args.seed, cancel)
    finally:
        signal.signal(signal.SIGINT, previous)
        engine.close()
    store.save_task(task)
    saved = store.save_run(result)
    if args.json:
        print(json.dumps(summary(result, saved), ensure_ascii=False))
    else:
        print(_text(result, saved))
    return 0


def _task(args: argparse.Namespace) -> Task:
    path: Path = args.task
    pairs = read_examples(path)
    labels = [label.strip() for label in args.labels.split(",")] if args.labels else None
    if labels is not None and len([label for label in labels if label]) < 2:
        raise PromptLabError("--labels needs at least two labels, separated by commas.")
    # The same file and options make the same task, so its runs are listed together.
    identity = json.dumps([pairs, labels, args.instruction, args.free_text, args.metric,
                           args.pattern, args.test_fraction, args.seed])
    return make_task(
        path.stem,
        pairs,
        kind=TaskKind.FREE_TEXT if args.free_text else None,
        labels=labels,
        instruction=args.instruction,
        metric=Metric(args.metric) if args.metric else None,
        pattern=args.pattern,
        test_fraction=args.test_fraction,
        seed=args.seed,
        task_id=hashlib.sha256(identity.encode("utf-8")).hexdigest()[:12],
    )


def _search(
    engine: ChatEngine, task: Task, budget: Budget, seed: int, cancel: threading.Event
) -> TuneResult:
    shown_at, stage, stopping = 0.0, "", False
    for event in tune(engine, task, budget, seed, cancel):
        if cancel.is_set() and not stopping:
            stopping = True
            _say("stopping: keeping the best candidate so far")
        if isinstance(event, SearchStarted):
            _say(f"{event.candidates} candidates, {event.validation} validation examples, "
                 f"{event.demo_pool} for demos, {event.test} held out")
            for warning in event.warnings:
                _say(f"warning: {warning}")
        elif isinstance(event, SearchProgress):
            now = time.monotonic()
            if event.stage != stage or now - shown_at >= PROGRESS_EVERY_S:
                shown_at, stage = now, event.stage
                _say(_progress_line(event))
        elif isinstance(event, SearchFinished):
            return event.result
    raise PromptLabError("The search ended without a result.")


def _progress_line(event: SearchProgress) -> str:
    best = "-" if event.best_score is None else f"{event.best_score:.3f}"
    left = "" if event.seconds_left is None else f", about {event.seconds_left:.0f} s left"
    return (f"{event.stage}: {event.passes_done}/{event.passes_total} passes, "
            f"{event.candidates_left} candidates in play, best {best}{left}")


def _say(line: str) -> None:
    print(f"tune: {line}", file=sys.stderr, flush=True)


def summary(result: TuneResult, saved: Path | None = None) -> dict[str, Any]:
    """The run as the CLI prints it: held-out scores (0..1) of the baseline and the winner."""
    held = result.held_out
    base, best = result.baseline, result.winner
    return {
        "task": {"name": result.task_name, "kind": result.kind.value, "labels": result.labels,
                 "metric": result.metric.value},
        "model": {"name": result.model.name, "fingerprint": result.model.fingerprint,
                  "fingerprint_method": result.model.fingerprint_method},
        "budget": result.budget,
        "seed": result.seed,
        "started_at": result.started_at,
        "baseline": {
            **_candidate(base),
            "score": held.baseline_score if held else None,
            "interval": [held.baseline_interval.low, held.baseline_interval.high] if held else None,
        },
        "best": {
            **_candidate(best),
            "score": held.winner_score if held else None,
            "interval": [held.winner_interval.low, held.winner_interval.high] if held else None,
        },
        "difference": None if held is None else {
            "value": held.comparison.difference,
            "interval": [held.comparison.interval.low, held.comparison.interval.high],
            "p_value": held.comparison.p_value,
            "test": held.comparison.test,
            "best_only_right": held.comparison.winner_only,
            "baseline_only_right": held.comparison.baseline_only,
        },
        "held_out": held.n if held else 0,
        "seconds": result.seconds,
        "search_seconds": result.search_seconds,
        "stopped": result.stopped,
        "warnings": list(result.warnings),
        "candidates": [
            {"id": row.id, "origin": row.origin, "validation_score": row.score, "n": row.n,
             "round": row.stage, "calibration": row.calibration.value,
             "format": row.spec.format.value, "demos": len(row.spec.demos)}
            for row in result.candidates
        ],
        "run_id": result.run_id,
        "run_file": str(saved) if saved else None,
    }


def _candidate(row: CandidateRow) -> dict[str, Any]:
    return {
        "prompt": describe(row.spec),
        "format": row.spec.format.value,
        "instruction": row.spec.instruction,
        "demos": [{"input": d.input, "output": d.output} for d in row.spec.demos],
        "label_words": list(row.spec.label_words),
        "calibration": row.calibration.value,
        "validation_score": row.score,
        "origin": row.origin,
    }


def _text(result: TuneResult, saved: Path) -> str:
    held = result.held_out
    lines = [f"Tuned {result.task_name} on {result.model.name} ({result.budget}, seed "
             f"{result.seed}) in {result.seconds:.0f} s."]
    if held is None:
        lines.append("Stopped early: the best prompt so far has no held-out score.")
    else:
        lines += [
            f"Held-out ({held.n} examples): baseline {held.baseline_score:.1%} "
            f"[{held.baseline_interval.low:.1%}, {held.baseline_interval.high:.1%}], "
            f"best {held.winner_score:.1%} "
            f"[{held.winner_interval.low:.1%}, {held.winner_interval.high:.1%}]",
            f"Difference {held.comparison.difference:+.1%}, p = {held.comparison.p_value:.3g} "
            f"({held.comparison.test}).",
        ]
    lines += [*result.warnings, "Best prompt:", describe(result.winner.spec),
              f"Run saved to {saved}"]
    return "\n".join(lines)
