"""The document waiting to be sent, as a chip above the message box, and a summary's progress;
the named collections attached to the chat, a chip each with × to detach it.

The document's chip shows its name, size and length in tokens (counted by the model on the
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

from desktop.flow_layout import FlowLayout
from engine.documents.collections import CollectionRecord
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


CHIP_STYLE = "QLabel { border: 1px solid palette(mid); border-radius: 10px; padding: 2px 8px; }"


class AttachmentBar(QWidget):
    summarizeRequested = Signal(object)  # SummaryOptions
    removed = Signal()
    detachRequested = Signal(int)  # the id of an attached collection whose × was pressed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chip = QLabel()
        self.chip.setAccessibleName(self.tr("Attached document"))
        self.chip.setStyleSheet(CHIP_STYLE)
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

        # The attached collections' chips wrap onto more lines in a narrow panel.
        self.collections_row = QWidget()
        self.collections_row.setAccessibleName(self.tr("Attached collections"))
        self._collections_flow = FlowLayout(self.collections_row)
        self.collection_chips: dict[int, tuple[QLabel, QToolButton]] = {}

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.collections_row)
        layout.addWidget(self.chip_row)
        layout.addWidget(self.progress_row)
        self.document: Document | None = None
        self.tokens = 0
        self._step = ""
        self.progress_row.hide()
        self.collections_row.hide()
        self.clear()

    def show_collections(self, attached: list[CollectionRecord]) -> None:
        """A chip for each collection attached to the chat shown, each with × to detach it."""
        while (item := self._collections_flow.takeAt(0)) is not None:
            widget = item.widget()
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        self.collection_chips.clear()
        for record in attached:
            name = record.name or ""
            chip = QLabel(f"📚 {name}")
            chip.setStyleSheet(CHIP_STYLE)
            chip.setAccessibleName(self.tr("Attached collection {name}").format(name=name))
            chip.setToolTip(self.tr("Questions about a detail in this chat are answered from "
                                    "the collection “{name}” too ({files:,} files).")
                            .format(name=name, files=record.files))
            detach = QToolButton()
            detach.setText("✕")
            detach.setToolTip(self.tr("Detach “{name}” from this chat").format(name=name))
            detach.setAccessibleName(self.tr("Detach collection {name}").format(name=name))
            detach.clicked.connect(lambda _=False, i=record.id: self.detachRequested.emit(i))
            pair = QWidget()
            row = QHBoxLayout(pair)
            row.setContentsMargins(0, 0, 0, 0)
            row.setSpacing(2)
            row.addWidget(chip)
            row.addWidget(detach)
            self._collections_flow.addWidget(pair)
            self.collection_chips[record.id] = (chip, detach)
        self.collections_row.setHidden(not attached)
        self._update_shown()

    def _update_shown(self) -> None:
        self.setHidden(self.chip_row.isHidden() and self.progress_row.isHidden()
                       and self.collections_row.isHidden())

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
        self._update_shown()

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
        self._update_shown()
