"""Cited answers: a reply's "[1]" and its Sources lines open the passage beside the chat."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication, QPalette, QTextCursor, QTextDocument
from PySide6.QtWidgets import QApplication, QMenu, QWidget
from pytestqt.qtbot import QtBot

from desktop.chat.link_opener import open_link, passage_link, passage_of
from desktop.chat.message_model import MessageListModel, MessageRole, cited_markdown, sources_of
from desktop.chat.passage_panel import PANEL_NAME, question_words
from desktop.chat.view import ChatView, render_markdown
from desktop.main_window import MainWindow
from engine.chat.store import ChatStore, MessageRecord
from engine.paths import app_paths
from tests.desktop.conftest import WindowFactory

WAIT_MS = 60_000
QUESTION = "Who rowed through the night to rescue the fishermen?"
ANSWER = "Marisol Quenneville did [1]."
PASSAGE = ("In the storm of 1911 Marisol Quenneville rowed alone through the night and "
           "brought the six fishermen of the Aurore back to the harbour at dawn.")
CITATION = {"number": 1, "file": "report.pdf", "path": "/docs/report.pdf", "page": 27,
            "line": 143, "text": PASSAGE}
SOURCE_LINE = "[1] report.pdf, page 27, line 143"
THANKS, WELCOME = "Thank you.", "You're welcome."


def seed_cited_chat() -> int:
    """A chat whose first reply cites a passage and whose second cites none, written into the
    data folder's real database before the window opens it; the cited reply's id."""
    store = ChatStore(app_paths().ensure().database)
    try:
        chat = store.create_chat()
        store.add_message(chat.id, "user", QUESTION)
        reply = store.add_message(chat.id, "assistant", "", status="streaming")
        store.update_message(reply.id, ANSWER, "done", citations=[CITATION])
        store.add_message(chat.id, "user", THANKS)
        store.add_message(chat.id, "assistant", WELCOME)
    finally:
        store.close()
    return reply.id


def shown_text(view: ChatView, index: QModelIndex) -> str:
    """The message as the view lays it out, in plain text."""
    markdown = str(index.data(Qt.ItemDataRole.DisplayRole))
    return render_markdown(markdown, view.font(), 500, view.palette()).toPlainText()


def link_points(view: ChatView, index: QModelIndex, target: str) -> list[QPoint]:
    """The points of the message where the view finds the link `target`, top to bottom."""
    rect = view.visualRect(index)
    return [QPoint(x, y) for y in range(rect.top(), rect.bottom(), 3)
            for x in range(rect.left(), rect.right(), 4)
            if view.link_at(QPoint(x, y)) == target]


def highlighted(document: QTextDocument, word: str, palette: QPalette) -> bool:
    at = document.toPlainText().index(word)
    cursor = QTextCursor(document)
    cursor.setPosition(at + 1)  # the format of the character before the cursor: the word's
    return cursor.charFormat().background().color() == palette.color(QPalette.ColorRole.Highlight)


def test_a_cited_reply_lists_its_sources_and_a_click_shows_the_passage_highlighted(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    reply_id = seed_cited_chat()
    window: MainWindow = open_window()
    view, messages = window.chat_panel.view, window.chat_panel.messages
    qtbot.waitUntil(lambda: messages.rowCount() == 4, timeout=WAIT_MS)
    reply = messages.index(1)
    qtbot.waitUntil(lambda: view.visualRect(reply).height() > 0, timeout=WAIT_MS)

    # Under the answer, a Sources block: one line, a link, as is the answer's "[1]".
    assert f"{ANSWER}\nSources\n{SOURCE_LINE}" in shown_text(view, reply)
    link = passage_link(reply_id, 1)
    points = link_points(view, reply, link)
    marker, source_line = points[0], points[-1]
    assert source_line.y() - marker.y() > view.fontMetrics().height()  # two places, not one

    panel = window.chat_tab.passage_panel
    assert panel.isHidden() and panel.accessibleName() == PANEL_NAME
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=source_line)
    qtbot.waitUntil(panel.isVisible, timeout=WAIT_MS)
    assert panel.title.text() == "report.pdf, page 27, line 143"
    document = panel.document()
    assert document.toPlainText() == PASSAGE
    palette = panel.text.palette()
    for word in ("rowed", "night", "fishermen"):
        assert highlighted(document, word, palette), word
    for word in ("storm", "the"):  # not in the question; too common to mean anything
        assert not highlighted(document, word, palette), word
    assert panel.text.isReadOnly() and not panel.text.openLinks()

    # Esc closes it; the answer's own "[1]" opens it again.
    qtbot.keyClick(QApplication.focusWidget() or panel.text, Qt.Key.Key_Escape)
    qtbot.waitUntil(panel.isHidden, timeout=WAIT_MS)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=marker)
    qtbot.waitUntil(panel.isVisible, timeout=WAIT_MS)
    assert panel.source is not None and panel.source.message_id == reply_id
    qtbot.mouseClick(panel.close_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(panel.isHidden, timeout=WAIT_MS)

    # A reply that cites nothing has no Sources block.
    plain = messages.index(3)
    assert plain.data(Qt.ItemDataRole.DisplayRole) == WELCOME
    assert "Sources" not in shown_text(view, plain)

    # Copying the cited reply copies what the model wrote, without the Sources block.
    view.setFocus()
    view.setCurrentIndex(reply)
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == ANSWER


# The menu is a popup window; offscreen, nothing can raise it or give it the keyboard.
@pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing the keyboard)",
                           extend=True)
def test_the_messages_menu_lists_its_sources_for_those_without_a_mouse(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    seed_cited_chat()
    window: MainWindow = open_window()
    view, messages = window.chat_panel.view, window.chat_panel.messages
    qtbot.waitUntil(lambda: messages.rowCount() == 4, timeout=WAIT_MS)
    reply = messages.index(1)
    qtbot.waitUntil(lambda: view.visualRect(reply).height() > 0, timeout=WAIT_MS)
    view.setCurrentIndex(reply)
    view.customContextMenuRequested.emit(view.visualRect(reply).center())  # the Menu key
    menu = window.chat_panel.findChild(QMenu)
    assert menu is not None
    shows = [action for action in menu.actions()
             if action.text() == "Show source [1]: report.pdf, page 27, line 143"]
    assert len(shows) == 1
    shows[0].trigger()
    menu.close()
    panel = window.chat_tab.passage_panel
    qtbot.waitUntil(panel.isVisible, timeout=WAIT_MS)
    assert panel.document().toPlainText() == PASSAGE


def _record(content: str, citations: tuple[dict[str, object], ...]) -> MessageRecord:
    return MessageRecord(7, 1, "assistant", content, time.time(), "done", None, None,
                         citations=citations)


def test_only_cited_numbers_outside_code_become_links(qapp: object) -> None:
    sources = sources_of(_record("", (CITATION, {**CITATION, "number": 2, "page": None,
                                                  "file": "notes_[draft].md", "line": 4})))
    shown = cited_markdown("Both [1, 2], not [3], nor `xs[1]`:\n```\nys[2]\n```", sources)
    document = QTextDocument()
    document.setMarkdown(shown, QTextDocument.MarkdownFeature.MarkdownDialectGitHub)
    links: list[tuple[str, str]] = []
    block = document.begin()
    while block.isValid():
        fragment = block.begin()
        while not fragment.atEnd():
            href = fragment.fragment().charFormat().anchorHref()
            if href:
                links.append((fragment.fragment().text(), href))
            fragment += 1
        block = block.next()
    first, second = passage_link(7, 1), passage_link(7, 2)
    assert links == [("1", first), ("2", second), (SOURCE_LINE, first),
                     ("[2] notes_[draft].md, line 4", second)]
    assert "xs[1]" in document.toPlainText() and "ys[2]" in document.toPlainText()


def test_a_passage_link_never_reaches_the_desktop(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[QUrl] = []

    def open_url(url: QUrl) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", open_url)
    shown: list[tuple[int, int]] = []
    parent = QWidget()
    qtbot.addWidget(parent)
    assert open_link(parent, QUrl(passage_link(12, 3)), lambda m, n: shown.append((m, n)))
    assert not open_link(parent, QUrl("hearth-passage:not-a-passage"), lambda m, n: None)
    assert shown == [(12, 3)] and opened == []
    assert passage_of(QUrl("https://example.org/12/3")) is None


def test_the_model_finds_a_replys_source_and_its_question(qapp: object) -> None:
    model = MessageListModel()
    question = MessageRecord(6, 1, "user", QUESTION, time.time(), "done", None, None)
    model.set_messages(1, [question, _record(ANSWER, (CITATION,))])
    reply = model.index(1)
    assert model.question_before(7) == QUESTION
    source = model.source(7, 1)
    assert source is not None and source.where == "report.pdf, page 27, line 143"
    assert model.source(7, 2) is None
    assert reply.data(MessageRole.Sources) == (source,)
    assert f"Sources: {SOURCE_LINE}." in reply.data(Qt.ItemDataRole.AccessibleTextRole)
    assert question_words(QUESTION) == ["rowed", "through", "night", "rescue", "fishermen"]
