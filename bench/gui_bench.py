"""App measurements: GUI-thread stalls while a reply streams, start-up time, memory.

The timer test runs the real window offscreen with tokens streaming into the chat view; the
start-up test launches `hearth --self-test` as a person's double-click would and timestamps
the lines it prints as it reaches each stage.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from engine.config import AppConfig, save_config
from engine.paths import AppPaths
from engine.settings import ChatSettings, RuntimeSettings, SamplingSettings

TIMER_MS = 10


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timer_lateness_ms(threads: int, reply_tokens: int, min_samples: int) -> dict[str, float]:
    """Lateness of a 10 ms QTimer on the GUI thread while replies stream into the view."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.engine_client import EngineClient
    from desktop.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as folder:
        paths = AppPaths(Path(folder) / "data", Path(folder) / "config").ensure()
        save_config(paths.settings_file, AppConfig(
            chat_defaults=ChatSettings(sampling=SamplingSettings(max_tokens=reply_tokens)),
            runtime=RuntimeSettings(n_ctx=4096, n_threads=threads),
        ))
        client = EngineClient(paths)
        window = MainWindow(client)
        window.resize(1100, 720)
        window.show()
        lateness: list[float] = []
        streaming = False
        clock = QElapsedTimer()
        timer = QTimer()
        timer.setTimerType(timer.timerType().PreciseTimer)
        timer.setInterval(TIMER_MS)

        def tick() -> None:
            elapsed = clock.nsecsElapsed() / 1e6
            clock.restart()
            if streaming:
                lateness.append(max(0.0, elapsed - TIMER_MS))

        timer.timeout.connect(tick)
        loop = QEventLoop()
        ready = {"model": False, "chat": False}

        def mark(key: str) -> None:
            ready[key] = True
            if all(ready.values()):
                loop.quit()

        client.modelLoaded.connect(lambda *_a: mark("model"))
        client.chatOpened.connect(lambda *_a: mark("chat"))
        client.start()
        loop.exec()

        def on_started(*_args: object) -> None:
            nonlocal streaming
            streaming = True
            clock.restart()

        def on_finished(*_args: object) -> None:
            nonlocal streaming
            streaming = False
            loop.quit()

        client.replyStarted.connect(on_started)
        client.replyFinished.connect(on_finished)
        clock.start()
        timer.start()
        while len(lateness) < min_samples:
            window.chat_panel.composer.setPlainText(
                "Write a long, detailed essay about the history of ships, with headings, "
                "lists and a code example."
            )
            window.chat_panel.submit()
            loop.exec()
        timer.stop()
        window.close()
        client.shutdown()
        del app
    return {
        "p50": statistics.median(lateness),
        "p99": _percentile(lateness, 0.99),
        "max": max(lateness),
        "samples": float(len(lateness)),
    }


def startup(model_bytes: int, threads: int) -> dict[str, float]:
    """Seconds from launch to the window shown and to the first token; RSS beyond the model."""
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "HEARTH_HOME": folder, "QT_QPA_PLATFORM": "offscreen"}
        paths = AppPaths(Path(folder) / "data", Path(folder) / "config").ensure()
        base = AppConfig(runtime=RuntimeSettings(n_threads=threads))
        save_config(paths.settings_file, base)
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "desktop.app", "--self-test"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        stages: dict[str, float] = {}
        peak_rss_kb = 0.0
        assert process.stderr is not None
        for line in process.stderr:
            if line.startswith("hearth-self-test: window shown"):
                stages["window"] = time.perf_counter() - started
            elif line.startswith("hearth-self-test: first token"):
                stages["first_token"] = time.perf_counter() - started
            elif line.startswith("hearth-self-test: peak RSS KiB"):
                peak_rss_kb = float(line.rsplit(" ", 1)[1])
        process.wait(timeout=120)
        if process.returncode != 0 or len(stages) != 2:
            raise RuntimeError(f"hearth --self-test failed (exit {process.returncode})")
    stages["rss_overhead_mb"] = (peak_rss_kb * 1024 - model_bytes) / 1e6
    return stages
