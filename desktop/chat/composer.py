"""The message box: Enter sends, Shift+Enter starts a new line.

A long paste or a dropped file becomes a document attached to the message instead of a wall of
text in the box (laying out megabytes of text in an editor would also freeze the window).
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QPlainTextEdit, QWidget

MAX_LINES_SHOWN = 8
LONG_PASTE_CHARS = 4000  # about a page and a half: more than this is a document


class Composer(QPlainTextEdit):
    submitted = Signal()
    documentPasted = Signal(str)  # the text of a long paste
    filesDropped = Signal(list)  # local paths

    def insertFromMimeData(self, source: QMimeData) -> None:
        paths = [url.toLocalFile() for url in source.urls() if url.isLocalFile()]
        if paths:
            self.filesDropped.emit(paths)
            return
        if source.hasText() and len(source.text()) > LONG_PASTE_CHARS:
            self.documentPasted.emit(source.text())
            return
        super().insertFromMimeData(source)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return source.hasUrls() or super().canInsertFromMimeData(source)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(self.tr("Message the model — Enter to send, Shift+Enter for a new "
                                        "line"))
        self.setAccessibleName(self.tr("Message"))
        self.setTabChangesFocus(True)
        self.document().contentsChanged.connect(self._fit_height)
        self._fit_height()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.submitted.emit()
            return
        super().keyPressEvent(event)

    def _fit_height(self) -> None:
        lines = min(max(self.document().lineCount(), 2), MAX_LINES_SHOWN)
        margins = self.contentsMargins()
        height = lines * self.fontMetrics().lineSpacing() + margins.top() + margins.bottom() + 12
        self.setFixedHeight(height)
