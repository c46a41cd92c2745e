"""A collection's files as a table: name, passages, pages, and why a file could not be read.

An unreadable file carries the style's warning icon and its reason (in its own column and in
the tooltip), so the warning reads in any palette and to a screen reader alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QApplication, QStyle, QWidget

from engine.documents.collections import FileRecord

_Index = QModelIndex | QPersistentModelIndex
RECORD_ROLE = Qt.ItemDataRole.UserRole + 1
UNREADABLE = "Unreadable"


class FilesModel(QAbstractTableModel):
    HEADERS = ("File", "Passages", "Pages", "Problem")
    NAME, PASSAGES, PAGES, PROBLEM = range(4)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._files: list[FileRecord] = []

    def set_files(self, files: Sequence[FileRecord]) -> None:
        self.beginResetModel()
        self._files = list(files)
        self.endResetModel()

    def file(self, row: int) -> FileRecord | None:
        return self._files[row] if 0 <= row < len(self._files) else None

    def row_of(self, name: str) -> int:
        return next((row for row, f in enumerate(self._files) if f.name == name), -1)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._files)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._files):
            return None
        record = self._files[index.row()]
        column = index.column()
        if role == RECORD_ROLE:
            return record
        if role == Qt.ItemDataRole.ToolTipRole:
            return record.path if record.error is None else f"{record.path}\n{record.error}"
        if role == Qt.ItemDataRole.DecorationRole and column == self.NAME and record.error:
            return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        if role == Qt.ItemDataRole.AccessibleTextRole and column == self.NAME:
            return (record.name if record.error is None
                    else f"{record.name}, {UNREADABLE.lower()}: {record.error}")
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (self.PASSAGES, self.PAGES):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column == self.NAME:
            return record.name
        if column == self.PASSAGES:
            return "" if record.error else str(record.passages)
        if column == self.PAGES:
            return "" if record.pages is None else str(record.pages)
        return record.error or ""
