"""A real Hearth window on a temporary data folder, with the bundled model loaded."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from desktop.chat.message_model import MessageListModel
from desktop.chat.view import ChatView
from desktop.engine_client import EngineClient
from desktop.main_window import MainWindow
from desktop.settings.panel import SettingsPanel
from engine.chat.store import MessageRecord
from engine.config import AppConfig, save_config
from engine.models.speed import SpeedCalibration, cpu_identity, save_calibration
from engine.paths import app_paths
from engine.settings import ChatSettings, ContextPolicy, RuntimeSettings, SamplingSettings

LOAD_TIMEOUT_MS = 60_000
# The line between a live window and a frozen one, which stalls for the seconds the work takes;
# the README promises it. Not a speed figure: bench/gui_bench.py measures how late the GUI
# thread's timer runs while a reply streams.
MAX_STALL_MS = 1000.0


@contextmanager
def longest_stall() -> Iterator[Callable[[], float]]:
    """The longest gap, in ms, between ticks of a 10 ms timer on the GUI thread (a frozen
    window is one whose event loop does not run)."""
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    ticks.append(time.perf_counter())
    try:
        yield lambda: 1000 * max((b - a for a, b in pairwise(ticks)), default=0.0)
    finally:
        timer.stop()

WindowFactory = Callable[[], MainWindow]


def shown_chat_view(qtbot: QtBot, records: Sequence[MessageRecord], size: tuple[int, int],
                    palette: QPalette | None = None) -> ChatView:
    """The conversation view alone, showing `records` (as chat 1), on screen."""
    model = MessageListModel()
    model.set_messages(1, list(records))
    view = ChatView()
    if palette is not None:
        view.setPalette(palette)
    view.setModel(model)
    view.resize(*size)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    return view


def tiny_context_config() -> AppConfig:
    """A tiny window: 256 tokens, 48 of them kept for the reply, a seeded reply, one thread."""
    return AppConfig(
        chat_defaults=ChatSettings(
            sampling=SamplingSettings(max_tokens=48, seed=11),
            context_policy=ContextPolicy.STOP,
        ),
        runtime=RuntimeSettings(n_ctx=256, n_threads=1),
    )


@pytest.fixture
def test_config() -> AppConfig:
    # One generation thread: steady speed on a 2-core machine that also runs the GUI thread.
    return AppConfig(
        chat_defaults=ChatSettings(sampling=SamplingSettings(max_tokens=48, seed=7)),
        runtime=RuntimeSettings(n_ctx=2048, n_threads=1),
    )


@pytest.fixture
def open_window(
    qtbot: QtBot, test_config: AppConfig, bundled_model: Path
) -> Iterator[WindowFactory]:
    """Starts windows on the same data folder; each is shut down at the end of the test."""
    paths = app_paths().ensure()
    save_config(paths.settings_file, test_config)
    # A person Hearth has welcomed, and this computer's speed measured, before: the first start
    # has tests of its own (test_welcome.py); the others run no speed check beside their work.
    paths.welcomed_file.touch()
    save_calibration(paths.speed_file, SpeedCalibration(
        cpu_identity(), bundled_model.name, bundled_model.stat().st_size, 100.0))
    windows: list[MainWindow] = []

    def start() -> MainWindow:
        client = EngineClient(paths)
        window = MainWindow(client)
        qtbot.addWidget(window)
        with qtbot.waitSignals(
            [client.modelLoaded, client.chatOpened], timeout=LOAD_TIMEOUT_MS
        ):
            window.show()
            client.start()
        # The offscreen platform's screen is 800 px wide and a window shown there is fitted to
        # it (down to its 900 px minimum): give it the size it opens at on a desktop.
        window.resize(1100, 720)
        windows.append(window)
        return window

    yield start
    for window in windows:
        window.client.shutdown()
        window.client.deleteLater()
    # The test's Qt objects die here, in the GUI thread. Left to Python's cyclic collector they
    # would be deleted in whichever thread next collects, perhaps a later test's engine thread,
    # and deleting widgets outside the GUI thread crashes Qt.
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    windows.clear()
    gc.collect()


# -- the settings dock on its own (test_settings_panel.py, test_settings_explained.py) ----------

SETTINGS_PRESET = SamplingSettings(temperature=0.4, top_k=10)
SETTINGS_CONFIG = AppConfig(default_model="tiny.gguf", user_presets={"Mine": SETTINGS_PRESET})


def settings_tab(panel: SettingsPanel, object_name: str) -> QWidget:
    page = panel.findChild(QWidget, object_name)
    assert page is not None
    panel.tabs.setCurrentWidget(page)
    return page


@pytest.fixture
def panel(qtbot: QtBot) -> SettingsPanel:
    widget = SettingsPanel()
    qtbot.addWidget(widget)
    widget.resize(340, 700)
    widget.show_config(SETTINGS_CONFIG)
    widget.show_chat(SETTINGS_CONFIG.chat_defaults, has_chat=True)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def chat(panel: SettingsPanel) -> QWidget:
    return settings_tab(panel, "chatTab")
