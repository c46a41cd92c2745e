"""Versions of a reply in the real window, on the real model: "‹ 2/2 ›", switching back and
forth by mouse and keyboard, and the version shown kept across a restart."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, Qt
from pytestqt.qtbot import QtBot

from desktop.chat.message_model import MessageRole
from desktop.chat.panel import ChatPanel
from desktop.main_window import MainWindow
from engine.chat.store import MessageRecord
from tests.desktop.conftest import WindowFactory

REPLY_TIMEOUT_MS = 60_000


def _last(panel: ChatPanel) -> QModelIndex:
    return panel.messages.index(panel.messages.rowCount() - 1)


def _shows(panel: ChatPanel, reply: MessageRecord, version: int) -> None:
    last = _last(panel)
    assert (last.data(MessageRole.Id), last.data(Qt.ItemDataRole.DisplayRole)) == (
        reply.id, reply.content)
    assert last.data(MessageRole.Versions) == (version, 2)
    assert f"Version {version} of 2" in last.data(Qt.ItemDataRole.AccessibleTextRole)
    assert panel.versions_label.text() == f"{version}/2"
    assert panel.versions_label.accessibleName() == f"Version {version} of 2"
    assert panel.previous_version_button.isEnabled() == (version == 2)
    assert panel.next_version_button.isEnabled() == (version == 1)


def _reply(qtbot: QtBot, window: MainWindow, ask: Callable[[], None]) -> MessageRecord:
    with qtbot.waitSignal(window.client.replyFinished, timeout=REPLY_TIMEOUT_MS) as finished:
        ask()
    reply = finished.args[1]
    assert isinstance(reply, MessageRecord)
    return reply


def test_a_regenerated_reply_is_a_version_to_go_back_to(
    qtbot: QtBot, open_window: WindowFactory
) -> None:
    window = open_window()
    panel = window.chat_panel

    def send() -> None:
        panel.composer.setFocus()
        qtbot.keyClicks(panel.composer, "Name a colour.")
        qtbot.keyClick(panel.composer, Qt.Key.Key_Return)

    first = _reply(qtbot, window, send)
    assert not panel.versions_label.isVisible(), "one version: no arrows"
    assert panel.view.version_controls(_last(panel)) is None
    assert panel.chat_id is not None
    with qtbot.waitSignal(window.client.chatOpened):  # another seed: another reply, likely
        window.client.change_chat_settings(panel.chat_id, {"sampling": {"seed": 11}})
    second = _reply(qtbot, window, panel.regenerate_action.trigger)
    assert panel.messages.rowCount() == 2
    _shows(panel, second, 2)
    assert panel.versions_label.isVisible()
    assert panel.previous_version_button.accessibleName() == "Previous version"
    assert panel.next_version_button.accessibleName() == "Next version"

    # "‹" on the message shows the first reply again.
    controls = panel.view.version_controls(_last(panel))
    assert controls is not None
    with qtbot.waitSignal(window.client.chatOpened):
        qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton,
                         pos=controls[0].center())
    _shows(panel, first, 1)
    assert panel.view.currentIndex().row() == 1, "the message switched stays chosen"

    # The keyboard, in the conversation, and the flat buttons beside the actions.
    panel.view.setFocus()
    with qtbot.waitSignal(window.client.chatOpened):
        qtbot.keyClick(panel.view, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    _shows(panel, second, 2)
    with qtbot.waitSignal(window.client.chatOpened):
        qtbot.mouseClick(panel.previous_version_button, Qt.MouseButton.LeftButton)
    _shows(panel, first, 1)
    window.close()

    again = open_window()
    qtbot.waitUntil(lambda: again.chat_panel.messages.rowCount() == 2)
    _shows(again.chat_panel, first, 1)
