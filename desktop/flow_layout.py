"""A row of widgets that wraps onto more lines when it is too narrow for them all, as words do:
no button is squeezed below its size, the row only grows taller."""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QSizePolicy, QStyle, QWidget


class FlowLayout(QLayout):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._right: list[QLayoutItem] = []  # kept at the right end of their line

        self.setContentsMargins(QMargins(0, 0, 0, 0))

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def add_right(self, widget: QWidget) -> None:
        """Adds `widget` at the right end of its line (where a stretch would put it in a row)."""
        self.addWidget(widget)
        self._right.append(self._items[-1])

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        if not 0 <= index < len(self._items):
            return None
        item = self._items.pop(index)
        self._right = [kept for kept in self._right if kept is not item]
        return item

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        """All on one line."""
        shown = [item.sizeHint() for item in self._items if not item.isEmpty()]
        spacing = self._spacing(Qt.Orientation.Horizontal)
        width = sum(size.width() for size in shown) + spacing * max(len(shown) - 1, 0)
        height = max((size.height() for size in shown), default=0)
        margins = self.contentsMargins()
        return QSize(width + margins.left() + margins.right(),
                     height + margins.top() + margins.bottom())

    def minimumSize(self) -> QSize:
        """One item a line: as wide as the widest."""
        size = QSize()
        for item in self._items:
            if not item.isEmpty():
                size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size.grownBy(margins)

    def _spacing(self, orientation: Qt.Orientation) -> int:
        if self.spacing() >= 0:
            return self.spacing()
        parent = self.parentWidget()
        if parent is None:
            return 6
        metric = (QStyle.PixelMetric.PM_LayoutHorizontalSpacing
                  if orientation == Qt.Orientation.Horizontal
                  else QStyle.PixelMetric.PM_LayoutVerticalSpacing)
        spacing = parent.style().pixelMetric(metric, None, parent)
        if spacing < 0:
            spacing = parent.style().layoutSpacing(
                QSizePolicy.ControlType.PushButton, QSizePolicy.ControlType.PushButton,
                orientation, None, parent)
        return max(spacing, 0)

    def _arrange(self, rect: QRect, move: bool) -> int:
        """Places the items line by line in `rect` (when `move`); returns the height it takes."""
        margins = self.contentsMargins()
        area = rect.marginsRemoved(margins)
        across = self._spacing(Qt.Orientation.Horizontal)
        down = self._spacing(Qt.Orientation.Vertical)
        lines: list[list[QLayoutItem]] = [[]]
        x = area.x()
        for item in self._items:
            if item.isEmpty():
                continue
            width = item.sizeHint().width()
            if lines[-1] and x + width > area.right() + 1:
                lines.append([])
                x = area.x()
            lines[-1].append(item)
            x += width + across
        y = area.y()
        for line in lines:
            height = max((item.sizeHint().height() for item in line), default=0)
            if move:
                self._place(line, area, y, height, across)
            y += height + down
        return y - down - rect.y() + margins.bottom() if lines[0] else 0

    def _place(self, line: list[QLayoutItem], area: QRect, y: int, height: int,
               across: int) -> None:
        """One line: from the left, but its right-hand items pushed to the right edge."""
        right = [item for item in line if any(item is kept for kept in self._right)]
        used = sum(item.sizeHint().width() for item in line) + across * (len(line) - 1)
        x, gap = area.x(), max(area.width() - used, 0)
        for item in line:
            if right and item is right[0]:
                x += gap
                right = []
            size = item.sizeHint()
            item.setGeometry(QRect(QPoint(x, y + (height - size.height()) // 2), size))
            x += size.width() + across
