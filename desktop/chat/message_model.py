"""The messages of the open chat: a Qt list model the chat view draws and streams into."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from engine.chat.service import ContextView
from engine.chat.store import MessageRecord

_Index = QModelIndex | QPersistentModelIndex

SPEAKERS = {"user": "You", "assistant": "Assistant", "system": "System"}


class MessageRole(IntEnum):
    Id = Qt.ItemDataRole.UserRole + 1
    Speaker = Qt.ItemDataRole.UserRole + 2  # "user" | "assistant" | "system"
    Status = Qt.ItemDataRole.UserRole + 3
    InView = Qt.ItemDataRole.UserRole + 4  # the model still sees this message
    ViewStartsHere = Qt.ItemDataRole.UserRole + 5  # first seen message after dropped ones
    Revision = Qt.ItemDataRole.UserRole + 6  # bumps when the text changes, for render caches


@dataclass
class _Row:
    record: MessageRecord
    content: str
    status: str
    revision: int = 0
    in_view: bool = True
    view_starts_here: bool = False


class MessageListModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[_Row] = []
        self.chat_id: int | None = None

    def set_messages(
        self, chat_id: int, messages: list[MessageRecord], first_id: int | None = None
    ) -> None:
        """Shows a chat. The same chat again is updated in place, so rows that did not change
        keep their rendering (a long chat is not laid out anew on every turn)."""
        old_ids = [row.record.id for row in self._rows]
        new_ids = [m.id for m in messages]
        if chat_id != self.chat_id or new_ids[: len(old_ids)] != old_ids:
            self.beginResetModel()
            self.chat_id = chat_id
            self._rows = [_Row(m, m.content, m.status) for m in messages]
            self._mark_view(first_id, ())
            self.endResetModel()
            return
        for row, record in zip(self._rows, messages, strict=False):
            if (row.content, row.status) != (record.content, record.status):
                row.record, row.content, row.status = record, record.content, record.status
                row.revision += 1
            row.record = record
        if len(messages) > len(self._rows):
            self.beginInsertRows(QModelIndex(), len(self._rows), len(messages) - 1)
            self._rows += [_Row(m, m.content, m.status) for m in messages[len(self._rows):]]
            self.endInsertRows()
        self._mark_view(first_id, ())
        if self._rows:
            self.dataChanged.emit(self.index(0), self.index(len(self._rows) - 1))

    def set_context(self, view: ContextView) -> None:
        if view.chat_id != self.chat_id:
            return
        self._mark_view(view.first_id, view.head_ids)
        if self._rows:
            self.dataChanged.emit(self.index(0), self.index(len(self._rows) - 1))

    def _mark_view(self, first_id: int | None, head_ids: tuple[int, ...]) -> None:
        seen_first = first_id is None
        for row in self._rows:
            starts = not seen_first and row.record.id == first_id
            seen_first = seen_first or starts
            in_view = seen_first or row.record.id in head_ids
            row.in_view, row.view_starts_here = in_view, starts

    def append_delta(self, chat_id: int, message_id: int, text: str) -> None:
        if chat_id != self.chat_id:
            return
        row = self.row_of(message_id)
        if row < 0:
            return
        self._rows[row].content += text
        self._rows[row].revision += 1
        index = self.index(row)
        self.dataChanged.emit(index, index)

    def finish(self, chat_id: int, record: MessageRecord) -> None:
        if chat_id != self.chat_id:
            return
        row = self.row_of(record.id)
        if row < 0:
            return
        item = self._rows[row]
        item.record, item.content, item.status = record, record.content, record.status
        item.revision += 1
        index = self.index(row)
        self.dataChanged.emit(index, index)

    def row_of(self, message_id: int) -> int:
        return next((i for i, row in enumerate(self._rows) if row.record.id == message_id), -1)

    def message_at(self, row: int) -> tuple[MessageRecord, str] | None:
        """The record and its current text (which runs ahead of the record while streaming)."""
        if 0 <= row < len(self._rows):
            return self._rows[row].record, self._rows[row].content
        return None

    def last_row_of(self, speaker: str) -> int:
        return next(
            (i for i in range(len(self._rows) - 1, -1, -1)
             if self._rows[i].record.role == speaker),
            -1,
        )

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.content
        if role == Qt.ItemDataRole.AccessibleTextRole:
            stopped = " (stopped)" if row.status == "stopped" else ""
            return f"{SPEAKERS[row.record.role]}{stopped}: {row.content}"
        if role == MessageRole.Id:
            return row.record.id
        if role == MessageRole.Speaker:
            return row.record.role
        if role == MessageRole.Status:
            return row.status
        if role == MessageRole.InView:
            return row.in_view
        if role == MessageRole.ViewStartsHere:
            return row.view_starts_here
        if role == MessageRole.Revision:
            return row.revision
        return None

    def roleNames(self) -> dict[int, QByteArray]:
        return {
            **super().roleNames(),
            MessageRole.Id: QByteArray(b"messageId"),
            MessageRole.Speaker: QByteArray(b"speaker"),
            MessageRole.Status: QByteArray(b"status"),
            MessageRole.InView: QByteArray(b"inView"),
            MessageRole.ViewStartsHere: QByteArray(b"viewStartsHere"),
            MessageRole.Revision: QByteArray(b"revision"),
        }
