"""The chat and message list models pass Qt's model checks and show what the store holds."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester

from desktop.chat.list_model import UNTITLED, ChatListModel, ChatRole
from desktop.chat.message_model import MessageListModel, MessageRole, written_at
from engine.chat.service import ContextView
from engine.chat.store import ChatStore


def _store(tmp_path: Path) -> ChatStore:
    store = ChatStore(tmp_path / "chats.sqlite3")
    first = store.create_chat()
    store.add_message(first.id, "user", "How do lighthouses work?")
    store.add_message(first.id, "assistant", "A lamp and a **Fresnel lens**.")
    second = store.create_chat()
    store.add_message(second.id, "user", "Plan a trip to Lisbon")
    store.create_chat()
    return store


def test_chat_list_model_passes_the_model_tester(
    qtmodeltester: ModelTester, tmp_path: Path
) -> None:
    store = _store(tmp_path)
    model = ChatListModel()
    model.set_chats(store.list_chats())
    qtmodeltester.check(model)
    titles = [model.index(row).data(Qt.ItemDataRole.DisplayRole) for row in range(3)]
    assert titles == [UNTITLED, "Plan a trip to Lisbon", "How do lighthouses work?"]

    model.show_search("lens", store.search("lens"))
    qtmodeltester.check(model)
    assert model.rowCount() == 1
    assert "Fresnel" in model.index(0).data(ChatRole.Snippet)
    model.show_search("", [])
    assert model.rowCount() == 3


def test_renaming_in_the_list_asks_the_engine_to_save(tmp_path: Path) -> None:
    store = _store(tmp_path)
    model = ChatListModel()
    model.set_chats(store.list_chats())
    asked: list[tuple[int, str]] = []
    model.renameRequested.connect(lambda chat_id, title: asked.append((chat_id, title)))
    index = model.index(1)
    assert model.setData(index, "  Lisbon  ")
    assert index.data(Qt.ItemDataRole.DisplayRole) == "Lisbon"
    assert asked == [(index.data(ChatRole.ChatId), "Lisbon")]
    assert not model.setData(index, "   ")


def test_message_model_streams_and_marks_the_context_window(
    qtmodeltester: ModelTester, tmp_path: Path
) -> None:
    store = _store(tmp_path)
    chat = store.list_chats()[2]
    reply = store.add_message(chat.id, "user", "And at night?")
    messages = store.messages(chat.id)
    model = MessageListModel()
    model.set_messages(chat.id, messages)
    qtmodeltester.check(model)
    assert model.rowCount() == 3

    streaming = store.add_message(chat.id, "assistant", "", status="streaming")
    model.set_messages(chat.id, store.messages(chat.id))
    model.append_delta(chat.id, streaming.id, "It ")
    model.append_delta(chat.id, streaming.id, "flashes.")
    model.append_delta(chat.id + 99, streaming.id, "ignored: another chat")
    row = model.row_of(streaming.id)
    assert model.index(row).data(Qt.ItemDataRole.DisplayRole) == "It flashes."
    assert model.index(row).data(Qt.ItemDataRole.AccessibleTextRole) == (
        f"Assistant, {written_at(streaming.created_at)}: It flashes.")

    model.set_context(ContextView(chat.id, reply.id, (), 100, 10))
    in_view = [model.index(r).data(MessageRole.InView) for r in range(model.rowCount())]
    starts = [model.index(r).data(MessageRole.ViewStartsHere) for r in range(model.rowCount())]
    assert in_view == [False, False, True, True]
    assert starts == [False, False, True, False]
    qtmodeltester.check(model)


def test_line_breaks_in_a_reply_stay_line_breaks_outside_code() -> None:
    from desktop.chat.view import keep_line_breaks

    text = "def f(x):\n    return x\nprint(f(1))\n\n```\na\nb\n```\nend"
    kept = keep_line_breaks(text)
    assert kept.startswith("def f(x):  \n\u00a0\u00a0\u00a0\u00a0return x  \nprint(f(1))\n\n"
                           "```\na\nb\n```\nend")


def test_unfenced_code_keeps_its_indentation_and_nested_lists_stay_lists(qapp: object) -> None:
    from PySide6.QtGui import QFont, QPalette

    from desktop.chat.view import render_markdown

    shown = render_markdown("def f(x):\n    if x:\n        return x\n\n- a\n  - b",
                            QFont(), 400, QPalette()).toPlainText().splitlines()
    assert shown[:3] == ["def f(x):", "    if x:", "        return x"]
    assert "    return" not in "\n".join(shown[3:]) and shown[-1].strip() == "b"
