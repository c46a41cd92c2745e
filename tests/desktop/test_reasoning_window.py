"""A reply's thinking in the real window: a folded "Thinking…" line above the answer while the
model thinks, "Thought for N s" after, opened and closed by a click, Space or Ctrl+T; and the
Think switch beside the model picker for a model whose template has one.

Replies with `<think>` blocks come from a scripted OpenAI-compatible server (its tags cut across
stream events) and from a copy of the bundled model whose template opens the block."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from desktop.chat.message_model import (
    THINKING_LABEL,
    MessageListModel,
    MessageRole,
    byline,
    thought_label,
)
from desktop.chat.panel import ChatPanel
from engine.chat.store import MessageRecord
from engine.settings import ChatSettings
from tests.desktop.conftest import LOAD_TIMEOUT_MS, WindowFactory
from tests.desktop.test_remote_engines import window_with_remote_models
from tests.engine.test_reasoning import ANSWER, CUT_REPLY, THOUGHT
from tests.reasoning_models import QWEN3_OPEN_TEMPLATE, thinking_copy
from tests.remote_script_server import Reply, ScriptServer, chat_chunk

WAIT_MS = 20_000
REPLY_MS = 60_000

pytestmark = pytest.mark.usefixtures("no_keyring")


@pytest.fixture
def server() -> Iterator[ScriptServer]:
    scripted = ScriptServer(models=[{"id": "script-model", "owned_by": "script"},
                                    {"id": "second-model", "owned_by": "script"}])
    yield scripted
    scripted.close()


def last_reply(panel: ChatPanel) -> QModelIndex:
    return panel.messages.index(panel.messages.rowCount() - 1)


def spoken_header(panel: ChatPanel) -> str:
    """What a screen reader hears of the last reply before its text: "Assistant, its model,
    the time"."""
    found = panel.messages.message_at(panel.messages.rowCount() - 1)
    assert found is not None
    return ", ".join(("Assistant", *byline(found[0])))


def send(qtbot: QtBot, panel: ChatPanel, text: str) -> None:
    panel.composer.setFocus()
    qtbot.keyClicks(panel.composer, text)
    qtbot.keyClick(panel.composer, Qt.Key.Key_Return)


def test_thinking_is_folded_above_the_answer_and_opens_with_a_click_or_a_key(
    qtbot: QtBot, open_window: WindowFactory, server: ScriptServer
) -> None:
    window = window_with_remote_models(qtbot, open_window, server)
    with qtbot.waitSignal(window.client.modelLoaded, timeout=WAIT_MS):
        window.chat_panel.model_picker.activated.emit(1)
    panel = window.chat_panel
    assert panel.think_button.isHidden()  # a remote model's template is its server's
    window.tabs.setCurrentWidget(window.chat_tab)
    # The thinking streams, then the server waits (the model still thinks), then the answer.
    server.script("/v1/chat/completions", Reply(
        events=[*(chat_chunk(piece) for piece in CUT_REPLY), chat_chunk("", "stop"), "[DONE]"],
        hold_after=3))

    send(qtbot, panel, "Hi!")
    qtbot.waitUntil(lambda: last_reply(panel).data(MessageRole.Reasoning) == THOUGHT,
                    timeout=REPLY_MS)
    reply = last_reply(panel)
    assert reply.data(MessageRole.ReasoningLabel) == THINKING_LABEL
    assert reply.data(Qt.ItemDataRole.DisplayRole) == ""  # no answer yet, and no tags shown
    assert not reply.data(MessageRole.ReasoningExpanded)
    assert reply.data(Qt.ItemDataRole.AccessibleTextRole) == (
        f"{spoken_header(panel)}: Thinking…, hidden (Space shows it). ")

    with qtbot.waitSignal(window.client.replyFinished, timeout=REPLY_MS):
        server.release()
    reply = last_reply(panel)
    assert reply.data(Qt.ItemDataRole.DisplayRole) == ANSWER
    label = str(reply.data(MessageRole.ReasoningLabel))
    assert label.startswith("Thought for") and not label.startswith("Thought for about")
    closed_height = panel.view.visualRect(reply).height()

    # A click on the line opens the thinking below it, above the answer.
    view = panel.view
    line = view.thinking_line(reply)
    assert line is not None
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=line.center())
    qtbot.waitUntil(lambda: view.visualRect(last_reply(panel)).height() > closed_height)
    reply = last_reply(panel)
    assert reply.data(MessageRole.ReasoningExpanded)
    assert reply.data(Qt.ItemDataRole.AccessibleTextRole) == (
        f"{spoken_header(panel)}: {label}, shown: {THOUGHT}. {ANSWER}")
    open_line = view.thinking_line(reply)
    assert open_line is not None and open_line.top() == line.top()  # it stays put

    # Again: closed. Space on the message and Ctrl+T in the chat do the same.
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=line.center())
    qtbot.waitUntil(lambda: view.visualRect(last_reply(panel)).height() == closed_height)
    view.setFocus()
    view.setCurrentIndex(last_reply(panel))
    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert last_reply(panel).data(MessageRole.ReasoningExpanded)
    qtbot.keyClick(view, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert not last_reply(panel).data(MessageRole.ReasoningExpanded)

    # Copying the message copies the answer, not the thinking.
    panel.copy_message()
    assert QGuiApplication.clipboard().text() == ANSWER


def test_the_think_switch_shows_for_a_model_that_has_one_and_each_chat_keeps_it(
    qtbot: QtBot, open_window: WindowFactory, bundled_model: Path, tmp_path: Path
) -> None:
    window = open_window()
    panel, client = window.chat_panel, window.client
    assert panel.think_button.isHidden()  # the bundled model's template has no switch
    with qtbot.waitSignal(client.modelLoaded, timeout=LOAD_TIMEOUT_MS):
        client.load_model(str(thinking_copy(bundled_model, tmp_path, QWEN3_OPEN_TEMPLATE)))
    assert not panel.think_button.isHidden() and panel.think_button.isChecked()

    # Think on: the template opened the block, so the reply is thinking (SmolLM2 never closes it).
    with qtbot.waitSignal(client.replyFinished, timeout=REPLY_MS) as finished:
        send(qtbot, panel, "Why is the sky blue?")
    thought = finished.args[1]
    assert thought.reasoning.strip() and thought.content == ""
    reply = last_reply(panel)
    assert str(reply.data(MessageRole.ReasoningLabel)).startswith("Thought for")
    assert reply.data(Qt.ItemDataRole.DisplayRole) == ""

    # Think off for this chat: the next reply is an answer, with no thinking line.
    with qtbot.waitSignal(client.chatOpened, timeout=WAIT_MS,
                          check_params_cb=lambda *args: not thinks(args)):
        qtbot.mouseClick(panel.think_button, Qt.MouseButton.LeftButton)
    assert not panel.think_button.isChecked()
    with qtbot.waitSignal(client.replyFinished, timeout=REPLY_MS) as finished:
        send(qtbot, panel, "Name a colour.")
    answered = finished.args[1]
    assert answered.content.strip() and answered.reasoning == ""
    assert panel.view.thinking_line(last_reply(panel)) is None

    # A new chat thinks again; the first keeps its choice.
    first = panel.chat_id
    assert first is not None
    with qtbot.waitSignal(client.chatOpened, timeout=WAIT_MS):
        client.new_chat()
    assert panel.think_button.isChecked()
    with qtbot.waitSignal(client.chatOpened, timeout=WAIT_MS):
        client.open_chat(first)
    assert not panel.think_button.isChecked()


def thinks(args: tuple[object, ...]) -> bool:
    settings = args[2]
    return not isinstance(settings, ChatSettings) or settings.thinking


def test_how_long_a_reply_thought_is_measured_as_it_streams_and_estimated_when_stored(
    qapp: object
) -> None:
    now = [100.0]
    model = MessageListModel(clock=lambda: now[0])
    reply = MessageRecord(2, 1, "assistant", "", 0.0, "streaming", None, None)
    model.set_messages(1, [reply])
    model.append_reasoning(1, 2, THOUGHT)
    assert model.index(0).data(MessageRole.ReasoningLabel) == THINKING_LABEL
    now[0] = 112.4
    model.append_delta(1, 2, ANSWER)
    assert model.index(0).data(MessageRole.ReasoningLabel) == "Thought for 12 s"
    now[0] = 130.0  # the answer took longer: the thinking time stays
    model.finish(1, dataclasses.replace(reply, content=ANSWER, reasoning=THOUGHT, status="done"))
    assert model.index(0).data(MessageRole.ReasoningLabel) == "Thought for 12 s"

    # Opened again later: the reply's speed and the share of its text that was thinking.
    stored = dataclasses.replace(reply, id=3, content="x" * 300, reasoning="y" * 600,
                                 status="done", n_tokens=300, tokens_per_s=10.0)
    model.set_messages(2, [stored])
    assert model.index(0).data(MessageRole.ReasoningLabel) == "Thought for about 20 s"
    assert thought_label(4000.0) == "Thought for 67 min"
    assert thought_label(None) == "Thought"
