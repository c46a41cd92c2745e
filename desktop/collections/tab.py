"""The Collections tab: named collections of documents, their files, and search within one.

Left, the collections (New…, Remove); right, the selected one's files (Add files…, Add
folder…, Re-index; an unreadable file with its reason) and, under them, "Find in this
collection" (search_panel.py). Indexing runs on the collections worker's thread (worker.py)
with a progress bar and Stop; the files finished before Stop stay indexed. The worker also
watches the collections' folders while Hearth runs and re-indexes what changed by itself, with
the same progress bar.

A view over the worker's answers: every action is a request, and the lists change only when
the worker reports back. Dialogs open window-modal with `open()`, so nothing here waits.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QPalette, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListView,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.collections.client import CollectionsClient
from desktop.collections.files_model import FilesModel
from desktop.collections.list_model import (
    CollectionDelegate,
    CollectionListModel,
    collection_summary,
)
from desktop.collections.search_panel import SearchPanel
from desktop.empty_state import EmptyState
from desktop.engine_client import EngineClient
from desktop.i18n import QT_TRANSLATE_NOOP, translated
from desktop.settings.form import ErrorLabel
from engine.documents.collections import CollectionRecord, FileRecord, IndexDone
from engine.documents.reading import SUFFIX_KINDS
from engine.paths import AppPaths, app_paths

NO_COLLECTION_HINT = (QT_TRANSLATE_NOOP("collections.tab", "Make a collection with New…, then add "
                                                           "files or a folder to it: Hearth "
                      "indexes them here, on this computer, for search and for questions in a "
                      "chat."))
# The collections' folders are watched from this long after the window opens (or from the
# tab's first look, if sooner), leaving the first moments to the chat model's loading.
WATCH_AFTER_MS = 3000
EMPTY_HINT = (QT_TRANSLATE_NOOP("collections.tab", "Add files or a folder with the buttons above: "
                                                   "Hearth indexes them here, on this "
              "computer. The files stay where they are; Re-index brings in what changed."))


class CollectionsTab(QWidget):
    def __init__(self, engine: EngineClient, parent: QWidget | None = None,
                 paths: AppPaths | None = None) -> None:
        super().__init__(parent)
        # The search model goes in the engine's host: one llama.cpp process for both models.
        self.client = CollectionsClient(paths or app_paths(), engine.worker.runtime, self)
        self._current: CollectionRecord | None = None
        self._indexing = False
        self._listed = False  # the collections were asked for, at the tab's first look
        # The window closes: the engine client shuts down, and this thread with it.
        engine.shuttingDown.connect(self.client.shutdown)

        self.collections = CollectionListModel(self)
        self.files = FilesModel(self)
        self.message = ErrorLabel(self)  # what went wrong, until the next request
        self.message.setAccessibleName(self.tr("Collections problem"))
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self._build_list())
        splitter.addWidget(self._build_files())
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([300, 800])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)
        layout.addLayout(self._build_progress())
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Indexing status"))
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)

        results = self.client.results
        results.collectionsListed.connect(self._on_collections)
        results.created.connect(self._on_created)
        results.filesListed.connect(self._on_files)
        results.indexing.connect(self._on_indexing)
        results.progress.connect(self._on_progress)
        results.indexed.connect(self._on_indexed)
        results.failed.connect(self.show_problem)
        self._show_collection(None)
        # While Hearth runs, a change in a collection's folders is indexed by itself.
        QTimer.singleShot(WATCH_AFTER_MS, self, self.client.watch)

    # Layout --------------------------------------------------------------------------------

    def _build_list(self) -> QWidget:
        box = QWidget(self)
        heading = QLabel(self.tr("<b>Collections</b>"), box)
        self.list_view = QListView(box)
        self.list_view.setModel(self.collections)
        self.list_view.setItemDelegate(CollectionDelegate(self.list_view))
        self.list_view.setAccessibleName(self.tr("Collections"))
        self.list_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list_view.setUniformItemSizes(True)
        EmptyState(self.list_view, self.tr("No collections yet. New… makes one."))
        self.list_view.selectionModel().currentChanged.connect(
            lambda current, _previous: self._show_collection(
                self.collections.record(current.row())))
        heading.setBuddy(self.list_view)
        self.new_button = QPushButton(self.tr("New…"), box)
        self.new_button.setAccessibleName(self.tr("New collection"))
        self.new_button.setToolTip(self.tr("Make a new, empty collection"))
        self.new_button.clicked.connect(self.ask_new_name)
        self.remove_button = QPushButton(self.tr("Remove"), box)
        self.remove_button.setAccessibleName(self.tr("Remove collection"))
        self.remove_button.setToolTip(self.tr("Remove the collection from Hearth; its files stay "
                                              "on disk"))
        self.remove_button.clicked.connect(self.ask_remove)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading)
        layout.addWidget(self.list_view, 1)
        layout.addLayout(buttons)
        return box

    def _build_files(self) -> QWidget:
        box = QWidget(self)
        self.files_heading = QLabel(box)
        self.files_heading.setTextFormat(Qt.TextFormat.RichText)
        self.sources_label = QLabel(box)
        self.sources_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.sources_label.setTextFormat(Qt.TextFormat.PlainText)
        self.add_files_button = QPushButton(self.tr("Add files…"), box)
        self.add_files_button.setAccessibleName(self.tr("Add files to the collection"))
        self.add_files_button.clicked.connect(self.ask_files)
        self.add_folder_button = QPushButton(self.tr("Add folder…"), box)
        self.add_folder_button.setAccessibleName(self.tr("Add a folder to the collection"))
        self.add_folder_button.clicked.connect(self.ask_folder)
        self.reindex_button = QPushButton(self.tr("Re-index"), box)
        self.reindex_button.setAccessibleName(self.tr("Re-index the collection"))
        self.reindex_button.setToolTip(self.tr("Read again the files that changed, take in new "
                                               "ones "
                                       "and drop removed ones"))
        self.reindex_button.clicked.connect(self.reindex)
        buttons = QHBoxLayout()
        buttons.addWidget(self.files_heading, 1)
        for button in (self.add_files_button, self.add_folder_button, self.reindex_button):
            buttons.addWidget(button)

        self.files_view = QTableView(box)
        self.files_view.setModel(self.files)
        self.files_view.setAccessibleName(self.tr("Files in the collection"))
        self.files_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.files_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.files_view.verticalHeader().hide()
        self.files_view.setWordWrap(False)
        header = self.files_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)

        self.hint = QLabel(box)
        self.hint.setWordWrap(True)
        self.hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        files_splitter = QSplitter(Qt.Orientation.Vertical, box)
        files_splitter.addWidget(self.files_view)
        self.search = SearchPanel(self.client, files_splitter)
        files_splitter.addWidget(self.search)
        files_splitter.setChildrenCollapsible(False)
        files_splitter.setSizes([220, 380])
        self._details = files_splitter
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.sources_label)
        layout.addWidget(self.hint)
        layout.addWidget(files_splitter, 1)
        return box

    def _build_progress(self) -> QHBoxLayout:
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setAccessibleName(self.tr("Indexing progress"))
        self.progress_bar.setTextVisible(True)
        self.stop_button = QPushButton(self.tr("Stop"), self)
        self.stop_button.setAccessibleName(self.tr("Stop indexing"))
        self.stop_button.setToolTip(self.tr("Stop after the file being read; the files done stay "
                                            "indexed"))
        self.stop_button.clicked.connect(self.stop)
        row = QHBoxLayout()
        row.addWidget(self.progress_bar, 1)
        row.addWidget(self.stop_button)
        self.progress_bar.hide()
        self.stop_button.hide()
        return row

    # Requests ------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        # The thread and the index open when the tab is first looked at, not with the window.
        super().showEvent(event)
        if not self._listed:
            self._listed = True
            self.client.refresh(self._current.id if self._current else None)

    def ask_new_name(self) -> None:
        self.name_dialog = QInputDialog(self)
        self.name_dialog.setWindowTitle(self.tr("New collection"))
        self.name_dialog.setLabelText(self.tr("Name of the new collection:"))
        self.name_dialog.textValueSelected.connect(self.create_collection)
        self.name_dialog.open()

    def create_collection(self, name: str) -> None:
        self._clear_problem()
        self.client.create(name)

    def ask_files(self) -> None:
        if self._current is None:
            return
        kinds = " ".join(f"*{suffix}" for suffix in sorted(SUFFIX_KINDS))
        self.file_dialog = QFileDialog(self, self.tr("Add files to “{name}”")
                                             .format(name=self._current.name))
        self.file_dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        self.file_dialog.setNameFilters([self.tr("Documents ({kinds})")
                                         .format(kinds=kinds), self.tr("All files (*)")])
        self.file_dialog.filesSelected.connect(self.add)
        self.file_dialog.open()

    def ask_folder(self) -> None:
        if self._current is None:
            return
        self.file_dialog = QFileDialog(self, self.tr("Add a folder to “{name}”")
                                             .format(name=self._current.name))
        self.file_dialog.setFileMode(QFileDialog.FileMode.Directory)
        self.file_dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        self.file_dialog.filesSelected.connect(self.add)
        self.file_dialog.open()

    def add(self, paths: Sequence[str]) -> None:
        """Adds files or folders to the selected collection and indexes them at once."""
        if self._current is not None and paths:
            self._clear_problem()
            self.client.add(self._current.id, paths)

    def reindex(self) -> None:
        if self._current is not None:
            self._clear_problem()
            self.client.reindex(self._current.id)

    def stop(self) -> None:
        self.client.stop()
        self.stop_button.setEnabled(False)
        self.progress_bar.setFormat(self.tr("Stopping after this file…"))

    def ask_remove(self) -> None:
        if self._current is None or self._current.name is None:
            return
        name = self._current.name
        self.confirm_box = QMessageBox(
            QMessageBox.Icon.Question, self.tr("Remove collection"), self.tr("Remove the "
                                                                             "collection “{name}”?")
                                                                     .format(name=name),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        self.confirm_box.setInformativeText(
            self.tr("Its index is deleted from Hearth. The files themselves stay on disk, "
                    "untouched."))
        self.confirm_box.button(QMessageBox.StandardButton.Yes).setText(self.tr("Remove"))
        self.confirm_box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        self.confirm_box.accepted.connect(lambda: self.remove(name))
        self.confirm_box.open()

    def remove(self, name: str) -> None:
        self._clear_problem()
        self.client.remove(name)

    # Answers -------------------------------------------------------------------------------

    def _on_collections(self, records: list[CollectionRecord]) -> None:
        self.collections.set_records(records)
        current = self.list_view.currentIndex()
        chosen = self.collections.row_of(self._current.id) if self._current else -1
        if chosen < 0 and self.collections.rowCount() > 0:
            chosen = 0
        if chosen < 0:
            self._show_collection(None)
        elif current.row() != chosen:
            self._select(chosen)
        else:
            self._show_collection(self.collections.record(chosen), refresh=False)

    def _on_created(self, record: CollectionRecord) -> None:
        row = self.collections.row_of(record.id)
        if row >= 0:
            self._select(row)

    def _select(self, row: int) -> None:
        self.list_view.selectionModel().setCurrentIndex(
            self.collections.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def _show_collection(self, record: CollectionRecord | None, refresh: bool = True) -> None:
        changed = (record.id if record else None) != (self._current.id if self._current else None)
        self._current = record
        self._details.setVisible(record is not None)
        self.hint.setVisible(record is None or not record.sources)
        self.hint.setText(translated("collections.tab",
                                     NO_COLLECTION_HINT) if record is None else translated(
                                                            "collections.tab", EMPTY_HINT))
        if record is None:
            self.files_heading.setText(self.tr("<b>No collection yet</b>"))
            self.sources_label.clear()
            self.files.set_files([])
        else:
            self.files_heading.setText(f"<b>{html.escape(record.name or '')}</b> — "
                                       f"{html.escape(collection_summary(record))}")
            sources = "; ".join(record.sources)
            self.sources_label.setText(self.tr("From {sources}")
                                       .format(sources=sources) if sources else "")
            self.sources_label.setToolTip("\n".join(record.sources))
        self.search.show_collection(record)
        if changed:
            self.files.set_files([])
            if record is not None and refresh:
                self.client.refresh(record.id)
        self._update_buttons()

    def _on_files(self, collection_id: int, files: list[FileRecord]) -> None:
        if self._current is not None and self._current.id == collection_id:
            self.files.set_files(files)

    def _on_indexing(self, running: bool) -> None:
        self._indexing = running
        self.progress_bar.setVisible(running)
        self.stop_button.setVisible(running)
        self.stop_button.setEnabled(running)
        if running:
            self.progress_bar.setRange(0, 0)  # busy until the files are counted
            self.progress_bar.setFormat(self.tr("Indexing…"))
            self.status.clear()
        self._update_buttons()

    def _on_progress(self, done: int, total: int, path: str) -> None:
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(done)
        if self.stop_button.isEnabled():
            self.progress_bar.setFormat(self.tr("Indexing {value} of {total}: {name}")
                                        .format(value=done + 1, total=total, name=Path(path).name))
        self.progress_bar.setAccessibleDescription(self.progress_bar.format())

    def _on_indexed(self, summary: str, _done: IndexDone) -> None:
        self.status.setText(summary)

    def show_problem(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _clear_problem(self) -> None:
        self.message.clear()
        self.message.hide()

    def _update_buttons(self) -> None:
        has = self._current is not None
        for button in (self.add_files_button, self.add_folder_button, self.reindex_button,
                       self.remove_button):
            button.setEnabled(has and not self._indexing)
