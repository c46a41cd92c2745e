"""The Chat tab: the chat list beside the open chat, and the passage a reply cites (hidden
until one of its citations is clicked)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QSplitter, QWidget

from desktop.chat.message_model import Source
from desktop.chat.panel import ChatPanel
from desktop.chat.passage_panel import PassagePanel
from desktop.chat.sidebar import Sidebar
from desktop.engine_client import EngineClient

PASSAGE_WIDTH = 340  # the passage panel's first width


class ChatTab(QWidget):
    def __init__(self, client: EngineClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sidebar = Sidebar(client, self)
        self.chat_panel = ChatPanel(client, self)
        self.passage_panel = PassagePanel(self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.chat_panel)
        self.splitter.addWidget(self.passage_panel)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, 840, 0])
        self.splitter.setChildrenCollapsible(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self.chat_panel.passageRequested.connect(self.show_passage)
        self.passage_panel.closed.connect(self.chat_panel.view.setFocus)
        self.chat_panel.messages.modelReset.connect(self._drop_stale_passage)

    def show_passage(self, source: Source, question: str) -> None:
        opening = self.passage_panel.isHidden()
        self.passage_panel.show_passage(source, question)
        if opening:  # make room for it, taken from the conversation
            sizes = self.splitter.sizes()
            width = min(PASSAGE_WIDTH, max(sizes[1] // 2, 0))
            self.splitter.setSizes([sizes[0], sizes[1] - width, width])

    def _drop_stale_passage(self) -> None:
        """Another chat, or a reply replaced: a passage of a message no longer shown goes."""
        shown = self.passage_panel.source
        if shown is not None and self.chat_panel.messages.row_of(shown.message_id) < 0:
            self.passage_panel.close_passage()
