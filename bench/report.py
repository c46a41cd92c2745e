"""The benchmark's Markdown table and PNG chart (drawn with Qt, no plotting dependency)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

TARGETS = {
    "ratio": 0.97,
    "turn_growth": 1.2,
    "stop_ms": 50.0,
    "gui_p99": 16.0,
    "gui_max": 50.0,
    "window_s": 1.5,
    "first_token_s": 3.0,
}


def _mark(ok: bool) -> str:
    return "✅" if ok else "❌"


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "# Hearth benchmark",
        "",
        f"Model `{Path(results['model']['path']).name}`, {results['threads']} threads "
        f"({results['prompt_threads']} for prompts), "
        f"backend {results['backend']}, llama-cpp-python {results['llama_cpp_python']}"
        f"{' (quick run)' if results['quick'] else ''}.",
        "",
        "| Measure | Hearth | Reference | Ratio or value | Target | |",
        "|---|---|---|---|---|---|",
    ]
    reference = results["reference_tokens_per_second"]
    for n, ratio in results["generation_vs_llama_bench"].items():
        ours = results["generation_tokens_per_second"][n]
        lines.append(f"| Generation, {n} tokens | {ours:.1f} tok/s | {reference[f'tg{n}']:.1f} "
                     f"tok/s | {ratio:.3f} | ≥ 0.97 | {_mark(ratio >= TARGETS['ratio'])} |")
    split = results.get("token_loop_split")
    if split:
        lines.append(f"| Token loop: decode / sampling / rest | {split['decode']:.1%} / "
                     f"{split['sampling']:.1%} / {split['rest']:.1%} | decode only | "
                     f"ceiling {split['decode']:.3f} | | |")
    for n, ratio in results["prompt_vs_llama_bench"].items():
        ours = results["prompt_tokens_per_second"][n]
        lines.append(f"| Prompt, {n} tokens | {ours:.1f} tok/s | {reference[f'pp{n}']:.1f} "
                     f"tok/s | {ratio:.3f} | ≥ 0.97 | {_mark(ratio >= TARGETS['ratio'])} |")
    ttft = results["ttft_by_turn"]
    evaluated = results["evaluated_tokens_by_turn"]
    first, last = min(ttft, key=int), max(ttft, key=int)
    for turn, seconds in ttft.items():
        lines.append(f"| First token, turn {turn} | {seconds * 1000:.0f} ms "
                     f"({evaluated[turn]} tokens evaluated) | | | | |")
    growth = ttft[last] / ttft[first] if ttft[first] else 0.0
    lines.append(f"| Turn {last} / turn {first} first token | | | {growth:.2f}× | ≤ 1.2× | "
                 f"{_mark(growth <= TARGETS['turn_growth'])} |")
    switch = results["switch_ttft_s"]
    lines.append(f"| Back to a long chat, state restored | {switch['with_restore'] * 1000:.0f} ms "
                 f"({switch['with_restore_evaluated_tokens']:.0f} tokens evaluated) | "
                 f"{switch['without_restore'] * 1000:.0f} ms without "
                 f"({switch['without_restore_evaluated_tokens']:.0f} tokens) | | | |")
    for where, value in results["stop_ms"].items():
        lines.append(f"| Stop during {where} | {value:.1f} ms | | | ≤ 50 ms | "
                     f"{_mark(value <= TARGETS['stop_ms'])} |")
    gui = results["gui_timer_lateness_ms"]
    lines.append(f"| GUI timer lateness p50 / p99 / max | {gui['p50']:.2f} / {gui['p99']:.2f} / "
                 f"{gui['max']:.2f} ms | | | p99 ≤ 16, max ≤ 50 | "
                 f"{_mark(gui['p99'] <= TARGETS['gui_p99'] and gui['max'] <= TARGETS['gui_max'])}"
                 " |")
    startup = results["startup_s"]
    lines.append(f"| Window shown after launch | {startup['window']:.2f} s | | | ≤ 1.5 s | "
                 f"{_mark(startup['window'] <= TARGETS['window_s'])} |")
    lines.append(f"| First token of a first message | {startup['first_token']:.2f} s | | | ≤ 3 s | "
                 f"{_mark(startup['first_token'] <= TARGETS['first_token_s'])} |")
    lines.append(f"| Memory beyond the model file | {results['rss_overhead_mb']:.0f} MB | | | | |")
    text = "\n".join(lines) + "\n"
    if "host" in results:
        text += "\n" + host_markdown(results["host"])
    return text


def host_markdown(host: dict[str, Any]) -> str:
    """The engine host's section: the pipe per token, generation through it, start-up."""
    pipe, generation, startup = host["pipe"], host["generation"], host["startup"]
    before, after = host["load_average"]["before"], host["load_average"]["after"]
    lines = [
        "## Engine host",
        "",
        f"Measured {host['measured_at']}{' (quick run)' if host['quick'] else ''} on "
        f"{host['cpus']} CPUs with load average {before[0]:.2f} before and {after[0]:.2f} after "
        "(1 min): other processes shared the machine, so wall times include waiting for a core.",
        "",
        "| Measure | Value | Target | |",
        "|---|---|---|---|",
        f"| Pipe, app side: wall time per chunk ({pipe['tokens']:,} stub tokens, median of "
        f"{pipe['repeats']}) | {pipe['app_wall_us_per_token']:.1f} µs | "
        f"≤ {pipe['target_us']:.0f} µs | "
        f"{_mark(pipe['app_wall_us_per_token'] <= pipe['target_us'])} |",
        f"| Pipe, app side: marginal wall time per chunk ({pipe['tokens']:,} − "
        f"{pipe['small_tokens']:,} tokens) | {pipe['app_wall_marginal_us_per_token']:.1f} µs | | |",
        f"| Pipe, app side: CPU time per chunk (reading thread) | "
        f"{pipe['app_cpu_us_per_token']:.1f} µs | | |",
        f"| Pipe, host side: CPU time per chunk (host main thread, {pipe['host_cpu_source']}) | "
        f"{pipe['host_cpu_us_per_token']:.1f} µs | ≤ {pipe['target_us']:.0f} µs | "
        f"{_mark(pipe['host_cpu_us_per_token'] <= pipe['target_us'])} |",
    ]
    for threads, entry in generation["by_threads"].items():
        ratio = entry["ratio"]
        lines.append(
            f"| Generation through the host / in-process, {threads} thread"
            f"{'' if threads == '1' else 's'}, {generation['reply_tokens']} tokens "
            f"({ratio['samples']} alternations; {entry['host_median']:.1f} vs "
            f"{entry['in_process_median']:.1f} tok/s) | {ratio['median']:.3f}× "
            f"[{ratio['ci95_low']:.3f}, {ratio['ci95_high']:.3f}] | "
            f"≥ {generation['gate']:.2f}× | {_mark(entry['pass'])} |"
        )
        reported = entry["runtime_reported_ratio"]
        lines.append(f"| … as each Runtime times itself | {reported['median']:.3f}× "
                     f"[{reported['ci95_low']:.3f}, {reported['ci95_high']:.3f}] | | |")
    lines.append(f"| Host started → first answer (median of {len(startup['first_answer_s_runs'])})"
                 f" | {startup['first_answer_s']:.2f} s (start() holds its caller "
                 f"{startup['start_call_s'] * 1000:.0f} ms) | | |")
    lines.append(f"| Window shown after launch (host started in parallel) | "
                 f"{startup['window_shown_s']:.2f} s | ≤ {startup['window_target_s']:.1f} s | "
                 f"{_mark(startup['window_pass'])} |")
    lines.append("")
    lines.append("Ratios: the median of one ratio per alternation (host, in-process, host, …), "
                 "in brackets its 95% bootstrap interval; rates timed on the app's side from the "
                 "first chunk to the result.")
    return "\n".join(lines) + "\n"


def chart(results: dict[str, Any], path: Path) -> None:
    """Bars of every ratio against llama-bench, with the 0.97 target line."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter, QPen

    app = QGuiApplication.instance() or QGuiApplication([])
    bars = [(f"gen {n}", r) for n, r in results["generation_vs_llama_bench"].items()]
    bars += [(f"prompt {n}", r) for n, r in results["prompt_vs_llama_bench"].items()]
    width, height, margin = 720, 360, 50
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setFont(QFont("DejaVu Sans", 9))
    plot_h = height - 2 * margin
    top = 1.1
    slot = (width - 2 * margin) / max(len(bars), 1)
    for index, (label, ratio) in enumerate(bars):
        bar_h = plot_h * min(ratio, top) / top
        x = margin + index * slot + slot * 0.15
        color = QColor("#2e7d32") if ratio >= TARGETS["ratio"] else QColor("#c62828")
        painter.fillRect(QRectF(x, height - margin - bar_h, slot * 0.7, bar_h), color)
        painter.setPen(QColor("black"))
        painter.drawText(QRectF(x - 10, height - margin + 4, slot * 0.7 + 20, 20),
                         int(Qt.AlignmentFlag.AlignHCenter), label)
        painter.drawText(QRectF(x - 10, height - margin - bar_h - 18, slot * 0.7 + 20, 16),
                         int(Qt.AlignmentFlag.AlignHCenter), f"{ratio:.3f}")
    target_y = height - margin - plot_h * TARGETS["ratio"] / top
    painter.setPen(QPen(QColor("#555555"), 1, Qt.PenStyle.DashLine))
    painter.drawLine(margin, int(target_y), width - margin, int(target_y))
    painter.setPen(QColor("black"))
    painter.drawText(QRectF(0, 8, width, 20), int(Qt.AlignmentFlag.AlignHCenter),
                     "Hearth engine speed / llama-bench (same model, threads, run); "
                     "dashed: the 0.97 target")
    painter.end()
    image.save(str(path))
    del app
