"""A draft model chosen in the Models tab: it drafts the loaded model's replies at once, after a
restart too, until it is stopped; one that cannot draft is said and let go."""

from __future__ import annotations

import shutil
from pathlib import Path

from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from desktop.models.tab import ModelsTab
from engine.config import load_config
from engine.paths import app_paths
from tests.desktop.conftest import WindowFactory
from tests.hub_imitation import make_gguf

WAIT_MS = 60_000


def _with_imported(qtbot: QtBot, window: MainWindow, path: Path) -> ModelsTab:
    tab = window.models_tab
    window.tabs.setCurrentWidget(tab)
    tab.import_path(str(path), reference=True)
    qtbot.waitUntil(lambda: any(str(tab.installed.row_object(r).path) == str(path)
                                for r in range(tab.installed.rowCount())), timeout=WAIT_MS)
    row = next(r for r in range(tab.installed.rowCount())
               if str(tab.installed.row_object(r).path) == str(path))
    tab.select_model(tab.installed.row_object(row).key)
    return tab


def _name_cell(tab: ModelsTab, path: Path) -> str:
    row = next(r for r in range(tab.installed.rowCount())
               if str(tab.installed.row_object(r).path) == str(path))
    return str(tab.installed.index(row, 0).data())


def test_a_model_used_as_draft_drafts_for_the_loaded_one_after_a_restart_too(
    qtbot: QtBot, open_window: WindowFactory, bundled_model: Path, tmp_path: Path
) -> None:
    drafter = tmp_path / "little-drafter.gguf"  # a copy: the same vocabulary
    shutil.copyfile(bundled_model, drafter)
    window = open_window()
    tab = _with_imported(qtbot, window, drafter)
    assert tab.draft_button.text() == "Use as draft" and tab.draft_button.isEnabled()
    with qtbot.waitSignal(window.client.modelLoaded, timeout=WAIT_MS) as loaded:
        tab.draft_button.click()
    assert loaded.args[0].path == bundled_model and loaded.args[0].draft_model == drafter.stem
    assert "drafts for the loaded model" in _name_cell(tab, drafter)
    assert "drafted by little-drafter" in window.status.model_label.text()
    assert tab.draft_button.text() == "Stop drafting"
    config = load_config(app_paths().settings_file).config
    assert config.draft_for(bundled_model) == drafter
    window.client.shutdown()

    again = open_window()  # the pairing is kept: the model loads with its draft model
    assert "drafted by little-drafter" in again.status.model_label.text()
    tab = _with_imported(qtbot, again, drafter)
    with qtbot.waitSignal(again.client.modelLoaded, timeout=WAIT_MS) as stopped:
        tab.draft_button.click()
    assert stopped.args[0].draft_model == ""
    assert "drafts for" not in _name_cell(tab, drafter)
    assert "drafted by" not in again.status.model_label.text()
    assert load_config(app_paths().settings_file).config.draft_models == {}


def test_a_model_that_cannot_draft_is_said_and_not_kept_as_the_draft(
    qtbot: QtBot, open_window: WindowFactory, bundled_model: Path, tmp_path: Path
) -> None:
    other = tmp_path / "not-a-drafter.gguf"
    other.write_bytes(make_gguf(200_000, name="not a drafter"))
    window = open_window()
    tab = _with_imported(qtbot, window, other)
    with qtbot.waitSignal(window.client.errorOccurred, timeout=WAIT_MS) as said:
        tab.draft_button.click()
    assert "answers without a draft model" in said.args[0]
    qtbot.waitUntil(lambda: load_config(app_paths().settings_file).config.draft_models == {},
                    timeout=WAIT_MS)
    assert tab.draft_button.text() == "Use as draft"
    assert "drafts for" not in _name_cell(tab, other)
