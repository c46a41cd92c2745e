"""The side list of chats: a Qt list model over the store's chat records."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from desktop.i18n import QT_TRANSLATE_NOOP, translated
from engine.chat.store import ChatRecord, SearchHit

_Index = QModelIndex | QPersistentModelIndex

UNTITLED = QT_TRANSLATE_NOOP("chat.list_model", "New chat")  # until the first message names it


class ChatRole(IntEnum):
    ChatId = Qt.ItemDataRole.UserRole + 1
    Snippet = Qt.ItemDataRole.UserRole + 2


class ChatListModel(QAbstractListModel):
    """All chats, newest first, or the chats matching a search with a snippet each."""

    renameRequested = Signal(int, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._all: list[ChatRecord] = []
        self._rows: list[ChatRecord] = []
        self._snippets: dict[int, str] = {}
        self._query = ""

    @property
    def searching(self) -> bool:
        return bool(self._query)

    def set_chats(self, chats: list[ChatRecord]) -> None:
        self._all = list(chats)
        if not self._query:
            self._reset(self._all, {})
        else:
            live = {chat.id for chat in self._all}
            self._reset([c for c in self._rows if c.id in live], self._snippets)

    def show_search(self, query: str, hits: list[SearchHit]) -> None:
        self._query = query
        if not query:
            self._reset(self._all, {})
            return
        by_id = {chat.id: chat for chat in self._all}
        rows: list[ChatRecord] = []
        snippets: dict[int, str] = {}
        for hit in hits:
            if hit.chat_id in by_id and hit.chat_id not in snippets:
                rows.append(by_id[hit.chat_id])
                snippets[hit.chat_id] = hit.snippet
        self._reset(rows, snippets)

    def _reset(self, rows: list[ChatRecord], snippets: dict[int, str]) -> None:
        if [chat.id for chat in rows] == [chat.id for chat in self._rows] and rows:
            # Same chats in the same order: update in place, so an open rename editor and the
            # selection survive the list refresh that follows every reply.
            self._rows, self._snippets = rows, snippets
            self.dataChanged.emit(self.index(0), self.index(len(rows) - 1))
            return
        self.beginResetModel()
        self._rows, self._snippets = rows, snippets
        self.endResetModel()

    def row_of(self, chat_id: int) -> int:
        return next((row for row, chat in enumerate(self._rows) if chat.id == chat_id), -1)

    def chat_at(self, row: int) -> ChatRecord | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        chat = self._rows[index.row()]
        snippet = self._snippets.get(chat.id)
        title = chat.title or translated("chat.list_model", UNTITLED)
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{title}\n{snippet}" if snippet else title
        if role == Qt.ItemDataRole.EditRole:
            return chat.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return snippet or title
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self.tr("{title}, match: {snippet}").format(title=title,
                    snippet=snippet) if snippet else title
        if role == ChatRole.ChatId:
            return chat.id
        if role == ChatRole.Snippet:
            return snippet
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsEditable if index.isValid() else base

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        title = str(value).strip()
        chat = self._rows[index.row()]
        if not title or title == chat.title:
            return False
        # Shown at once; the engine saves it and sends the list back.
        self._rows[index.row()] = ChatRecord(**{**chat.__dict__, "title": title})
        self.dataChanged.emit(index, index)
        self.renameRequested.emit(chat.id, title)
        return True

    def roleNames(self) -> dict[int, QByteArray]:
        return {
            **super().roleNames(),
            ChatRole.ChatId: QByteArray(b"chatId"),
            ChatRole.Snippet: QByteArray(b"snippet"),
        }
