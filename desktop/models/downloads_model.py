"""Downloads as a list model (one row per download, updated in place) and its delegate."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
)

from desktop.engine_texts import say
from engine.models.downloads import DownloadEvent, DownloadState, PartialDownload
from engine.models.memory import format_bytes

_Index = QModelIndex | QPersistentModelIndex
EVENT_ROLE = Qt.ItemDataRole.UserRole + 1
ACTIVE = (DownloadState.QUEUED, DownloadState.RUNNING, DownloadState.VERIFYING)


def describe(event: DownloadEvent) -> str:
    """The line under the bar: bytes, speed and time left, or what happened."""
    done, total = format_bytes(event.bytes_done), format_bytes(event.bytes_total)
    if event.state == DownloadState.RUNNING:
        parts = [QCoreApplication.translate("models.downloads_model", "{done} of {total}")
                 .format(done=done, total=total)]
        if event.speed_bps > 0:
            parts.append(f"{format_bytes(int(event.speed_bps))}/s")
        if event.eta_s is not None:
            parts.append(QCoreApplication.translate("models.downloads_model", "{duration} left")
                         .format(duration=_duration(event.eta_s)))
        if event.file_count > 1:
            parts.append(QCoreApplication.translate("models.downloads_model", "file {file_index} "
                                                                              "of {file_count}")
                         .format(
   file_index=event.file_index,
   file_count=event.file_count))
        if event.resumed_from:
            parts.append(QCoreApplication.translate("models.downloads_model", "resumed at "
                                                                              "{format_bytes}")
                         .format(
   format_bytes=format_bytes(event
   .resumed_from)))
        return " · ".join(parts)
    if event.state == DownloadState.QUEUED:
        return QCoreApplication.translate("models.downloads_model", "Starting…")
    if event.state == DownloadState.VERIFYING:
        return QCoreApplication.translate("models.downloads_model", "Checking the file against the "
                                                                    "Hub's checksum…")
    if event.state == DownloadState.PAUSED:
        return QCoreApplication.translate("models.downloads_model", "Paused at {done} of {total}; "
                                                                    "resume continues from "
                                                                    "there").format(done=done,
                                                                            total=total)
    if event.state == DownloadState.DONE:
        return QCoreApplication.translate(
            "models.downloads_model", "Done: {total}, checksum verified").format(total=total)
    if event.state == DownloadState.CANCELLED:
        return QCoreApplication.translate("models.downloads_model", "Cancelled; the partial file "
                                                                    "was deleted")
    said = event.message or event.error
    return say(said) if said else QCoreApplication.translate("models.downloads_model", "Failed")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 5400:
        return (QCoreApplication.translate("models.downloads_model", "{value} min")
                .format(value=round(seconds / 60)))
    return f"{seconds / 3600:.1f} h"


def paused_event(partial: PartialDownload) -> DownloadEvent:
    """A row for a download an earlier session left unfinished."""
    option = partial.option
    return DownloadEvent(
        partial.download_id, option.repo_id, option.name, DownloadState.PAUSED,
        bytes_done=partial.bytes_on_disk, bytes_total=partial.bytes_total,
        file_count=len(option.files),
    )


class DownloadsModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self._events: list[DownloadEvent] = []

    def update(self, event: DownloadEvent) -> None:
        for row, known in enumerate(self._events):
            if known.download_id == event.download_id:
                self._events[row] = event
                index = self.index(row)
                self.dataChanged.emit(index, index)
                return
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._events.insert(0, event)
        self.endInsertRows()

    def event_at(self, row: int) -> DownloadEvent | None:
        return self._events[row] if 0 <= row < len(self._events) else None

    def active_count(self) -> int:
        return sum(event.state in ACTIVE for event in self._events)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._events)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._events):
            return None
        event = self._events[index.row()]
        if role == EVENT_ROLE:
            return event
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{event.repo_id} · {event.name}\n{describe(event)}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return describe(event)
        return None


class DownloadDelegate(QStyledItemDelegate):
    """Name, a progress bar and the status line, painted with the platform's own bar."""

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        return QSize(option.rect.width(), option.fontMetrics.height() * 4 + 16)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        event: DownloadEvent | None = index.data(EVENT_ROLE)
        if event is None:
            return
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter,
                            option.widget)
        line = option.fontMetrics.height()
        rect = option.rect.adjusted(8, 4, -8, -4)
        painter.save()
        bold = option.font
        bold.setBold(True)
        painter.setFont(bold)
        painter.drawText(QRect(rect.x(), rect.y(), rect.width(), line),
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         f"{event.name}  —  {event.repo_id}")
        painter.restore()
        bar = QStyleOptionProgressBar()
        bar.rect = QRect(rect.x(), rect.y() + line + 4, rect.width(), line + 6)
        bar.minimum, bar.maximum = 0, 1000
        bar.progress = int(1000 * event.bytes_done / event.bytes_total) if event.bytes_total else 0
        bar.textVisible = True
        bar.text = f"{bar.progress / 10:.0f}%"
        # Qt 6 draws a bar vertically unless told otherwise.
        bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
        bar.palette = option.palette
        bar.fontMetrics = option.fontMetrics
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)
        painter.drawText(QRect(rect.x(), rect.y() + 2 * line + 14, rect.width(), line),
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         describe(event))
