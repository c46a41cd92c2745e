"""The real window, the real model: what a person sees when they chat."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from desktop.chat.message_model import MessageRole, written_at
from desktop.chat.view import EMPTY_CHAT_NOTE
from desktop.main_window import MainWindow
from engine.config import AppConfig
from tests.desktop.conftest import WindowFactory

REPLY_TIMEOUT_MS = 60_000


def _type_and_send(qtbot: QtBot, window: MainWindow, text: str) -> None:
    composer = window.chat_panel.composer
    composer.setFocus()
    qtbot.keyClicks(composer, text)
    qtbot.keyClick(composer, Qt.Key.Key_Return)


def _rows(window: MainWindow) -> list[tuple[str, str, str]]:
    model = window.chat_panel.messages
    return [
        (
            model.index(row).data(MessageRole.Speaker),
            model.index(row).data(Qt.ItemDataRole.DisplayRole),
            model.index(row).data(MessageRole.Status),
        )
        for row in range(model.rowCount())
    ]


def test_enter_sends_and_the_reply_streams_into_the_view(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    window = open_window()
    worker = window.client
    deltas: list[str] = []
    worker.replyDelta.connect(lambda _chat, _message, text: deltas.append(text))
    with qtbot.waitSignal(worker.replyFinished, timeout=REPLY_TIMEOUT_MS) as finished:
        _type_and_send(qtbot, window, "Name three colours.")
        assert window.chat_panel.send_button.text() == "Stop"
    reply = finished.args[1]
    rows = _rows(window)
    assert rows[0] == ("user", "Name three colours.", "done")
    assert rows[1] == ("assistant", reply.content, "done")
    assert reply.content.strip()
    assert len(deltas) > 1, "the reply should arrive in several pieces, not at once"
    assert "".join(deltas) == reply.content
    assert window.chat_panel.composer.toPlainText() == ""
    assert window.chat_panel.send_button.text() == "Send"
    assert "tok/s" in window.status.speed_label.text()
    assert window.status.context_label.text().startswith("Context ")
    assert "SmolLM2" in window.status.model_label.text()


def test_each_message_says_who_wrote_it_and_when_and_the_empty_chat_says_it_aloud(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    window = open_window()
    view = window.chat_panel.view
    # Painted text is silent: the empty chat's hint is also the view's description.
    assert view.accessibleDescription() == EMPTY_CHAT_NOTE
    with qtbot.waitSignal(window.client.replyFinished, timeout=REPLY_TIMEOUT_MS) as finished:
        _type_and_send(qtbot, window, "Say hello.")
    assert view.accessibleDescription() == ""
    reply = finished.args[1]
    time_written = written_at(reply.created_at)
    model = window.chat_panel.messages
    question = model.message_at(0)
    assert question is not None
    assert view.header_text(model.index(0)) == ("You", written_at(question[0].created_at))
    # The bundled SmolLM2-135M-Instruct.Q4_1.gguf, named without its quantization.
    assert view.header_text(model.index(1)) == (
        "Assistant", f"SmolLM2-135M-Instruct · {time_written}")
    spoken = model.index(1).data(Qt.ItemDataRole.AccessibleTextRole)
    assert spoken.startswith(f"Assistant, SmolLM2-135M-Instruct, {time_written}: ")


def test_shift_enter_makes_a_new_line_instead_of_sending(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    window = open_window()
    composer = window.chat_panel.composer
    qtbot.keyClicks(composer, "first line")
    qtbot.keyClick(composer, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(composer, "second line")
    assert composer.toPlainText() == "first line\nsecond line"
    assert window.chat_panel.messages.rowCount() == 0


def test_escape_stops_a_reply_and_keeps_what_was_written(
    qtbot: QtBot, open_window: WindowFactory, test_config: AppConfig
) -> None:
    window = open_window()
    worker = window.client
    window.client.save_config(
        test_config.__class__(
            chat_defaults=test_config.chat_defaults.with_overrides(
                {"sampling": {"max_tokens": 2000}}
            ),
            runtime=test_config.runtime,
        )
    )
    with qtbot.waitSignal(worker.replyDelta, timeout=REPLY_TIMEOUT_MS):
        _type_and_send(qtbot, window, "Write a long story about a dragon.")
    with qtbot.waitSignal(worker.replyFinished, timeout=REPLY_TIMEOUT_MS) as finished:
        qtbot.keyClick(window, Qt.Key.Key_Escape)
    reply, done = finished.args[1], finished.args[2]
    assert done.finish_reason == "cancelled"
    assert reply.status == "stopped"
    assert reply.content.strip()
    assert done.generated_tokens < 2000
    assert _rows(window)[1] == ("assistant", reply.content, "stopped")


def test_chats_survive_a_restart(qtbot: QtBot, open_window: WindowFactory) -> None:
    window = open_window()
    with qtbot.waitSignal(window.client.replyFinished, timeout=REPLY_TIMEOUT_MS) as done:
        _type_and_send(qtbot, window, "Remember the word lighthouse.")
    reply = done.args[1].content
    window.close()

    again = open_window()
    titles = [
        again.sidebar.chats.index(row).data(Qt.ItemDataRole.DisplayRole)
        for row in range(again.sidebar.chats.rowCount())
    ]
    assert "Remember the word lighthouse." in titles
    assert _rows(again) == [
        ("user", "Remember the word lighthouse.", "done"),
        ("assistant", reply, "done"),
    ]


def test_regenerate_shows_a_new_version_of_the_last_reply(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    window = open_window()
    worker = window.client
    with qtbot.waitSignal(worker.replyFinished, timeout=REPLY_TIMEOUT_MS):
        _type_and_send(qtbot, window, "Tell me a fact about the moon.")
    with qtbot.waitSignal(worker.replyFinished, timeout=REPLY_TIMEOUT_MS):
        window.chat_panel.regenerate_action.trigger()
    rows = _rows(window)
    assert [speaker for speaker, _text, _status in rows] == ["user", "assistant"]
    assert rows[1][1].strip()
    assert window.chat_panel.messages.index(1).data(MessageRole.Versions) == (2, 2)


def test_edit_last_message_resends_it(qtbot: QtBot, open_window: WindowFactory) -> None:
    window = open_window()
    worker = window.client
    with qtbot.waitSignal(worker.replyFinished, timeout=REPLY_TIMEOUT_MS):
        _type_and_send(qtbot, window, "What is 2 + 2?")
    window.chat_panel.edit_action.trigger()
    composer = window.chat_panel.composer
    assert composer.toPlainText() == "What is 2 + 2?"
    assert window.chat_panel.banner.isVisible()
    composer.selectAll()
    with qtbot.waitSignal(worker.replyFinished, timeout=REPLY_TIMEOUT_MS):
        _type_and_send(qtbot, window, "What is 3 + 3?")
    rows = _rows(window)
    assert next((speaker, text) for speaker, text, _ in rows) == ("user", "What is 3 + 3?")
    assert len(rows) == 2


def test_new_chat_search_delete_and_undo(
    qtbot: QtBot, open_window: WindowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window()
    worker = window.client
    with qtbot.waitSignal(worker.replyFinished, timeout=REPLY_TIMEOUT_MS):
        _type_and_send(qtbot, window, "Tell me about zebras")
    with qtbot.waitSignal(worker.chatOpened):
        qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.chat_panel.messages.rowCount() == 0
    chats = window.sidebar.chats
    qtbot.waitUntil(lambda: chats.rowCount() == 2)

    with qtbot.waitSignal(worker.searchResults):
        qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        assert window.sidebar.search_box.hasFocus()
        qtbot.keyClicks(window.sidebar.search_box, "zebra")
    assert chats.rowCount() == 1
    assert "zebra" in chats.index(0).data(Qt.ItemDataRole.DisplayRole).lower()
    window.sidebar.search_box.clear()
    qtbot.waitUntil(lambda: chats.rowCount() == 2)

    zebra_row = next(
        row for row in range(chats.rowCount())
        if "zebras" in chats.index(row).data(Qt.ItemDataRole.DisplayRole)
    )
    window.sidebar.list.setCurrentIndex(chats.index(zebra_row))
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(worker.chatDeleted):
        window.sidebar.delete_action.trigger()
    qtbot.waitUntil(lambda: chats.rowCount() == 1)
    assert window.status.undo_button.isVisible()
    with qtbot.waitSignal(worker.chatsListed):
        window.status.undo_button.click()
    qtbot.waitUntil(lambda: chats.rowCount() == 2)


def test_export_writes_markdown_and_json(
    qtbot: QtBot, open_window: WindowFactory, tmp_path: Path
) -> None:
    window = open_window()
    worker = window.client
    with qtbot.waitSignal(worker.replyFinished, timeout=REPLY_TIMEOUT_MS) as finished:
        _type_and_send(qtbot, window, "Say something about rivers.")
    reply = finished.args[1].content
    chat_id = window.chat_panel.chat_id
    assert chat_id is not None
    with qtbot.waitSignal(worker.exported):
        window.client.export_chat(chat_id, str(tmp_path / "chat.md"), "markdown")
    with qtbot.waitSignal(worker.exported):
        window.client.export_chat(chat_id, str(tmp_path / "chat.json"), "json")
    markdown = (tmp_path / "chat.md").read_text(encoding="utf-8")
    assert "Say something about rivers." in markdown and reply.strip()[:20] in markdown
    data = json.loads((tmp_path / "chat.json").read_text(encoding="utf-8"))
    assert [m["role"] for m in data["messages"]] == ["user", "assistant"]


def test_the_gui_thread_never_runs_the_model(qtbot: QtBot, open_window: WindowFactory) -> None:
    window = open_window()
    worker = window.client.worker
    app = QApplication.instance()
    assert app is not None
    assert worker.thread() is not app.thread()
    assert worker.thread().isRunning()


def test_a_message_sent_while_the_model_loads_is_answered(
    qtbot: QtBot, test_config: AppConfig, bundled_model: Path
) -> None:
    from desktop.engine_client import EngineClient
    from desktop.main_window import MainWindow
    from engine.config import save_config
    from engine.paths import app_paths

    paths = app_paths().ensure()
    save_config(paths.settings_file, test_config)
    client = EngineClient(paths)
    window = MainWindow(client)
    qtbot.addWidget(window)
    order: list[str] = []
    client.modelLoaded.connect(lambda *_args: order.append("model loaded"))

    def send_at_once(*_args: object) -> None:
        if not order:
            order.append("chat opened")
            window.chat_panel.composer.setPlainText("Hello there!")
            window.chat_panel.submit()

    client.chatOpened.connect(send_at_once)
    try:
        with qtbot.waitSignal(client.replyFinished, timeout=REPLY_TIMEOUT_MS) as finished:
            window.show()
            client.start()
        assert order[:2] == ["chat opened", "model loaded"]
        assert finished.args[1].content.strip()
        assert _rows(window)[0] == ("user", "Hello there!", "done")
    finally:
        client.shutdown()


def test_a_broken_model_file_is_refused_and_chat_goes_on(
    qtbot: QtBot, open_window: WindowFactory, tmp_path: Path
) -> None:
    window = open_window()
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + bytes(64))
    with qtbot.waitSignal(window.client.errorOccurred) as error:
        window.client.load_model(str(broken))
    assert "broken.gguf" in error.args[0] and "Still using SmolLM2" in error.args[0]
    assert "SmolLM2" in window.status.model_label.text()
    with qtbot.waitSignal(window.client.replyFinished, timeout=REPLY_TIMEOUT_MS) as finished:
        _type_and_send(qtbot, window, "Are you still there?")
    assert finished.args[1].content.strip()


def test_every_control_has_a_name_and_the_keys_work(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QComboBox,
        QLineEdit,
        QPlainTextEdit,
        QWidget,
    )

    window = open_window()
    window.settings_dock.show()
    kinds = (QAbstractButton, QAbstractItemView, QComboBox, QLineEdit, QPlainTextEdit)
    unnamed = [
        widget for widget in window.findChildren(QWidget)
        if isinstance(widget, kinds) and widget.isVisibleTo(window)
        and not widget.accessibleName()
        and not (isinstance(widget, QAbstractButton) and widget.text())
        and widget.focusPolicy() != Qt.FocusPolicy.NoFocus
        and widget.parent() is not None and "qt_" not in widget.objectName()
    ]
    assert unnamed == [], [type(w).__name__ + ":" + w.objectName() for w in unnamed]

    window.settings_dock.hide()
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    assert window.settings_dock.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.sidebar.search_box.hasFocus()


def test_escape_cancels_an_edit_and_drafts_stay_with_their_chat(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    window = open_window()
    panel, client = window.chat_panel, window.client
    with qtbot.waitSignal(client.replyFinished, timeout=REPLY_TIMEOUT_MS):
        _type_and_send(qtbot, window, "What is the tallest tree?")
    panel.edit_action.trigger()
    assert panel.composer.toPlainText() == "What is the tallest tree?"
    qtbot.keyClick(panel.composer, Qt.Key.Key_Escape)
    assert panel.composer.toPlainText() == "" and not panel.banner.isVisible()

    first_chat = panel.chat_id
    assert first_chat is not None
    qtbot.keyClicks(panel.composer, "half-written thought")
    with qtbot.waitSignal(client.chatOpened):
        client.new_chat()
    assert panel.composer.toPlainText() == ""
    with qtbot.waitSignal(client.chatOpened):
        client.open_chat(first_chat)
    assert panel.composer.toPlainText() == "half-written thought"


def test_reopening_a_chat_mid_reply_shows_everything_written_so_far(
    qtbot: QtBot, open_window: WindowFactory, test_config: AppConfig
) -> None:
    window = open_window()
    panel, client = window.chat_panel, window.client
    client.save_config(test_config.__class__(
        chat_defaults=test_config.chat_defaults.with_overrides({"sampling": {"max_tokens": 400}}),
        runtime=test_config.runtime,
    ))
    streaming_chat = panel.chat_id
    assert streaming_chat is not None
    with qtbot.waitSignal(client.replyDelta, timeout=REPLY_TIMEOUT_MS):
        _type_and_send(qtbot, window, "Write a long poem about the sea.")
    with qtbot.waitSignal(client.chatOpened):
        client.new_chat()
    with qtbot.waitSignal(client.chatOpened):
        client.open_chat(streaming_chat)
    with qtbot.waitSignal(client.replyFinished, timeout=REPLY_TIMEOUT_MS) as finished:
        pass
    assert _rows(window)[-1][1] == finished.args[1].content, "no gap in the shown text"
