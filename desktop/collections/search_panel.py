""""Find in this collection": the passages of one collection that best match some words.

Retrieval alone, no chat model: the worker runs the index's own search (keywords, and meaning
where the search model is installed) and this lists the passages with their file, page and
line, the query's words marked in the palette's selection colours. Search by meaning always
finds something nearest, so passages too weak to answer from (the engine's own line,
`answers_nothing`) are listed only when nothing is closer, and said to be so. A search is
asked for on Enter, or a moment after the last key; after a re-index it is asked again.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from desktop.chat.passage_panel import PlainBrowser
from desktop.collections.client import CollectionsClient
from desktop.collections.list_model import counted
from desktop.i18n import QT_TRANSLATE_NOOP, translated
from engine.documents.collections import CollectionRecord, IndexDone
from engine.documents.retrieval import Hit, answers_nothing, query_terms

FIND_PLACEHOLDER = QT_TRANSLATE_NOOP("collections.search_panel", "Find in this collection")
SEARCH_DELAY_MS = 300  # after the last key, before a search is asked for
SEARCHING = QT_TRANSLATE_NOOP("collections.search_panel", "Searching…")


def emphasised(text: str, query: str, palette: QPalette) -> str:
    """The passage as HTML, each word that starts with one of the query's search terms (so
    "elections" for "election") marked in the palette's selection colours."""
    terms = query_terms(query)
    escaped = html.escape(text)
    if not terms:
        return _lines(escaped)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(html.escape(t)) for t in terms) + r")\w*",
                         re.IGNORECASE)
    style = (f"background-color: {palette.color(QPalette.ColorRole.Highlight).name()}; "
             f"color: {palette.color(QPalette.ColorRole.HighlightedText).name()}")
    return _lines(pattern.sub(lambda m: f"<b style='{style}'>{m.group()}</b>", escaped))


def _lines(text: str) -> str:
    """Line breaks kept, blank lines between paragraphs dropped: a passage reads compactly."""
    return "<br>".join(line for line in text.splitlines() if line.strip())


def where(hit: Hit, sources: Sequence[str] = ()) -> str:
    """"notes.txt, page 2, line 14"; a file in a subfolder of the folder added is named by its
    path from there ("2024/notes.txt")."""
    name = hit.file
    for source in sources:
        path, folder = Path(hit.path), Path(source)
        if path.is_relative_to(folder) and path != folder:
            name = path.relative_to(folder).as_posix()
            break
    page = (QCoreApplication.translate("collections.search_panel", ", page {page}")
            .format(page=hit.page) if hit.page is not None else "")
    return (QCoreApplication.translate("collections.search_panel", "{name}{page}, line {line}")
            .format(name=name, page=page, line=hit.line))


class SearchPanel(QWidget):
    def __init__(self, client: CollectionsClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self._collection: CollectionRecord | None = None
        self._searched = ""  # the query last asked for
        self._shown: tuple[str, list[Hit]] = ("", [])  # the query and the passages listed

        self.field = QLineEdit(self)
        self.field.setPlaceholderText(translated("collections.search_panel", FIND_PLACEHOLDER))
        self.field.setAccessibleName(translated("collections.search_panel", FIND_PLACEHOLDER))
        self.field.setClearButtonEnabled(True)
        self.note = QLabel(self)
        self.note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setWordWrap(True)
        self.passages = PlainBrowser(self)
        self.passages.setAccessibleName(self.tr("Passages found"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.field)
        layout.addWidget(self.note)
        layout.addWidget(self.passages, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.find_passages)
        self.field.textEdited.connect(lambda _text: self._timer.start())
        self.field.returnPressed.connect(self.find_passages)
        client.results.searchResults.connect(self._on_results)
        client.results.indexed.connect(self._on_indexed)
        client.results.failed.connect(self._on_failed)

    def show_collection(self, record: CollectionRecord | None) -> None:
        """Searches `record` from now on; another collection than before starts afresh."""
        if (record.id if record else None) != (self._collection.id if self._collection else None):
            self.field.clear()
            self._clear()
        self._collection = record
        self.field.setEnabled(record is not None)

    def find_passages(self) -> None:
        """Asks for the passages that best match the field's words (once for the same words)."""
        self._timer.stop()
        query = self.field.text().strip()
        if self._collection is None or query == self._searched:
            return
        if not query:
            self._clear()
            return
        self._searched = query
        self.note.setText(translated("collections.search_panel", SEARCHING))
        self._client.search(self._collection.id, query)

    def _clear(self) -> None:
        self._searched = ""
        self._shown = ("", [])
        self.note.clear()
        self.passages.clear()

    def _on_indexed(self, _summary: str, _done: IndexDone) -> None:
        self._searched = ""  # the index changed: the same words may find more now
        if self.field.text().strip():
            self.find_passages()

    def _on_failed(self, _message: str) -> None:
        if self.note.text() == translated("collections.search_panel",
                                          SEARCHING):  # the tab shows the message itself
            self.note.clear()

    def _on_results(self, collection_id: int, query: str, hits: list[Hit]) -> None:
        collection = self._collection
        if collection is None or collection_id != collection.id or query != self._searched:
            return  # the answer to an earlier question
        name = collection.name or ""
        strong = [hit for hit in hits if not answers_nothing([hit])]
        if strong:
            self.note.setText(
                self.tr("{counted} of “{name}” match “{query}”, best first:")
                .format(counted=counted(len(strong), 'passage'), name=name, query=query))
        elif hits:
            self.note.setText(self.tr("Nothing in “{name}” matches “{query}” closely; the nearest "
                                      "passages:").format(name=name, query=query))
        else:
            self.note.setText(self.tr("No passage in “{name}” matches “{query}”.")
                              .format(name=name, query=query))
        self._shown = (query, strong or hits)
        self._show_hits()

    def _show_hits(self) -> None:
        query, hits = self._shown
        sources = self._collection.sources if self._collection else ()
        self.passages.setHtml("".join(
            f"<p><b>{html.escape(where(hit, sources))}</b><br>"
            f"{emphasised(hit.text, query, self.palette())}</p>" for hit in hits))

    def changeEvent(self, event: QEvent) -> None:
        # The marks hold the palette's colours: light or dark, draw them anew.
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._shown[1]:
            self._show_hits()
