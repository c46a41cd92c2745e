"""The passage a reply cites, shown beside the conversation when one of its links is clicked.

Its title says where the passage is ("report.pdf, page 27, line 143"); the words of the
question the reply answered are highlighted in it, in the palette's selection colours. It
shows plain text only: nothing in a passage can load a resource or open a link. The close
button or Esc hides it; another citation replaces what it shows.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import QEvent, QRegularExpression, Qt, QUrl, Signal
from PySide6.QtGui import QFont, QKeyEvent, QPalette, QTextCharFormat, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.chat.message_model import Source
from desktop.i18n import QT_TRANSLATE_NOOP, translated

PANEL_NAME = QT_TRANSLATE_NOOP("chat.passage_panel", "Cited passage")
CLOSE_TIP = QT_TRANSLATE_NOOP("chat.passage_panel", "Close the passage (Esc)")
# Words too common to point at anything; the rest of the question's words of 3+ letters are
# looked for in the passage.
_COMMON = frozenset((
    "the", "and", "for", "are", "but", "not", "you", "your", "was", "were", "has", "have", "had",
    "with", "what", "who", "whom", "whose", "which", "when", "where", "why", "how", "does",
    "did", "this", "that", "these", "those", "from", "into", "about", "there", "their", "they",
    "them", "his", "her", "its", "our", "out", "any", "all", "can", "could", "would", "should",
    "will", "shall", "may", "might", "than", "then",
))
_WORD = re.compile(r"[^\W\d_]{3,}")


def question_words(question: str) -> list[str]:
    """The words of 3+ letters of a question, lower-cased, each once, common ones left out."""
    words = dict.fromkeys(w.lower() for w in _WORD.findall(question))
    return [w for w in words if w not in _COMMON]


class PlainBrowser(QTextBrowser):
    """Read-only rich text that loads nothing and follows no link: passages are not trusted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setUndoRedoEnabled(False)

    def loadResource(self, type: int, name: QUrl | str) -> Any:
        return None


class PassagePanel(QWidget):
    closed = Signal()  # hidden by its button or Esc

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(translated("chat.passage_panel", PANEL_NAME))
        self.source: Source | None = None  # the passage shown
        self._question = ""  # whose words are highlighted in it

        self.title = QLabel(self)
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFont(self.title.font())
        font.setBold(True)
        self.title.setFont(font)
        self.close_button = QToolButton(self)
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        self.close_button.setAccessibleName(self.tr("Close the passage"))
        self.close_button.setToolTip(translated("chat.passage_panel", CLOSE_TIP))
        self.close_button.clicked.connect(self.close_passage)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.text = PlainBrowser(self)
        self.text.setAccessibleName(self.tr("Passage text"))

        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(header)
        layout.addWidget(self.note)
        layout.addWidget(self.text, 1)
        self.hide()

    def show_passage(self, source: Source, question: str) -> None:
        """Shows a cited passage (replacing any shown), the question's words highlighted."""
        self.source, self._question = source, question
        self.title.setText(source.where)
        self.text.setPlainText(source.text)
        words = self.highlight(question_words(question))
        found = self.tr("; the words of your question are highlighted") if words else ""
        self.note.setText(self.tr("The passage the reply cites as [{number}]{found}.")
                          .format(number=source.number, found=found))
        self.text.setAccessibleDescription(f"{source.where}. {source.text}")
        self.show()
        self.text.setFocus()  # Esc closes it; a screen reader reads it

    def highlight(self, words: list[str]) -> int:
        """Marks each whole-word, case-insensitive occurrence of `words`; how many there are."""
        if not words:
            return 0
        pattern = QRegularExpression(
            r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b",
            QRegularExpression.PatternOption.CaseInsensitiveOption
            | QRegularExpression.PatternOption.UseUnicodePropertiesOption)
        marked = QTextCharFormat()
        palette = self.palette()
        marked.setBackground(palette.color(QPalette.ColorRole.Highlight))
        marked.setForeground(palette.color(QPalette.ColorRole.HighlightedText))
        document = self.text.document()
        count = 0
        cursor = document.find(pattern, 0)
        while not cursor.isNull() and cursor.hasSelection():
            cursor.mergeCharFormat(marked)
            count += 1
            cursor = document.find(pattern, cursor.selectionEnd())
        self.text.moveCursor(QTextCursor.MoveOperation.Start)
        return count

    def document(self) -> QTextDocument:
        return self.text.document()

    def close_passage(self) -> None:
        if self.isVisible():
            self.hide()
            self.closed.emit()

    def changeEvent(self, event: QEvent) -> None:
        # The highlight holds the palette's colours: light or dark, mark the words anew.
        if event.type() == QEvent.Type.PaletteChange and self.source is not None:
            self.text.setPlainText(self.source.text)
            self.highlight(question_words(self._question))
        super().changeEvent(event)

    def event(self, event: QEvent) -> bool:
        # Esc here closes the panel, before any window-wide Esc (which stops a reply) sees it.
        if (event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_Escape and not event.modifiers()):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and not event.modifiers():
            self.close_passage()
            event.accept()
            return
        super().keyPressEvent(event)
