"""The Collections tab in the real window: a collection made, a folder added and indexed in the
background (an unreadable file listed with its reason), searched, re-indexed after an edit,
stopped part way, and removed with its files left on disk. Real files, the real database and
the search model, in the engine's host beside the chat model."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QMessageBox
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop.collections import worker as collections_worker
from desktop.collections.files_model import FilesModel
from desktop.collections.list_model import SUMMARY_ROLE, CollectionListModel
from desktop.collections.tab import CollectionsTab
from desktop.main_window import MainWindow
from engine.documents.collections import CollectionRecord, FileRecord, IndexDone
from engine.documents.embedder import SEARCH
from engine.host.process import CRASH_SWITCH
from tests.desktop.conftest import WindowFactory

WAIT_MS = 30_000
DISTINCTIVE = "The lighthouse keeper counted seventeen herons over the estuary at dawn."


def _engine_hosts() -> set[int | None]:
    return {child.pid for child in multiprocessing.active_children()
            if child.name == "hearth-engine-host"}


def _tab(window: MainWindow) -> CollectionsTab:
    window.tabs.setCurrentWidget(window.collections_tab)  # the first look starts its thread
    return window.collections_tab


def _create(qtbot: QtBot, tab: CollectionsTab, name: str) -> None:
    with qtbot.waitSignal(tab.client.results.created, timeout=WAIT_MS):
        tab.new_button.click()
        tab.name_dialog.setTextValue(name)
        tab.name_dialog.accept()
    assert tab.list_view.currentIndex().data() == name


def _add_folder(qtbot: QtBot, tab: CollectionsTab, folder: Path) -> IndexDone:
    with qtbot.waitSignal(tab.client.results.indexed, timeout=WAIT_MS) as indexed:
        tab.add_folder_button.click()
        tab.file_dialog.selectFile(str(folder))
        tab.file_dialog.accept()
    done = indexed.args[1]
    assert isinstance(done, IndexDone)
    return done


def _summary(tab: CollectionsTab) -> str:
    return str(tab.list_view.currentIndex().data(SUMMARY_ROLE))


def test_a_folder_is_indexed_searched_reindexed_and_removed(
    qtbot: QtBot, open_window: WindowFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    birds = [f"Day {day}: the tide was low and the wind came from the west again." for day in
             range(1, 21)] + [DISTINCTIVE]  # the sentence in a later passage than the first
    (folder / "birds.txt").write_text("\n\n".join(birds) + "\n", encoding="utf-8")
    (folder / "shopping.txt").write_text("Bread, milk and apples.\n", encoding="utf-8")
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4 broken")
    others = _engine_hosts()  # the session's shared host, if a test before started it
    window = open_window()
    tab = _tab(window)
    results = tab.client.results
    _create(qtbot, tab, "Field notes")

    done = _add_folder(qtbot, tab, folder)
    assert (done.added, len(done.failed), done.cancelled) == (2, 1, False)
    # The passages' vectors came from the engine's host, beside the chat model: one process.
    host = window.client.worker.runtime
    assert host.loaded is not None and host.model(SEARCH).loaded is not None
    assert _engine_hosts() - others == {host.pid}
    assert _summary(tab).startswith("2 files, ") and _summary(tab).endswith(", 1 unreadable")
    assert "Indexed “Field notes”: 2 added, 1 unreadable" in tab.status.text()
    assert tab.progress_bar.isHidden() and tab.reindex_button.isEnabled()
    broken = tab.files.row_of("scan.pdf")
    reason = tab.files.index(broken, FilesModel.PROBLEM).data()
    assert broken >= 0 and reason == done.failed[0][1] and reason
    icon = tab.files.index(broken, FilesModel.NAME).data(Qt.ItemDataRole.DecorationRole)
    assert icon is not None and not icon.isNull()  # the style's warning sign
    assert tab.files.index(tab.files.row_of("birds.txt"), FilesModel.PROBLEM).data() == ""

    with qtbot.waitSignal(results.searchResults, timeout=WAIT_MS) as found:
        qtbot.keyClicks(tab.search.field, "seventeen herons estuary")
        qtbot.keyClick(tab.search.field, Qt.Key.Key_Return)
    hit = found.args[2][0]
    assert hit.file == "birds.txt" and DISTINCTIVE in hit.text and hit.line > 1
    lines = (folder / "birds.txt").read_text(encoding="utf-8").split("\n")
    assert hit.text.startswith(lines[hit.line - 1])  # the line the passage starts on
    shown = tab.search.passages.toPlainText()
    assert shown.startswith(f"birds.txt, line {hit.line}\n") and DISTINCTIVE in shown
    assert tab.search.note.text().endswith("match “seventeen herons estuary”, best first:")
    cursor = tab.search.passages.document().find("herons")
    assert cursor.charFormat().fontWeight() == QFont.Weight.Bold

    (folder / "shopping.txt").write_text("Bread, milk, apples and pears.\n", encoding="utf-8")
    with (qtbot.waitSignal(results.searchResults, timeout=WAIT_MS) as refound,
          qtbot.waitSignal(results.indexed, timeout=WAIT_MS) as indexed):
        tab.reindex_button.click()
    assert (indexed.args[1].changed, indexed.args[1].unchanged) == (1, 1)
    assert "1 changed, 1 unchanged, 1 unreadable" in tab.status.text()
    assert refound.args[2][0].text == hit.text  # the search shown is asked again

    with qtbot.waitSignal(results.collectionsListed, timeout=WAIT_MS):
        tab.remove_button.click()
        assert "stay on disk" in tab.confirm_box.informativeText()
        tab.confirm_box.button(QMessageBox.StandardButton.Yes).click()
    assert tab.collections.rowCount() == 0 and tab.files.rowCount() == 0
    assert sorted(p.name for p in folder.iterdir()) == ["birds.txt", "scan.pdf", "shopping.txt"]
    assert tab.message.isHidden()


def _found(qtbot: QtBot, tab: CollectionsTab, collection_id: int, query: str) -> list[str]:
    """The passages the search of `query` finds, best first, each as "file: text"."""
    with qtbot.waitSignal(tab.client.results.searchResults, timeout=WAIT_MS) as found:
        tab.client.search(collection_id, query)
    return [f"{hit.file}: {hit.text}" for hit in found.args[2]]


def _indexed_by_itself(qtbot: QtBot, tab: CollectionsTab) -> IndexDone:
    """What the next re-index did, one that nobody asked for."""
    with qtbot.waitSignal(tab.client.results.indexed, timeout=WAIT_MS) as indexed:
        pass
    done = indexed.args[1]
    assert isinstance(done, IndexDone) and not done.cancelled
    return done


def test_a_watched_folder_indexes_its_changes_by_itself(
    qtbot: QtBot, open_window: WindowFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collections_worker, "SETTLE_MS", 300)  # settles sooner, still waits
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "shopping.txt").write_text("Bread, milk and apples.\n", encoding="utf-8")
    tab = _tab(open_window())
    _create(qtbot, tab, "Field notes")
    assert _add_folder(qtbot, tab, folder).added == 1
    record = tab.collections.record(0)
    assert record is not None
    herons = folder / "birds.txt"

    herons.write_text(DISTINCTIVE + "\n", encoding="utf-8")  # a file added
    done = _indexed_by_itself(qtbot, tab)
    assert (done.added, done.changed, done.removed, done.unchanged) == (1, 0, 0, 1)
    assert _found(qtbot, tab, record.id, "seventeen herons")[0] == f"birds.txt: {DISTINCTIVE}"
    assert "Indexed “Field notes”: 1 added, 1 unchanged" in tab.status.text()
    assert tab.files.row_of("birds.txt") >= 0

    herons.write_text("The keeper counted nine cormorants instead.\n", encoding="utf-8")
    done = _indexed_by_itself(qtbot, tab)  # a file edited in place
    assert (done.added, done.changed, done.removed) == (0, 1, 0)
    cormorants = "birds.txt: The keeper counted nine cormorants instead."
    assert _found(qtbot, tab, record.id, "cormorants")[0] == cormorants
    assert not any("herons" in hit for hit in _found(qtbot, tab, record.id, "seventeen herons"))

    (folder / "later").mkdir()  # a new subfolder is watched too
    (folder / "later" / "tides.md").write_text("Spring tides flood the salt marsh.\n",
                                                encoding="utf-8")
    assert _indexed_by_itself(qtbot, tab).added == 1
    assert _found(qtbot, tab, record.id, "salt marsh")[0].startswith("tides.md: Spring tides")

    herons.unlink()  # a file removed
    done = _indexed_by_itself(qtbot, tab)
    assert (done.added, done.changed, done.removed) == (0, 0, 1)
    assert not any(hit.startswith("birds.txt") for hit in _found(qtbot, tab, record.id,
                                                                 "cormorants"))
    assert tab.files.row_of("birds.txt") < 0
    assert tab.progress_bar.isHidden() and tab.message.isHidden()


def test_stop_keeps_the_files_done_and_leaves_the_tab_usable(
    qtbot: QtBot, open_window: WindowFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for number in range(40):
        (folder / f"note{number:02}.txt").write_text(f"Note {number} of forty.\n")
    tab = _tab(open_window())
    _create(qtbot, tab, "Many")
    results = tab.client.results

    with qtbot.waitSignal(results.progress, timeout=WAIT_MS):
        tab.add_folder_button.click()
        tab.file_dialog.selectFile(str(folder))
        tab.file_dialog.accept()
    assert tab.progress_bar.isVisible() and tab.stop_button.isEnabled()
    assert tab.progress_bar.format().startswith("Indexing 1 of 40: note00.txt")
    assert not tab.reindex_button.isEnabled()
    with qtbot.waitSignal(results.indexed, timeout=WAIT_MS) as indexed:
        tab.stop_button.click()
    done = indexed.args[1]
    assert done.cancelled and done.added + done.unchanged < 40
    assert tab.status.text().startswith("Stopped indexing “Many”")
    many = tab.collections.record(0)
    assert many is not None and tab.files.rowCount() == many.files < 40  # those done stay
    assert tab.progress_bar.isHidden() and tab.reindex_button.isEnabled()

    with qtbot.waitSignal(results.failed, timeout=WAIT_MS):  # the tab still answers
        tab.create_collection("Many")
    assert tab.message.isVisible() and "already a collection called “Many”" in tab.message.text()
    _create(qtbot, tab, "Another")
    assert [tab.collections.index(row).data() for row in range(2)] == ["Another", "Many"]
    assert tab.message.isHidden()


def test_closing_the_window_while_indexing_stops_its_thread(
    qtbot: QtBot, open_window: WindowFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for number in range(40):
        (folder / f"note{number:02}.txt").write_text(f"Note {number} of forty.\n")
    window = open_window()
    tab = _tab(window)
    _create(qtbot, tab, "Many")
    with qtbot.waitSignal(tab.client.results.progress, timeout=WAIT_MS):
        tab.add([str(folder)])
    window.close()  # waits for the file being read, as the engine thread's shutdown waits
    assert not tab.client.running and not window.client.busy


def test_a_crash_while_indexing_says_so_and_both_models_come_back(
    qtbot: QtBot, open_window: WindowFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The first host dies at its first vectors, found on the collections thread.
    monkeypatch.setenv(CRASH_SWITCH, f"embed:1:SIGABRT:{tmp_path / 'crashed-once'}")
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "birds.txt").write_text(DISTINCTIVE + "\n", encoding="utf-8")
    others = _engine_hosts()  # the session's shared host, if a test before started it
    window = open_window()
    tab = _tab(window)
    results = tab.client.results
    _create(qtbot, tab, "Field notes")
    with qtbot.waitSignal(results.failed, timeout=WAIT_MS) as failed:
        tab.add([str(folder)])
    assert failed.args[0].startswith("Indexing “Field notes” stopped. The model "
                                     "all-MiniLM-L6-v2-f16 stopped unexpectedly while making "
                                     "embeddings (the engine process was killed by SIGABRT)")
    banner = window.chat_panel.banner
    qtbot.waitUntil(lambda: "search model loads again" in banner.text(), timeout=WAIT_MS)
    host = window.client.worker.runtime
    loaded = host.loaded
    assert loaded is not None and f"started again with {loaded.name}" in banner.text()
    with qtbot.waitSignal(results.indexed, timeout=WAIT_MS) as indexed:
        tab.reindex_button.click()
    assert not indexed.args[1].failed and host.model(SEARCH).loaded is not None
    assert _engine_hosts() - others == {host.pid}


def test_the_tab_models_keep_qt_rules(qtmodeltester: ModelTester) -> None:
    collections = CollectionListModel()
    collections.set_records([CollectionRecord(1, "A", None, ("/a",), 2, 5, 1),
                             CollectionRecord(2, "B", None, (), 0, 0, 0)])
    qtmodeltester.check(collections)
    assert collections.index(0).data(SUMMARY_ROLE) == "2 files, 5 passages, 1 unreadable"
    assert collections.index(1).data(SUMMARY_ROLE) == "0 files, 0 passages"
    files = FilesModel()
    files.set_files([FileRecord("/a/x.txt", "x.txt", 3, None, None),
                     FileRecord("/a/y.pdf", "y.pdf", 0, None, "y.pdf is not a PDF.")])
    qtmodeltester.check(files)
    assert files.index(1, FilesModel.PROBLEM).data() == "y.pdf is not a PDF."

