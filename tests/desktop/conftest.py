"""A real Hearth window on a temporary data folder, with the bundled model loaded."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from pytestqt.qtbot import QtBot

from desktop.engine_client import EngineClient
from desktop.main_window import MainWindow
from engine.config import AppConfig, save_config
from engine.paths import app_paths
from engine.settings import ChatSettings, RuntimeSettings, SamplingSettings

LOAD_TIMEOUT_MS = 60_000

WindowFactory = Callable[[], MainWindow]


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
