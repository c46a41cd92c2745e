"""The Models tab in a real window, against the Hub imitation: installed models with their
header facts, search, a repository's files, downloads with pause and resume, import, offline."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from desktop.models.downloads_model import EVENT_ROLE
from desktop.models.tab import ModelsTab
from desktop.models.tables import InstalledModelsModel
from engine.models.catalog import CATALOG
from engine.models.downloads import DownloadState
from tests.desktop.conftest import WindowFactory
from tests.hub_imitation import HubImitation, hub_imitation, make_gguf

REPO = "hearth-test/Tiny-Chat-GGUF"
WAIT_MS = 60_000


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, bundled_model: Path) -> Iterator[HubImitation]:
    for imitation in hub_imitation(monkeypatch):
        imitation.add_repo(REPO, {
            "Tiny-Chat-Q4_1.gguf": bundled_model,
            "Tiny-Chat-Q8_0.gguf": make_gguf(300_000, name="tiny q8", seed=2),
            "README.md": b"# Tiny chat\n",
        }, downloads=1234, likes=5)
        yield imitation


def _tab(window: MainWindow) -> ModelsTab:
    window.tabs.setCurrentWidget(window.models_tab)
    return window.models_tab


def _installed_names(model: InstalledModelsModel) -> list[str]:
    return [str(model.index(row, 0).data()) for row in range(model.rowCount())]


def _row_text(model: InstalledModelsModel, row: int) -> list[str]:
    return [str(model.index(row, column).data()) for column in range(model.columnCount())]


def _search_and_open(qtbot: QtBot, tab: ModelsTab, query: str) -> None:
    tab.search_field.setText(query)
    tab.search()
    qtbot.waitUntil(lambda: tab.repos.rowCount() == 1
                    and tab.repos.row_object(0).summary is not None,
                    timeout=WAIT_MS)
    tab.repo_view.selectRow(0)
    qtbot.waitUntil(lambda: tab.files.rowCount() == 2
                    and tab.files.row_object(0).option is not None, timeout=WAIT_MS)


def state_of_first(tab: ModelsTab) -> DownloadState | None:
    """The state of the first download listed (None before it has one)."""
    event = tab.downloads.event_at(0)
    return None if event is None else event.state


def _select_quant(tab: ModelsTab, quant: str) -> None:
    row = next(r for r in range(tab.files.rowCount()) if tab.files.row_object(r).quant == quant)
    tab.file_view.selectRow(row)


def test_the_bundled_model_is_listed_with_what_its_header_says(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    tab = _tab(open_window())
    qtbot.waitUntil(lambda: tab.installed.rowCount() >= 1, timeout=WAIT_MS)
    row = _row_text(tab.installed, 0)
    assert row[0].startswith("SmolLM2") and "loaded" in row[0]
    assert row[1:5] == ["llama", "135M", "Q4_1", "8,192"]
    assert row[5].endswith("MB") and row[7] == "✔ fits"
    assert "bundled" in row[9]
    assert "RAM" in tab.machine_label.text()
    assert not tab.delete_button.isEnabled() or tab.selected_model() is None


def test_search_lists_files_by_quantization_and_a_download_installs_the_model(
    qtbot: QtBot, open_window: WindowFactory, hub: HubImitation
) -> None:
    tab = _tab(open_window())
    _search_and_open(qtbot, tab, "tiny")
    assert tab.repos.index(0, 0).data() == REPO
    qtbot.waitUntil(lambda: "Its chat template works in Hearth." in tab.files_status.text(),
                    timeout=WAIT_MS)
    assert "1,234 downloads" in tab.repos.index(0, 1).data()
    quants = sorted(tab.files.row_object(r).quant for r in range(tab.files.rowCount()))
    assert quants == ["Q4_1", "Q8_0"]  # README.md is not a model
    _select_quant(tab, "Q4_1")
    assert tab.download_button.isEnabled()
    tab.download_button.click()
    qtbot.waitUntil(lambda: tab.downloads.rowCount() == 1
                    and state_of_first(tab) == DownloadState.DONE, timeout=WAIT_MS)
    assert "checksum verified" in tab.downloads.index(0).data()
    qtbot.waitUntil(lambda: any("Tiny-Chat-Q4_1" in name
                                for name in _installed_names(tab.installed)), timeout=WAIT_MS)
    row = next(r for r in range(tab.installed.rowCount())
               if "Tiny-Chat-Q4_1" in _installed_names(tab.installed)[r])
    assert f"downloaded from {REPO}" in _row_text(tab.installed, row)[9]


def test_a_catalog_model_whose_template_fails_here_says_so_before_the_download(
    qtbot: QtBot, open_window: WindowFactory, hub: HubImitation
) -> None:
    first = CATALOG[0]
    endless = "{% for i in range(10**9) %}{{ messages[0]['content'] }}{% endfor %}"
    hub.add_repo(first.repo_id, {first.recommended.file_name: make_gguf(
        300_000, name=first.name, chat_template=endless)})
    tab = _tab(open_window())
    assert tab.repos.row_object(0).catalog == first
    tab.repo_view.selectRow(0)
    qtbot.waitUntil(lambda: "does not work in Hearth" in tab.files_status.text(),
                    timeout=WAIT_MS)
    assert "choose a built-in template for it in the Models tab" in tab.files_status.text()
    assert f"built-in {first.template_family} template has its format" in tab.files_status.text()


def test_a_paused_download_resumes_without_fetching_again_what_it_has(
    qtbot: QtBot, open_window: WindowFactory, hub: HubImitation, bundled_model: Path
) -> None:
    tab = _tab(open_window())
    _search_and_open(qtbot, tab, "tiny")
    _select_quant(tab, "Q4_1")
    size = bundled_model.stat().st_size
    hold = hub.hold_at(REPO, "Tiny-Chat-Q4_1.gguf", size // 2)
    tab.download_button.click()
    assert hold.reached.wait(WAIT_MS / 1000)
    qtbot.waitUntil(lambda: tab.downloads.rowCount() == 1, timeout=WAIT_MS)
    tab.downloads_view.setCurrentIndex(tab.downloads.index(0))
    qtbot.waitUntil(tab.pause_button.isEnabled, timeout=WAIT_MS)
    tab.pause_button.click()
    hold.release()
    qtbot.waitUntil(lambda: state_of_first(tab) == DownloadState.PAUSED, timeout=WAIT_MS)
    assert hub.wait_idle()
    sent_before = hub.bytes_sent[f"{REPO}/Tiny-Chat-Q4_1.gguf"]
    assert "Paused at" in tab.downloads.index(0).data()
    tab.resume_button.click()
    qtbot.waitUntil(lambda: state_of_first(tab) == DownloadState.DONE, timeout=WAIT_MS)
    assert hub.wait_idle()
    event = tab.downloads.index(0).data(EVENT_ROLE)
    assert event.bytes_done == size
    # The second request asked only for what was not on disk, and only that came over the wire.
    # Where the pause took effect depends on what the socket had buffered, before or after the
    # hold: whatever was written is kept, not refetched.
    key = f"{REPO}/Tiny-Chat-Q4_1.gguf"
    on_disk = event.resumed_from
    assert 0 < on_disk < size
    assert hub.ranges[key][-1] == f"bytes={on_disk}-"
    assert hub.bytes_sent[key] - sent_before == size - on_disk


def test_search_without_network_says_so_and_the_rest_still_works(
    qtbot: QtBot, open_window: WindowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port with nothing listening: the network is "down"
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    tab = _tab(open_window())
    tab.search_field.setText("qwen")
    tab.search()
    qtbot.waitUntil(lambda: "network" in tab.repo_status.text().lower(), timeout=WAIT_MS)
    tab.show_recommended()
    assert tab.repos.rowCount() >= 8  # the curated list needs no network
    tab.repo_view.selectRow(0)
    qtbot.waitUntil(lambda: "network" in tab.files_status.text().lower(), timeout=WAIT_MS)
    assert tab.files.rowCount() >= 1 and tab.files.index(0, 2).data().startswith("≈")


def test_an_imported_copy_is_listed_and_can_be_deleted(
    qtbot: QtBot, open_window: WindowFactory, bundled_model: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = tmp_path / "my-own-model.gguf"
    shutil.copyfile(bundled_model, source)
    tab = _tab(open_window())
    qtbot.waitUntil(lambda: tab.installed.rowCount() >= 1, timeout=WAIT_MS)
    tab.import_path(str(source), reference=False)
    qtbot.waitUntil(lambda: "imported" in tab.import_label.text(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: any(n.startswith("my-own-model")
                                for n in _installed_names(tab.installed)), timeout=WAIT_MS)
    row = next(r for r, n in enumerate(_installed_names(tab.installed))
               if n.startswith("my-own-model"))
    tab.select_model(tab.installed.row_object(row).key)
    assert tab.delete_button.isEnabled()
    # The confirmation is a modal dialog: answer it as a person would.
    from PySide6.QtWidgets import QMessageBox
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *_args: QMessageBox.StandardButton.Yes)
    tab.delete_selected()
    qtbot.waitUntil(lambda: not any(n.startswith("my-own-model")
                                    for n in _installed_names(tab.installed)), timeout=WAIT_MS)
    assert source.exists()  # the original was copied, never touched


def test_a_broken_file_is_refused_with_a_reason(
    qtbot: QtBot, open_window: WindowFactory, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\xff" * 64)
    tab = _tab(open_window())
    tab.import_path(str(broken), reference=True)
    qtbot.waitUntil(tab.problem_label.isVisible, timeout=WAIT_MS)
    assert "broken.gguf" in tab.problem_label.text()


def test_the_chat_switches_model_from_its_own_picker(
    qtbot: QtBot, open_window: WindowFactory, bundled_model: Path, tmp_path: Path
) -> None:
    other = tmp_path / "second-model.gguf"
    shutil.copyfile(bundled_model, other)
    window = open_window()
    window.models_tab.import_path(str(other), reference=True)
    picker = window.chat_panel.model_picker
    qtbot.waitUntil(lambda: picker.count() == 2, timeout=WAIT_MS)
    assert picker.currentText().startswith("SmolLM2")
    row = next(i for i in range(picker.count()) if picker.itemText(i).startswith("second"))
    with qtbot.waitSignal(window.client.modelLoaded, timeout=WAIT_MS) as loaded:
        picker.activated.emit(row)
    assert loaded.args[0].path == other
    assert picker.currentText().startswith("second-model")
