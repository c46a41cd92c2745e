"""Answers about a long document: the line under each saying which way it was answered, the
one click that answers it the other way, and quotations the cited passages do not hold."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QTextCharFormat, QTextCursor, QTextDocument
from PySide6.QtWidgets import QMenu, QMessageBox
from pytestqt.qtbot import QtBot

from desktop.chat.link_opener import route_link
from desktop.chat.message_model import MessageRole
from desktop.chat.view import UNVERIFIED_TIP, ChatView, mark_unverified, render_markdown
from desktop.main_window import MainWindow
from engine.chat.store import ChatStore
from engine.config import AppConfig
from engine.documents import summary_prompts
from engine.documents.ask import route_for
from engine.documents.collections import DocumentIndex
from engine.documents.reading import pasted_document
from engine.documents.route import Route
from engine.paths import app_paths
from engine.settings import ChatSettings, ContextPolicy, RuntimeSettings, SamplingSettings
from tests.desktop.conftest import WindowFactory
from tests.desktop.test_citations import link_points, shown_text
from tests.engine.documents_data import PLANTED_SECTION, speech_lines

WAIT_MS = 60_000
NAME = "report.txt"
# A question about the whole text by its words ("overview"), which search can still answer
# from the planted passage: answering it from passages is the person's choice, not the guess.
QUESTION = "Give an overview of how Marisol Quenneville rowed through the night."
WHOLE_ANSWER = "Marisol Quenneville, a lighthouse keeper, rescued three fishermen in a storm."
FROM_PASSAGES = f"Answered from passages of {NAME}"
FROM_WHOLE = "Answered from the whole document (its summaries)"
WHOLE_INSTEAD = "Answer from the whole document instead"
PASSAGES_INSTEAD = "Answer from passages instead"
NOTE = "(not word for word in the sources)"
# Two short paragraphs stand for the long document: each passage given makes the prompt longer,
# and it is read at a few dozen tokens a second on a busy 2-core machine.
RESCUE = next(line for line in PLANTED_SECTION.splitlines() if "rowed through" in line)


@pytest.fixture
def test_config() -> AppConfig:
    # Short replies: each click writes one, and only the way it was answered is checked.
    return AppConfig(
        chat_defaults=ChatSettings(sampling=SamplingSettings(max_tokens=16, seed=7)),
        runtime=RuntimeSettings(n_ctx=2048, n_threads=1),
    )


def seed_document_chat(reply: str, route: Route,
                       citations: list[dict[str, object]] | None = None,
                       earlier: Sequence[tuple[str, str]] = ()) -> tuple[int, int]:
    """A chat as a summary of a long document leaves it (its part summaries kept, its
    passages indexed), the exchanges `earlier` (question, reply), then a follow-up question
    answered by `route`, written into the data folder's database before the window opens; the
    chat's id and the other chat's.

    Summarising for real takes minutes on 2 cores; what the window needs of it is the same."""
    text = f"{speech_lines(1)}\n\n{RESCUE}"
    document = pasted_document(text, name=NAME)
    store = ChatStore(app_paths().ensure().database)
    documents = DocumentIndex.open(store.path)
    try:
        chat = store.create_chat()
        asked = store.add_message(chat.id, "user", f"Summarise “{NAME}” in a short paragraph.")
        attached = store.add_attachment(asked.id, NAME, "text", document.size_bytes, 900,
                                        document.text)
        store.set_attachment_context(attached.id, summary_prompts.CONTEXT_PARTS.format(
            name=f"“{NAME}”", parts=2, summaries="1. A convention speech.\n\n2. " + WHOLE_ANSWER))
        store.add_message(chat.id, "assistant", WHOLE_ANSWER)
        for asked_then, answered in earlier:
            store.add_message(chat.id, "user", asked_then)
            store.add_message(chat.id, "assistant", answered)
        documents.add_document(documents.chat_collection(chat.id).id, document,
                               f"attachment {attached.id}")
        store.add_message(chat.id, "user", QUESTION)
        store.add_message(chat.id, "assistant", reply, route=route)
        if citations is not None:
            last = store.messages(chat.id)[-1]
            store.update_message(last.id, reply, citations=citations)
        other = store.create_chat("Another chat")
        store.add_message(other.id, "user", "Hello")
    finally:
        documents.close()
        store.close()
    return chat.id, other.id


def the_reply(qtbot: QtBot, window: MainWindow, rows: int = 4) -> QModelIndex:
    """The last reply of the seeded chat of `rows` messages, once the view has laid it out."""
    view, messages = window.chat_panel.view, window.chat_panel.messages
    qtbot.waitUntil(lambda: messages.rowCount() == rows, timeout=WAIT_MS)
    reply = messages.index(rows - 1)
    qtbot.waitUntil(lambda: view.visualRect(reply).height() > 0, timeout=WAIT_MS)
    return reply


def last_line(view: ChatView, index: QModelIndex) -> str:
    return shown_text(view, index).splitlines()[-1]


def click_link(qtbot: QtBot, window: MainWindow, index: QModelIndex, target: str) -> None:
    """Clicks the link to `target` in the message, and waits for the reply it asks for."""
    view = window.chat_panel.view
    view.scrollTo(index)
    (point, *_rest) = link_points(view, index, target)
    assert view.link_at(point) == target
    with qtbot.waitSignal(window.client.replyEnded, timeout=WAIT_MS):
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)


def test_one_click_answers_the_other_way_and_the_line_says_so_after_reopening(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    assert route_for(QUESTION) is Route.WHOLE
    chat_id, other_id = seed_document_chat(WHOLE_ANSWER, Route.WHOLE)
    window = open_window()
    client, view, messages = window.client, window.chat_panel.view, window.chat_panel.messages
    client.open_chat(chat_id)
    reply = the_reply(qtbot, window)
    first_id = int(reply.data(MessageRole.Id))
    assert last_line(view, reply) == f"{FROM_WHOLE} · {PASSAGES_INSTEAD}"
    summary = messages.index(1)  # the summary itself was not routed: no line
    assert shown_text(view, summary) == WHOLE_ANSWER

    # Answered from passages instead, though the question's words say "the whole text": the
    # way goes with the request. The new reply replaces the old one, as Regenerate's does.
    click_link(qtbot, window, reply, route_link(first_id, Route.PASSAGES))
    reply = the_reply(qtbot, window)
    passages_id = int(reply.data(MessageRole.Id))
    assert passages_id != first_id and messages.row_of(first_id) < 0
    shown = shown_text(view, reply)
    cites = bool(reply.data(MessageRole.Sources))
    files = NAME if cites else "the document"  # the small model may cite no passage
    assert shown.splitlines()[-1] == f"Answered from passages of {files} · {WHOLE_INSTEAD}"
    assert ("\nSources\n" in shown) == cites

    # And back: from the whole document, with no Sources block.
    click_link(qtbot, window, reply, route_link(passages_id, Route.WHOLE))
    reply = the_reply(qtbot, window)
    whole_id = int(reply.data(MessageRole.Id))
    assert whole_id != passages_id and messages.row_of(passages_id) < 0
    assert last_line(view, reply) == f"{FROM_WHOLE} · {PASSAGES_INSTEAD}"
    assert "Sources" not in shown_text(view, reply)

    # Another chat, then this one again: the line is read back from the database.
    with qtbot.waitSignal(client.chatOpened, timeout=WAIT_MS):
        client.open_chat(other_id)
    assert messages.rowCount() == 1
    with qtbot.waitSignal(client.chatOpened, timeout=WAIT_MS):
        client.open_chat(chat_id)
    reply = the_reply(qtbot, window)
    assert int(reply.data(MessageRole.Id)) == whole_id
    assert last_line(view, reply) == f"{FROM_WHOLE} · {PASSAGES_INSTEAD}"


# 512 tokens, 16 kept for a short reply, "stop and ask" when the chat outgrows the rest. With
# the passages asked for (up to a quarter of the window) the chat below is about 640 tokens;
# its last question alone, about 160.
FULL_CHAT = AppConfig(
    chat_defaults=ChatSettings(sampling=SamplingSettings(max_tokens=16, seed=7),
                               context_policy=ContextPolicy.STOP),
    runtime=RuntimeSettings(n_ctx=512, n_threads=1),
)
EARLIER = [(f"What did the speaker say about {topic}?",
            f"The speaker spoke about {topic} at length, with stories from the campaign trail, "
            "figures from the last four years and promises for the next four.")
           for topic in ("jobs", "schools", "health care", "taxes", "energy", "farms",
                         "veterans", "trade")]
ROWS = 4 + 2 * len(EARLIER)


@pytest.mark.parametrize("test_config", [FULL_CHAT])  # in place of the fixture's
def test_the_other_way_is_kept_when_a_full_chat_is_trimmed_for_it(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    """Asked from passages in a chat too full for them, then "Drop the oldest": the retry is
    answered from passages still, not the way the question's words suggest."""
    chat_id, _other = seed_document_chat(WHOLE_ANSWER, Route.WHOLE, earlier=EARLIER)
    window = open_window()
    client, panel = window.client, window.chat_panel
    client.open_chat(chat_id)
    reply = the_reply(qtbot, window, ROWS)
    with qtbot.waitSignal(client.contextFull, timeout=WAIT_MS) as full:
        panel.answer_again(int(reply.data(MessageRole.Id)), Route.PASSAGES)
    assert full.args[1] == "regenerate" and full.args[4] is Route.PASSAGES
    question = window.findChild(QMessageBox, "context-full-question")
    assert question is not None
    qtbot.waitUntil(question.isVisible)
    drop = next(b for b in question.buttons() if b.text().startswith("Drop the oldest"))
    with qtbot.waitSignal(client.replyFinished, timeout=WAIT_MS) as finished:
        drop.click()
    assert finished.args[1].route is Route.PASSAGES
    reply = the_reply(qtbot, window, ROWS)
    assert last_line(panel.view, reply).startswith("Answered from passages of ")


CITED = RESCUE
VERBATIM = "could not reach it in the wind"
INVENTED = "the bravest rescue in a hundred years"


# The menu is a popup window; offscreen, nothing can raise it or give it the keyboard.
@pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing the keyboard)",
                           extend=True)
def test_a_quotation_the_sources_do_not_hold_is_marked_and_a_verbatim_one_is_not(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    """The small model does not quote its passages, so the reply is a stored one, built here:
    what is checked is how the window shows it."""
    answer = (f'The coast guard "{VERBATIM}" [1].\n\n'
              f'The paper called it "{INVENTED}" [1].')
    citation = {"number": 1, "file": NAME, "path": NAME, "page": None, "line": 9,
                "text": CITED}
    chat_id, _other = seed_document_chat(answer, Route.PASSAGES, [citation])
    window = open_window()
    window.client.open_chat(chat_id)
    view = window.chat_panel.view
    reply = the_reply(qtbot, window)

    # In words: the note follows the quotation that is not in the passage, and only it.
    shown = shown_text(view, reply)
    assert f'"{INVENTED}" {NOTE} [1].' in shown
    assert f'"{VERBATIM}" [1].' in shown and shown.count(NOTE) == 1
    assert last_line(view, reply) == f"{FROM_PASSAGES} · {WHOLE_INSTEAD}"
    spoken = reply.data(Qt.ItemDataRole.AccessibleTextRole)
    assert f"“{INVENTED}”: not word for word in the sources." in spoken
    assert VERBATIM not in spoken.split("Sources:")[1]

    # In style: a wavy underline under the quotation, and only it...
    document = render_markdown(str(reply.data()), view.font(), 500, view.palette())
    mark_unverified(document, reply.data(MessageRole.Unverified))
    assert underline(document, INVENTED) == QTextCharFormat.UnderlineStyle.WaveUnderline
    assert underline(document, VERBATIM) == QTextCharFormat.UnderlineStyle.NoUnderline

    # ...and hovering over it says why, in the view itself.
    view.scrollTo(reply)
    rect = view.visualRect(reply)
    tipped = [QPoint(x, y) for y in range(rect.top(), rect.bottom(), 3)
              for x in range(rect.left(), rect.right(), 4) if view.tip_at(QPoint(x, y))]
    assert tipped, "no point of the reply has the quotation's tooltip"
    spread = max(p.y() for p in tipped) - min(p.y() for p in tipped)
    assert spread < 1.5 * view.fontMetrics().height(), "one line: one quotation, not both"
    qtbot.mouseMove(view.viewport(), tipped[len(tipped) // 2])
    qtbot.waitUntil(lambda: view.viewport().toolTip() == UNVERIFIED_TIP, timeout=WAIT_MS)

    # Without a mouse, the message's menu (the Menu key) offers the other way too.
    view.setCurrentIndex(reply)
    view.customContextMenuRequested.emit(view.visualRect(reply).center())
    menu = window.chat_panel.findChild(QMenu)
    assert menu is not None
    assert [a.isEnabled() for a in menu.actions() if a.text() == WHOLE_INSTEAD] == [True]
    menu.close()


def underline(document: QTextDocument, words: str) -> QTextCharFormat.UnderlineStyle:
    """The underline of the middle of `words` as laid out."""
    cursor = QTextCursor(document)
    cursor.setPosition(document.toPlainText().index(words) + len(words) // 2)
    return cursor.charFormat().underlineStyle()
