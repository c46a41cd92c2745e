"""The side list of chats: new, open, rename, delete, export, and full-text search."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QListView,
    QMenu,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.chat.list_model import ChatListModel, ChatRole
from desktop.empty_state import EmptyState
from desktop.engine_client import EngineClient
from engine.chat.store import ChatRecord, SearchHit

SEARCH_DELAY_MS = 200


class Sidebar(QWidget):
    exportRequested = Signal(int, str)  # chat_id, "markdown" | "json"

    def __init__(self, client: EngineClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self.chats = ChatListModel(self)
        self.chats.renameRequested.connect(client.rename_chat)
        self._current_id: int | None = None
        self._waiting_for_open = False

        self.new_button = QPushButton(self.tr("New chat"), self)
        self.new_button.setAccessibleName(self.tr("New chat"))
        self.new_button.setToolTip(self.tr("New chat (Ctrl+N)"))
        self.new_button.clicked.connect(client.new_chat)

        self.search_box = QLineEdit(self)
        self.search_box.setPlaceholderText(self.tr("Search all chats (Ctrl+F)"))
        self.search_box.setAccessibleName(self.tr("Search chats"))
        self.search_box.setClearButtonEnabled(True)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._search)
        self.search_box.textChanged.connect(self._search_timer.start)

        self.list = QListView(self)
        self.list.setModel(self.chats)
        self.list.setAccessibleName(self.tr("Chats"))
        self.list.setEditTriggers(
            QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._show_menu)
        self.list.selectionModel().currentChanged.connect(self._open_current)
        self.list.setWordWrap(True)
        EmptyState(self.list, self._empty_text)

        self.rename_action = self._action(
            self.tr("Rename…"), QKeySequence(Qt.Key.Key_F2), self.rename)
        self.delete_action = self._action(self.tr("Delete…"), QKeySequence.StandardKey.Delete,
                                          self.delete)
        self.export_md_action = self._action(self.tr("Export as Markdown…"), None,
                                             lambda: self._export("markdown"))
        self.export_json_action = self._action(self.tr("Export as JSON…"), None,
                                               lambda: self._export("json"))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.new_button)
        layout.addWidget(self.search_box)
        layout.addWidget(self.list, 1)

        client.chatsListed.connect(self._on_chats)
        client.chatOpened.connect(self._on_chat_opened)
        client.searchResults.connect(self._on_search_results)

    def _action(self, text: str, shortcut: QKeySequence | QKeySequence.StandardKey | None,
                slot: object) -> QAction:
        action = QAction(text, self.list)
        if shortcut is not None:
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(slot)
        self.list.addAction(action)
        return action

    def _empty_text(self) -> str:
        query = self.search_box.text().strip()
        if query:
            return (self.tr("No chat mentions “{query}”. Clear the search to see every chat.")
                    .format(query=query))
        return self.tr("No chats yet. New chat starts one.")

    def focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    def _search(self) -> None:
        query = self.search_box.text().strip()
        if query:
            self._client.search(query)
        else:
            self.chats.show_search("", [])
            self._select(self._current_id)

    def _on_search_results(self, query: str, hits: list[SearchHit]) -> None:
        if query == self.search_box.text().strip():
            self.chats.show_search(query, hits)
            self._select(self._current_id)

    def _on_chats(self, chats: list[ChatRecord]) -> None:
        self.chats.set_chats(chats)
        if not chats:
            self._client.new_chat()
        elif self._waiting_for_open and not self.chats.searching:
            # The open chat was deleted: show the newest one instead.
            self._waiting_for_open = False
            self._client.open_chat(chats[0].id)
        self._select(self._current_id)

    def _on_chat_opened(self, chat: ChatRecord, *_rest: object) -> None:
        self._current_id = chat.id
        self._select(chat.id)

    def _select(self, chat_id: int | None) -> None:
        row = self.chats.row_of(chat_id) if chat_id is not None else -1
        selection = self.list.selectionModel()
        if row >= 0 and self.list.currentIndex().row() != row:
            selection.blockSignals(True)
            self.list.setCurrentIndex(self.chats.index(row))
            selection.blockSignals(False)
            self.list.viewport().update()

    def _open_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            chat_id = int(current.data(ChatRole.ChatId))
            if chat_id != self._current_id:
                self._client.open_chat(chat_id)

    def _selected_chat(self) -> ChatRecord | None:
        index = self.list.currentIndex()
        return self.chats.chat_at(index.row()) if index.isValid() else None

    def rename(self) -> None:
        index = self.list.currentIndex()
        if index.isValid():
            self.list.edit(index)

    def delete(self) -> None:
        chat = self._selected_chat()
        if chat is None:
            return
        answer = QMessageBox.question(
            self, self.tr("Delete chat"),
            self.tr("Delete “{title}”? You can undo this from the status bar.")
            .format(title=chat.title),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            if chat.id == self._current_id:
                self._current_id = None
                self._waiting_for_open = True
            self._client.delete_chat(chat.id)

    def _export(self, fmt: str) -> None:
        chat = self._selected_chat()
        if chat is not None:
            self.exportRequested.emit(chat.id, fmt)

    def _show_menu(self, position: QPoint) -> None:
        if not self.list.indexAt(position).isValid():
            return
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for action in (self.rename_action, self.delete_action, self.export_md_action,
                       self.export_json_action):
            menu.addAction(action)
        menu.popup(self.list.viewport().mapToGlobal(position))
