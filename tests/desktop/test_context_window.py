"""What the window does when a chat outgrows the model's context window."""

from __future__ import annotations

from functools import partial

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop.chat.message_model import MessageRole
from desktop.main_window import MainWindow
from engine.config import AppConfig
from tests.desktop.conftest import WindowFactory, tiny_context_config

REPLY_TIMEOUT_MS = 60_000


@pytest.fixture
def test_config() -> AppConfig:
    return tiny_context_config()


def outlasts(outcomes: list[str], turn: int) -> bool:
    """Whether the outcome of turn `turn` (counted from 0) is in."""
    return len(outcomes) > turn


def _send(qtbot: QtBot, window: MainWindow, text: str) -> None:
    window.chat_panel.composer.setPlainText(text)
    qtbot.keyClick(window.chat_panel.composer, Qt.Key.Key_Return)


def test_a_message_longer_than_the_context_is_refused_and_kept(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    window = open_window()
    long_text = "The river carried leaves and stones past the old mill. " * 40
    with qtbot.waitSignal(window.client.turnRefused, timeout=REPLY_TIMEOUT_MS):
        _send(qtbot, window, long_text)
    panel = window.chat_panel
    assert panel.messages.rowCount() == 0, "nothing is saved for a refused message"
    assert panel.composer.toPlainText() == long_text, "the typed text is given back"
    assert panel.banner.isVisible()
    assert "context window" in panel.banner.text() and "tokens" in panel.banner.text()


def test_stop_and_ask_then_drop_the_oldest_shows_where_the_view_begins(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    window = open_window()
    client = window.client
    outcomes: list[str] = []
    client.replyFinished.connect(lambda *_args: outcomes.append("reply"))
    client.contextFull.connect(lambda *_args: outcomes.append("full"))
    for turn in range(12):
        _send(qtbot, window, f"Tell me one fact about the number {turn}.")
        qtbot.waitUntil(partial(outlasts, outcomes, turn), timeout=REPLY_TIMEOUT_MS)
        if outcomes[-1] == "full":
            break
    asked = outcomes[-1] == "full"
    assert asked, "a chat this long must hit the context limit"
    question = window.findChild(QMessageBox, "context-full-question")
    assert question is not None
    qtbot.waitUntil(question.isVisible)
    drop = next(b for b in question.buttons() if b.text().startswith("Drop the oldest"))
    with qtbot.waitSignal(client.replyFinished, timeout=REPLY_TIMEOUT_MS):
        drop.click()
    model = window.chat_panel.messages
    in_view = [model.index(r).data(MessageRole.InView) for r in range(model.rowCount())]
    starts = [model.index(r).data(MessageRole.ViewStartsHere) for r in range(model.rowCount())]
    assert in_view[0] is False and in_view[-1] is True
    assert starts.count(True) == 1
    first_seen = starts.index(True)
    assert model.index(first_seen).data(MessageRole.Speaker) == "user"
