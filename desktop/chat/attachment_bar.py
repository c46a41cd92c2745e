"""The document waiting to be sent, as a chip above the message box, and a summary's progress.

The chip shows the document's name, size and length in tokens (counted by the model on the
engine thread); the Summarize button offers the summary forms. While a summary runs, the same
bar shows which part is being read, how far it is and the time left; Stop is the Send button.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.documents.reading import Document
from engine.documents.summarize import SummaryForm, SummaryOptions
from engine.models.memory import format_bytes

SUMMARY_CHOICES: tuple[tuple[str, SummaryOptions], ...] = (
    ("Key points", SummaryOptions(form=SummaryForm.BULLETS)),
    ("A short paragraph", SummaryOptions(form=SummaryForm.PARAGRAPH)),
    ("About 100 words", SummaryOptions(words=100)),
    ("About 300 words", SummaryOptions(words=300)),
)


def describe_document(document: Document, tokens: int) -> str:
    counted = (QCoreApplication.translate("chat.attachment_bar", "{tokens:,} tokens")
               .format(tokens=tokens) if tokens else
            QCoreApplication.translate("chat.attachment_bar", "not counted yet (no model loaded)"))
    return f"📄 {document.name} · {format_bytes(document.size_bytes)} · {counted}"


def _duration(seconds: float) -> str:
    return (f"{max(1, round(seconds))} s" if seconds < 90 else
        QCoreApplication.translate("chat.attachment_bar", "{value} min")
        .format(value=round(seconds / 60)))


class AttachmentBar(QWidget):
    summarizeRequested = Signal(object)  # SummaryOptions
    removed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chip = QLabel()
        self.chip.setAccessibleName(self.tr("Attached document"))
        self.chip.setStyleSheet(
            "QLabel { border: 1px solid palette(mid); border-radius: 10px; padding: 2px 8px; }")
        self.remove_button = QToolButton()
        self.remove_button.setText("✕")
        self.remove_button.setToolTip(self.tr("Remove the document from the message"))
        self.remove_button.setAccessibleName(self.tr("Remove document"))
        self.remove_button.clicked.connect(self.removed)
        self.summarize_button = QToolButton()
        self.summarize_button.setText(self.tr("Summarize"))
        self.summarize_button.setToolTip(self.tr("Summarise the whole document, however long"))
        self.summarize_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.summarize_button)
        for label, options in SUMMARY_CHOICES:
            action = menu.addAction(label)
            action.triggered.connect(lambda _=False, o=options: self.summarizeRequested.emit(o))
        self.summarize_button.setMenu(menu)
        chip_row = QHBoxLayout()
        chip_row.setContentsMargins(0, 0, 0, 0)
        chip_row.addWidget(self.chip)
        chip_row.addWidget(self.remove_button)
        chip_row.addWidget(self.summarize_button)
        chip_row.addStretch(1)
        self.chip_row = QWidget()
        self.chip_row.setLayout(chip_row)

        self.progress_label = QLabel()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setAccessibleName(self.tr("Summary progress"))
        progress_row = QHBoxLayout()
        progress_row.setContentsMargins(0, 0, 0, 0)
        progress_row.addWidget(self.progress_label)
        progress_row.addWidget(self.progress, 1)
        self.progress_row = QWidget()
        self.progress_row.setLayout(progress_row)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.chip_row)
        layout.addWidget(self.progress_row)
        self.document: Document | None = None
        self.tokens = 0
        self._step = ""
        self.progress_row.hide()
        self.clear()

    def show_document(self, document: Document, tokens: int) -> None:
        self.document, self.tokens = document, tokens
        self.chip.setText(describe_document(document, tokens))
        self.chip.setToolTip(self.tr("{characters:,} characters")
                             .format(characters=document.characters)
                             + (self.tr(", read as {encoding}")
                                .format(encoding=document.encoding) if document.encoding else ""))
        self.chip_row.show()
        self.show()

    def clear(self) -> None:
        self.document, self.tokens = None, 0
        self.chip_row.hide()
        if self.progress_row.isHidden():
            self.hide()

    def show_status(self, step: str, fraction: float, seconds_left: float | None) -> None:
        if step:
            self._step = step
        left = (self.tr(" · about {duration} left")
                .format(duration=_duration(seconds_left)) if seconds_left is not None else "")
        self.progress_label.setText(self._step + left)
        self.progress.setValue(int(1000 * fraction))
        self.progress_row.show()
        self.show()

    def end_summary(self) -> None:
        self._step = ""
        self.progress_row.hide()
        if self.chip_row.isHidden():
            self.hide()
