"""A collection's files as a table: name, passages, pages, and why a file could not be read.

An unreadable file carries the style's warning icon and its reason (in its own column and in
the tooltip), so the warning reads in any palette and to a screen reader alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QApplication, QStyle

from desktop.i18n import QT_TRANSLATE_NOOP
from desktop.row_table import RowTableModel
from engine.documents.collections import FileRecord

_Index = QModelIndex | QPersistentModelIndex
RECORD_ROLE = Qt.ItemDataRole.UserRole + 1
UNREADABLE = QT_TRANSLATE_NOOP("collections.files_model", "Unreadable")


class FilesModel(RowTableModel):
    HEADERS = (QT_TRANSLATE_NOOP("headers", "File"), QT_TRANSLATE_NOOP("headers", "Passages"),
               QT_TRANSLATE_NOOP("headers", "Pages"), QT_TRANSLATE_NOOP("headers", "Problem"))
    NAME, PASSAGES, PAGES, PROBLEM = range(4)

    def set_files(self, files: Sequence[FileRecord]) -> None:
        self.set_rows(files)

    def file(self, row: int) -> FileRecord | None:
        record: FileRecord | None = self.row_object(row)
        return record

    def row_of(self, name: str) -> int:
        return next((row for row, f in enumerate(self._rows) if f.name == name), -1)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        record = self._rows[index.row()]
        column = index.column()
        if role == RECORD_ROLE:
            return record
        if role == Qt.ItemDataRole.ToolTipRole:
            return record.path if record.error is None else f"{record.path}\n{record.error}"
        if role == Qt.ItemDataRole.DecorationRole and column == self.NAME and record.error:
            return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        if role == Qt.ItemDataRole.AccessibleTextRole and column == self.NAME:
            return (record.name if record.error is None
                    else
                    QCoreApplication.translate("collections.files_model",
                                               "{name}, unreadable: {error}")
                    .format(name=record.name, error=record.error))
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
