"""A small chart of the best validation score over a search, painted with QPainter."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 40, 12, 22, 30


class ScoreChart(QWidget):
    """Best score so far (0..1, y) against seconds into the search (x), as steps up to `end`,
    with the baseline's score as a dashed line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.points: list[tuple[float, float]] = []
        self.end = 0.0  # seconds the search has run
        self.baseline: float | None = None
        self.percent = True  # scores read as shares; else as graded scores (0.00 to 1.00)
        self.title = self.tr("Best validation score")
        self.setAccessibleName(self.tr("Best validation score over the search"))
        self.setMinimumSize(220, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(300, 200)

    def set_points(self, points: list[tuple[float, float]], baseline: float | None,
                   percent: bool = True, end: float = 0.0,
                   title: str = "Best validation score") -> None:
        self.points, self.baseline, self.percent = list(points), baseline, percent
        self.end = max([end, *(seconds for seconds, _ in points)])
        self.title = title
        self._describe()
        self.update()

    def _describe(self) -> None:
        if self.points:
            self.setAccessibleDescription(
                self.tr("{count} improvements; best {label} after {points:.0f} s")
                .format(count=len(self.points), label=self._label(self.points[-1][1]),
                        points=self.points[-1][0]))

    def _label(self, value: float) -> str:
        return f"{value:.0%}" if self.percent else f"{value:.2f}"

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        faint = palette.color(QPalette.ColorRole.Mid)
        accent = palette.color(QPalette.ColorRole.Highlight)
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        plot = QRectF(MARGIN_LEFT, MARGIN_TOP, self.width() - MARGIN_LEFT - MARGIN_RIGHT,
                      self.height() - MARGIN_TOP - MARGIN_BOTTOM)
        painter.setPen(text)
        painter.drawText(QRectF(0, 2, self.width(), MARGIN_TOP - 4),
                         Qt.AlignmentFlag.AlignCenter, self.title)
        low, high = 0.0, 1.0
        last = self.end or 1.0

        def at(seconds: float, score: float) -> QPointF:
            x = plot.left() + plot.width() * seconds / last
            y = plot.bottom() - plot.height() * (score - low) / (high - low)
            return QPointF(x, y)

        for step in range(5):
            value = low + (high - low) * step / 4
            y = at(0, value).y()
            painter.setPen(QPen(faint, 1, Qt.PenStyle.DotLine))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text)
            painter.drawText(QRectF(0, y - 8, MARGIN_LEFT - 4, 16),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             self._label(value))
        painter.drawText(QRectF(plot.left(), plot.bottom() + 4, plot.width(), 16),
                         Qt.AlignmentFlag.AlignLeft, "0 s")
        painter.drawText(QRectF(plot.left(), plot.bottom() + 4, plot.width(), 16),
                         Qt.AlignmentFlag.AlignRight, f"{last:.0f} s")
        if self.baseline is not None:
            y = at(0, self.baseline).y()
            painter.setPen(QPen(faint.darker(150), 1.5, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.drawText(QRectF(plot.left() + 4, y + 2, plot.width() - 8, 14),
                             Qt.AlignmentFlag.AlignRight,
                             self.tr("baseline {label}").format(label=self._label(self.baseline)))
        if not self.points:
            painter.setPen(faint.darker(150))
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, self.tr("No search yet"))
            return
        steps = QPolygonF()
        for index, (seconds, score) in enumerate(self.points):
            if index:
                steps.append(at(seconds, self.points[index - 1][1]))
            steps.append(at(seconds, score))
        steps.append(at(last, self.points[-1][1]))
        painter.setPen(QPen(accent, 2))
        painter.drawPolyline(steps)
        painter.setBrush(accent)
        for seconds, score in self.points:
            painter.drawEllipse(at(seconds, score), 3, 3)
