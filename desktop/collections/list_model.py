"""The named collections as a list model, with the delegate that shows each as two lines:
its name, and "N files, M passages, K unreadable" under it in the palette's quieter colour."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
)
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from desktop.i18n import QT_TRANSLATE_NOOP
from engine.documents.collections import CollectionRecord

_Index = QModelIndex | QPersistentModelIndex
RECORD_ROLE = Qt.ItemDataRole.UserRole + 1
SUMMARY_ROLE = Qt.ItemDataRole.UserRole + 2


# The singular is a text of its own, so English needs no catalog; the plural is a %n form.
_COUNTED = {
    "file": (QT_TRANSLATE_NOOP("collections.list_model", "1 file"),
             QT_TRANSLATE_NOOP("collections.list_model", "%n files")),
    "passage": (QT_TRANSLATE_NOOP("collections.list_model", "1 passage"),
                QT_TRANSLATE_NOOP("collections.list_model", "%n passages")),
}


def counted(number: int, noun: str) -> str:
    """"1 file", "3 passages": `noun` is "file" or "passage"."""
    one, many = _COUNTED[noun]
    if number == 1:
        return QCoreApplication.translate("collections.list_model", one)
    return QCoreApplication.translate("collections.list_model", many, "", number)


def collection_summary(record: CollectionRecord) -> str:
    """"2 files, 14 passages", with ", 1 unreadable" when a file could not be read."""
    text = f"{counted(record.files, 'file')}, {counted(record.passages, 'passage')}"
    return text + (QCoreApplication.translate("collections.list_model", ", {failed} unreadable")
                   .format(failed=record.failed) if record.failed else "")


class CollectionListModel(QAbstractListModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._records: list[CollectionRecord] = []

    def set_records(self, records: Sequence[CollectionRecord]) -> None:
        """Replaces the list: rows whose collection stays are updated in place (a view keeps
        its selection on them), the others removed or inserted."""
        new = list(records)
        if [r.id for r in new] != [r.id for r in self._records]:
            self.beginResetModel()
            self._records = new
            self.endResetModel()
            return
        for row, record in enumerate(new):
            if record != self._records[row]:
                self._records[row] = record
                self.dataChanged.emit(self.index(row), self.index(row))

    def record(self, row: int) -> CollectionRecord | None:
        return self._records[row] if 0 <= row < len(self._records) else None

    def row_of(self, collection_id: int | None = None, name: str | None = None) -> int:
        return next((row for row, record in enumerate(self._records)
                     if record.id == collection_id or (name is not None and record.name == name)),
                    -1)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._records)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._records):
            return None
        record = self._records[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return record.name
        if role == SUMMARY_ROLE:
            return collection_summary(record)
        if role == RECORD_ROLE:
            return record
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            sources = "\n".join(record.sources) or self.tr("nothing added yet")
            separator = "\n" if role == Qt.ItemDataRole.ToolTipRole else ". "
            return f"{record.name}: {collection_summary(record)}{separator}{sources}"
        return None


class CollectionDelegate(QStyledItemDelegate):
    """The name on the first line, the counts on the second, in the palette's own colours."""

    MARGIN = 6

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""  # the style draws the background and focus; the text is drawn below
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        palette: QPalette = opt.palette
        rect = opt.rect.adjusted(self.MARGIN, 3, -self.MARGIN, -3)
        name_font = QFont(opt.font)
        name_font.setBold(True)
        name_height = QFontMetrics(name_font).height()
        painter.save()
        painter.setFont(name_font)
        painter.setPen(palette.color(QPalette.ColorRole.HighlightedText if selected
                                     else QPalette.ColorRole.Text))
        name = QFontMetrics(name_font).elidedText(str(index.data() or ""),
                                                  Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(rect.adjusted(0, 0, 0, -(rect.height() - name_height)),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        painter.setFont(opt.font)
        painter.setPen(palette.color(QPalette.ColorRole.HighlightedText if selected
                                     else QPalette.ColorRole.PlaceholderText))
        summary = QFontMetrics(opt.font).elidedText(
            str(index.data(SUMMARY_ROLE) or ""), Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(rect.adjusted(0, name_height, 0, 0),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, summary)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        metrics = QFontMetrics(option.font)
        return QSize(160, 2 * metrics.height() + 8)
