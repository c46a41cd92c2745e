"""Documents in the real window: a long paste becomes a chip, a file is attached, a summary
runs with visible progress and lands in the chat, and bad files say why."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData
from pytestqt.qtbot import QtBot

from desktop.chat.attachment_bar import SUMMARY_CHOICES
from desktop.engine_texts import say
from desktop.main_window import MainWindow
from tests.desktop.conftest import WindowFactory
from tests.engine.documents_data import speech_lines

WAIT_MS = 300_000


def _attach_text(qtbot: QtBot, window: MainWindow, text: str) -> None:
    mime = QMimeData()
    mime.setText(text)
    window.chat_panel.composer.insertFromMimeData(mime)
    qtbot.waitUntil(lambda: window.chat_panel.attachment.document is not None, timeout=WAIT_MS)


def test_a_long_paste_becomes_a_document_chip_not_text_in_the_box(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    window = open_window()
    text = speech_lines(40)
    _attach_text(qtbot, window, text)
    panel = window.chat_panel
    assert panel.composer.toPlainText() == ""
    chip = panel.attachment.chip.text()
    assert chip.startswith("📄 Pasted text · ") and chip.endswith(" tokens")
    assert f"{panel.attachment.tokens:,} tokens" in chip
    assert panel.attachment.tokens > 500
    panel.attachment.remove_button.click()
    assert panel.attachment.document is None and panel.attachment.isHidden()


def test_a_short_paste_stays_text(qtbot: QtBot, open_window: WindowFactory) -> None:
    window = open_window()
    mime = QMimeData()
    mime.setText("just a line")
    window.chat_panel.composer.insertFromMimeData(mime)
    assert window.chat_panel.composer.toPlainText() == "just a line"


def test_a_summary_shows_progress_and_lands_in_the_chat(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    window = open_window()
    panel = window.chat_panel
    _attach_text(qtbot, window, speech_lines(16))  # just over the long-paste line
    # Each step as the window shows it: the panel's slot ran first (connected at start-up).
    shown: list[tuple[str, bool]] = []
    window.client.summaryStatus.connect(lambda _chat, step, _f, _s: shown.append(
        (step, panel.attachment.progress_row.isVisible())))
    label, options = SUMMARY_CHOICES[2]  # about 100 words
    assert label == "About 100 words"
    with qtbot.waitSignal(window.client.replyEnded, timeout=WAIT_MS) as ended:
        panel.summarize(options)
        assert panel.send_button.text() == "Stop"
    reply = ended.args[1]
    assert reply is not None and reply.status == "done"
    note = str(reply.note)  # a field of its own, worded under the summary in the window's language
    assert "Made in one pass" in note or "parts of the document" in note
    drawn = panel.messages.index(panel.messages.row_of(reply.id)).data()
    assert note not in reply.content and drawn.endswith(f"\n\n*{say(reply.note)}*")
    assert any(step.startswith("Reading ") and visible for step, visible in shown), shown
    assert panel.attachment.isHidden()
    question = panel.messages.index(0).data()
    assert question == "Summarise “Pasted text” in about 100 words."


def test_a_file_that_is_not_a_document_is_refused_in_plain_words(
    qtbot: QtBot, open_window: WindowFactory, tmp_path: Path
) -> None:
    window = open_window()
    binary = tmp_path / "photo.txt"
    binary.write_bytes(bytes(range(256)) * 64)
    window.chat_panel._prepare(path=str(binary))
    qtbot.waitUntil(lambda: "photo.txt" in window.chat_panel.banner.text(), timeout=WAIT_MS)
    assert window.chat_panel.attachment.document is None


def test_a_question_about_an_attached_file_is_answered_with_it(
    qtbot: QtBot, open_window: WindowFactory, tmp_path: Path
) -> None:
    note = tmp_path / "note.md"
    note.write_text("# Plans\n\nThe meeting is on Thursday at the lighthouse.\n", encoding="utf-8")
    window = open_window()
    panel = window.chat_panel
    panel._prepare(path=str(note))
    qtbot.waitUntil(lambda: panel.attachment.document is not None, timeout=WAIT_MS)
    assert panel.attachment.chip.text().startswith("📄 note.md · ")
    panel.composer.setPlainText("When is the meeting?")
    with qtbot.waitSignal(window.client.replyEnded, timeout=WAIT_MS) as ended:
        panel.submit()
    assert ended.args[1] is not None
    assert panel.messages.index(0).data() == "When is the meeting?"
    assert panel.attachment.document is None
