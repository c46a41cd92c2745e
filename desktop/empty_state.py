"""A line over an empty list or table that says what to do next.

Installed on the view's viewport as an event filter: it paints the line, in the placeholder
colour, before the view paints its (no) rows, so any item view gets one without a subclass.
Painted text is silent to a screen reader, so the line is also the view's accessible
description while the view is empty.
"""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QPainter, QPalette, QTextOption
from PySide6.QtWidgets import QAbstractItemView

MARGIN = 16


class EmptyState(QObject):
    def __init__(self, view: QAbstractItemView, text: str | Callable[[], str]) -> None:
        super().__init__(view)
        self._view = view
        self._text = text
        view.viewport().installEventFilter(self)
        model = view.model()
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved):
            signal.connect(self._changed)
        self._describe()

    def text(self) -> str:
        """What the empty view says now ("" while it has rows)."""
        if self._view.model().rowCount() > 0:
            return ""
        return self._text() if callable(self._text) else self._text

    def _changed(self) -> None:
        # A QListWidget empties its own model as it is destroyed: the view is half gone then.
        if not shiboken6.isValid(self._view):
            return
        self._describe()
        self._view.viewport().update()

    def _describe(self) -> None:
        # Only on a change: Qt tells assistive technology each time the description is set.
        text = self.text()
        if self._view.accessibleDescription() != text:
            self._view.setAccessibleDescription(text)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and watched is self._view.viewport():
            text = self.text()
            if text:
                viewport = self._view.viewport()
                painter = QPainter(viewport)
                painter.setPen(viewport.palette().color(QPalette.ColorRole.PlaceholderText))
                # Wraps at spaces, and anywhere in a line with none (Chinese has none).
                option = QTextOption(Qt.AlignmentFlag.AlignCenter)
                option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
                painter.drawText(
                    QRectF(viewport.rect().adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)), text,
                    option)
                painter.end()
        return False
