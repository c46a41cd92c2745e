"""The longest context that fits: a column of the Models tab, and an offer under Context length
in the settings' Defaults that follows the cache precision chosen there and sets it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from desktop.models.tables import InstalledModelsModel
from engine.config import AppConfig
from engine.models.gguf import read_header
from engine.models.memory import MachineMemory, ModelShape, estimate_memory, held_by_model
from tests.desktop.conftest import WindowFactory

WAIT_MS = 60_000
TRAINED = 8192  # the bundled SmolLM2-135M's trained context
LOADED_AT = 2048  # the tests' n_ctx (conftest's test_config), an f16 cache


def _offer(window: MainWindow) -> str:
    button = window.settings_panel.longest_button
    return "" if button.isHidden() else button.text()


def _longest_cell(window: MainWindow) -> object:
    return window.models_tab.installed.index(0, InstalledModelsModel.LONGEST).data()


def _choose_cache_bits(window: MainWindow, bits: int) -> None:
    box = next(box for box in window.settings_panel.findChildren(QComboBox)
               if box.accessibleName() == "Context cache precision")
    box.setCurrentIndex(box.findData(bits))


def test_this_computer_is_offered_the_trained_context(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    window = open_window()
    qtbot.waitUntil(lambda: _offer(window) == "Longest that fits: 8,192", timeout=WAIT_MS)
    assert _longest_cell(window) == "8,192"
    tooltip = window.models_tab.installed.index(0, InstalledModelsModel.LONGEST).data(
        Qt.ItemDataRole.ToolTipRole)
    assert "trained context (8,192 tokens)" in tooltip


def test_a_small_machine_is_offered_less_and_an_8_bit_cache_more(
    qtbot: QtBot, open_window: WindowFactory, bundled_model: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Stands in for a small machine: with the bundled model loaded at 2k, only what it needs at
    # 4k with an f16 cache is free, counting what it holds now (given back when it reloads).
    shape = ModelShape.from_header(read_header(bundled_model))
    held = held_by_model(shape, LOADED_AT, 16)
    free = estimate_memory(shape, 4096, 16).total_bytes - held
    small = MachineMemory(total_bytes=2 * 10**9, available_bytes=free)
    monkeypatch.setattr("desktop.models.worker.machine_memory", lambda *_args: small)
    window = open_window()
    panel = window.settings_panel
    qtbot.waitUntil(lambda: _offer(window) == "Longest that fits: 4,096", timeout=WAIT_MS)
    assert _longest_cell(window) == "4,096"  # the tab shows the applied precision, f16

    _choose_cache_bits(window, 8)  # chosen, not applied yet: the offer follows the choice
    q8_0 = int(_offer(window).rsplit(" ", 1)[1].replace(",", ""))
    assert 4096 < q8_0 <= TRAINED and q8_0 % 1024 == 0
    assert _longest_cell(window) == "4,096"
    _choose_cache_bits(window, 16)
    assert _offer(window) == "Longest that fits: 4,096"

    _choose_cache_bits(window, 8)
    with qtbot.waitSignal(panel.configApplied, timeout=WAIT_MS) as applied:
        panel.longest_button.click()
    config = applied.args[0] if applied.args else None
    assert isinstance(config, AppConfig)
    assert (config.runtime.n_ctx, config.runtime.kv_cache_bits) == (q8_0, 8)
    # Saved and loaded again: the tab's column follows the applied precision, and the offer is
    # what the field holds now.
    qtbot.waitUntil(lambda: window.models_tab.installed.kv_cache_bits == 8, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not panel.longest_button.isEnabled(), timeout=WAIT_MS)
