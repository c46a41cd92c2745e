"""The first start in a real window: the welcome, the bundled model ready, the recommended
catalog model with its predicted speed and one Download button (through the Models tab's own
download path, against the Hub imitation), the predicted speeds in the Models tab's catalog,
and what empty lists say."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QLabel
from pytestqt.qtbot import QtBot

from desktop.empty_state import EmptyState
from desktop.main_window import MainWindow
from desktop.models.tab import NO_DOWNLOADS
from engine.models.catalog import CATALOG
from engine.models.downloads import DownloadState
from engine.models.memory import machine_memory
from engine.models.speed import (
    SpeedCalibration,
    cpu_identity,
    load_calibration,
    predict_tokens_per_second,
    recommend,
    save_calibration,
    speed_text,
)
from engine.paths import AppPaths, app_paths
from tests.desktop.conftest import WindowFactory
from tests.hub_imitation import HubImitation, hub_imitation, make_gguf

WAIT_MS = 60_000
# As the bundled model measured on the 2-core test machine (README's make test-models table).
SAVED = SpeedCalibration(cpu_identity(), "SmolLM2-135M-Instruct.Q4_1.gguf", 98_362_432, 118.9)


@pytest.fixture
def first_start(open_window: WindowFactory) -> Iterator[WindowFactory]:
    """Windows on a data folder Hearth has not welcomed anyone in, nor measured, yet."""
    app_paths().welcomed_file.unlink()
    app_paths().speed_file.unlink()
    yield open_window


def _paths() -> AppPaths:
    return app_paths()


def _welcomed(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.welcome.shown, timeout=WAIT_MS)
    assert window.tabs.currentWidget() is window.welcome
    assert window.tabs.tabText(0) == "Welcome"


def _recommended(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: "tok/s here" in window.welcome.details_label.text(),
                    timeout=WAIT_MS)


def test_a_first_start_welcomes_with_the_bundled_model_ready_and_a_recommendation(
    qtbot: QtBot, first_start: WindowFactory
) -> None:
    window = first_start()
    welcome = window.welcome
    _welcomed(qtbot, window)
    qtbot.waitUntil(lambda: "SmolLM2-135M is ready" in welcome.ready_label.text(),
                    timeout=WAIT_MS)
    assert any("runs entirely on this computer" in label.text()
               for label in welcome.findChildren(QLabel))
    # Nothing was measured before: the welcome measured the bundled model, and saved it.
    _recommended(qtbot, window)
    measured = load_calibration(_paths().speed_file)
    assert measured is not None and measured.model == "SmolLM2-135M-Instruct.Q4_1.gguf"
    chosen = recommend(CATALOG, measured, machine_memory(), 2048)
    assert chosen.model is not None and chosen.file is not None
    assert chosen.tokens_per_second is not None
    assert chosen.model.name in welcome.model_label.text()
    details = welcome.details_label.text()
    assert details.startswith(f"{chosen.file.quantization} · ")
    assert f"{speed_text(chosen.tokens_per_second)} here" in details
    assert welcome.download_button.isVisible() and welcome.download_button.text() == "Download"


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubImitation]:
    yield from hub_imitation(monkeypatch)


def test_download_goes_through_the_models_tab_and_offers_the_model(
    qtbot: QtBot, first_start: WindowFactory, hub: HubImitation
) -> None:
    save_calibration(_paths().speed_file, SAVED)  # a saved measurement is used, not redone
    chosen = recommend(CATALOG, SAVED, machine_memory(), 2048)
    assert chosen.model is not None and chosen.file is not None
    name = chosen.file.file_name
    hub.add_repo(chosen.model.repo_id, {name: make_gguf(300_000, name=chosen.model.name),
                                        "README.md": b"# model card\n"})
    window = first_start()
    welcome, tab = window.welcome, window.models_tab
    _welcomed(qtbot, window)
    _recommended(qtbot, window)
    assert chosen.model.name in welcome.model_label.text()
    welcome.download_button.click()
    assert not welcome.download_button.isEnabled()
    qtbot.waitUntil(lambda: "checksum verified" in welcome.download_status.text(),
                    timeout=WAIT_MS)
    # The Models tab's list shows the same download: one downloader.
    event = tab.downloads.event_at(0)
    assert event is not None and event.state == DownloadState.DONE
    assert event.repo_id == chosen.model.repo_id
    assert welcome.download_button.isEnabled()
    assert welcome.download_button.text() == "Use it now"
    qtbot.waitUntil(lambda: any(tab.installed.row_object(row).path.name == name
                                for row in range(tab.installed.rowCount())), timeout=WAIT_MS)


def test_start_chatting_goes_to_the_chat_and_the_first_reply_ends_the_welcome(
    qtbot: QtBot, first_start: WindowFactory
) -> None:
    save_calibration(_paths().speed_file, SAVED)
    window = first_start()
    _welcomed(qtbot, window)
    window.welcome.start_button.click()
    assert window.tabs.currentWidget() is window.chat_tab
    assert window.welcome.shown  # still there to come back to, until the first reply
    composer = window.chat_panel.composer
    with qtbot.waitSignal(window.client.replyFinished, timeout=WAIT_MS):
        qtbot.keyClicks(composer, "Hello!")
        qtbot.keyClick(composer, Qt.Key.Key_Return)
    assert not window.welcome.shown and window.tabs.indexOf(window.welcome) == -1
    assert window.tabs.count() == 4 and window.tabs.currentWidget() is window.chat_tab
    qtbot.waitUntil(_paths().welcomed_file.exists, timeout=WAIT_MS)
    window.close()

    again = first_start()
    assert not again.welcome.shown and again.tabs.currentWidget() is again.chat_tab


def test_dont_show_again_removes_it_for_good(qtbot: QtBot, first_start: WindowFactory) -> None:
    save_calibration(_paths().speed_file, SAVED)
    window = first_start()
    _welcomed(qtbot, window)
    window.welcome.dismiss_button.click()
    assert window.tabs.indexOf(window.welcome) == -1
    assert window.tabs.currentWidget() is window.chat_tab
    qtbot.waitUntil(_paths().welcomed_file.exists, timeout=WAIT_MS)
    window.close()
    assert not first_start().welcome.shown


def test_the_catalog_shows_the_speed_predicted_here(
    qtbot: QtBot, open_window: WindowFactory, hub: HubImitation
) -> None:
    save_calibration(_paths().speed_file, SAVED)
    window = open_window()
    assert not window.welcome.shown  # a person welcomed before
    tab = window.models_tab
    window.tabs.setCurrentWidget(tab)
    header = tab.repos.headerData(3, Qt.Orientation.Horizontal)
    assert header == "Speed here"
    qtbot.waitUntil(lambda: tab.repos.index(0, 3).data() != "…", timeout=WAIT_MS)
    for row, model in enumerate(CATALOG):
        expected = predict_tokens_per_second(SAVED, model.recommended.size_bytes)
        assert tab.repos.index(row, 3).data() == speed_text(expected)
    assert "measured speed" in tab.repos.index(0, 3).data(Qt.ItemDataRole.ToolTipRole)
    tab.repo_view.selectRow(len(CATALOG) - 1)  # the biggest: slower than reading pace here
    qtbot.waitUntil(lambda: tab.files.rowCount() > 0, timeout=WAIT_MS)
    speeds = [tab.files.index(row, 5).data() for row in range(tab.files.rowCount())]
    assert all(speed.startswith("≈ ") and speed.endswith(" tok/s") for speed in speeds)
    assert tab.files.index(0, 5).data(Qt.ItemDataRole.ForegroundRole) is not None


def _empty_line(view: QAbstractItemView) -> str:
    """The line over an empty view, which screen readers hear as the view's description."""
    state = view.findChild(EmptyState)
    assert state is not None, f"{view.accessibleName()} has no empty state"
    assert view.accessibleDescription() == state.text()
    return state.text()


def test_empty_lists_say_what_to_do_next(qtbot: QtBot, open_window: WindowFactory) -> None:
    window = open_window()
    assert _empty_line(window.models_tab.downloads_view) == NO_DOWNLOADS
    assert _empty_line(window.models_tab.installed_view) == ""  # the bundled model is there
    assert "New…" in _empty_line(window.collections_tab.list_view)
    lab = window.prompt_lab_tab
    assert "Import…" in _empty_line(lab.task_list)
    assert "preset" in _empty_line(lab.preset_list)
    sidebar = window.sidebar
    sidebar.search_box.setText("zebra-crossing-nowhere")
    qtbot.waitUntil(lambda: sidebar.chats.rowCount() == 0, timeout=WAIT_MS)
    assert "zebra-crossing-nowhere" in _empty_line(sidebar.list)
    assert "Clear the search" in _empty_line(sidebar.list)
    sidebar.search_box.clear()  # every chat again: nothing left to describe
    qtbot.waitUntil(lambda: sidebar.chats.rowCount() > 0, timeout=WAIT_MS)
    assert _empty_line(sidebar.list) == ""
