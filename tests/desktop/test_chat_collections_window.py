"""A named collection attached to a chat in the real window: the chat's "Attach collection" menu
(which says where collections are made while there are none), the chip with × in the chat,
the attachment kept per chat as chats are switched, a detail question answered from the
collection's passages, and detaching. Real files, the real database and the search model."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.chat.panel import ChatPanel
from desktop.main_window import MainWindow
from engine.documents.route import Route
from tests.desktop.conftest import WindowFactory
from tests.desktop.test_collections_tab import WAIT_MS, _add_folder, _create, _tab

RESCUE = ("In the storm of 1911 Marisol Quenneville rowed alone through the night and brought "
          "the six fishermen of the Aurore back to the harbour at dawn.")
QUESTION = "Who rowed through the night to bring the fishermen back to the harbour?"


def _menu_texts(panel: ChatPanel) -> list[str]:
    return [action.text() for action in panel.collections_menu.actions()]


def _chips(panel: ChatPanel) -> list[str]:
    return [chip.text() for chip, _detach in panel.attachment.collection_chips.values()]


def test_a_collection_attaches_to_a_chat_answers_there_and_detaches(
    qtbot: QtBot, open_window: WindowFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "harbour"
    folder.mkdir()
    days = [f"Day {day}: the boats stayed in, and the nets were mended on the quay." for day in
            range(1, 6)]
    (folder / "log.txt").write_text("\n\n".join([*days, RESCUE]) + "\n", encoding="utf-8")
    window: MainWindow = open_window()
    panel, client = window.chat_panel, window.client
    button = panel.collections_button
    assert button.accessibleName() and button.menu() is panel.collections_menu
    assert panel.attachment.isHidden()

    # No named collection yet: the menu says where to make one and goes there.
    assert panel.collection_actions == {}
    texts = _menu_texts(panel)
    assert any("Collections tab" in text for text in texts)
    go = panel.collections_menu.actions()[-1]
    assert go.isEnabled() and not panel.collections_menu.actions()[0].isEnabled()
    go.trigger()
    assert window.tabs.currentWidget() is window.collections_tab

    tab = _tab(window)
    _create(qtbot, tab, "Harbour")
    done = _add_folder(qtbot, tab, folder)
    assert done.added == 1 and not done.failed
    # The chat's menu follows the collections made in their tab.
    qtbot.waitUntil(lambda: len(panel.collection_actions) == 1, timeout=WAIT_MS)
    window.tabs.setCurrentWidget(window.chat_tab)
    first = panel.chat_id
    assert first is not None
    (collection_id, action), = panel.collection_actions.items()
    assert action.text() == "Harbour" and action.isCheckable() and not action.isChecked()

    # Other listings may still be on their way (each change in the tab asks for one): the
    # wait is for the one that says the collection is attached.
    with qtbot.waitSignal(client.chatCollections, timeout=WAIT_MS,
                          check_params_cb=lambda chat, attached, _named: chat == first
                          and [c.name for c in attached] == ["Harbour"]):
        action.trigger()
    assert _chips(panel) == ["📚 Harbour"] and panel.attachment.isVisible()
    chip, detach = panel.attachment.collection_chips[collection_id]
    assert chip.accessibleName() and detach.accessibleName() == "Detach collection Harbour"
    assert panel.collection_actions[collection_id].isChecked()

    # Another chat has none attached; back in the first, its collection is there again.
    with qtbot.waitSignal(client.chatCollections, timeout=WAIT_MS):
        client.new_chat()
    qtbot.waitUntil(lambda: panel.chat_id != first, timeout=WAIT_MS)
    assert _chips(panel) == [] and panel.attachment.isHidden()
    assert not panel.collection_actions[collection_id].isChecked()
    with qtbot.waitSignal(client.chatCollections, timeout=WAIT_MS):
        client.open_chat(first)
    assert panel.chat_id == first and _chips(panel) == ["📚 Harbour"]
    assert panel.collection_actions[collection_id].isChecked()

    # A detail question there is answered from the collection's passages (the reply's way is
    # "from passages" only where passages were given); any citation is of its file.
    with qtbot.waitSignal(client.replyEnded, timeout=WAIT_MS) as ended:
        panel.composer.setPlainText(QUESTION)
        panel.submit()
    reply = ended.args[1]
    assert reply is not None and reply.route is Route.PASSAGES
    assert {citation["file"] for citation in reply.citations} <= {"log.txt"}

    # × detaches it (from the keyboard): the chip goes, the menu's item is unchecked, and the
    # focus stays in the chat.
    detach = panel.attachment.collection_chips[collection_id][1]  # made again for this chat
    detach.setFocus()
    assert window.focusWidget() is detach
    with qtbot.waitSignal(client.chatCollections, timeout=WAIT_MS,
                          check_params_cb=lambda chat, attached, _named: chat == first
                          and not attached):
        qtbot.keyClick(detach, Qt.Key.Key_Space)
    assert _chips(panel) == [] and window.focusWidget() is panel.composer
    qtbot.waitUntil(panel.attachment.isHidden, timeout=WAIT_MS)
    assert not panel.collection_actions[collection_id].isChecked()
